"""Charts as PNG bytes (matplotlib's Agg renderer through `Figure`, no pyplot state, safe in the daemon)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LINES = (  # group, colour, line style
    ("CN", "#d62728", "-"),
    ("CN+HK+MO", "#d62728", ":"),
    ("US", "#1f77b4", "-"),
    ("Europe", "#e6a100", "-"),
    ("other", "#7f7f7f", "-"),
    ("unknown", "#bbbbbb", "--"),
)
GROUP_COLOURS = {
    "CN": "#d62728",
    "US": "#1f77b4",
    "Europe": "#e6a100",
    "other": "#7f7f7f",
    "unknown": "#bbbbbb",
}


def _figure(width: float, height: float) -> Figure:
    """A new figure; matplotlib is imported here, not with the package, because importing it takes about half
    a second that every command (a collection included) would otherwise pay."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def share_chart(title: str, monthly: list[dict[str, Any]]) -> bytes | None:
    """Share over time for CN (and CN+HK+MO), US, Europe, other and unknown; None below two months."""
    if len(monthly) < 2:
        return None
    months = [point["month"] for point in monthly]
    figure = _figure(7.5, 3.2)
    axes = figure.add_subplot()
    for group, colour, style in LINES:
        values = [point["shares"].get(group) for point in monthly]
        axes.plot(
            range(len(months)),
            [v if v is not None else float("nan") for v in values],
            color=colour,
            linestyle=style,
            label=group,
            linewidth=1.6,
        )
    step = max(1, len(months) // 12)
    axes.set_xticks(range(0, len(months), step))
    axes.set_xticklabels(months[::step], rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("share, %")
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)
    return _png(figure)


def publishers_chart(publishers: list[dict[str, Any]], group_of: Any) -> bytes | None:
    """Horizontal bars of the top publishers' 30-day downloads, coloured by country group."""
    rows = [row for row in publishers if row["downloads_30d"]][:15]
    if not rows:
        return None
    figure = _figure(7.5, 0.35 * len(rows) + 1.0)
    axes = figure.add_subplot()
    labels = [f"{row['publisher']} ({row['country'] or '?'})" for row in reversed(rows)]
    values = [row["downloads_30d"] for row in reversed(rows)]
    colours = [GROUP_COLOURS[group_of(row["country"])] for row in reversed(rows)]
    axes.barh(labels, values, color=colours)
    axes.set_xlabel("30-day downloads")
    axes.set_title("Top publishers by 30-day downloads (colour: CN red, US blue, Europe gold)", fontsize=10)
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def roots_chart(months: list[dict[str, Any]], limit: int = 6) -> bytes | None:
    """Share of new derivatives per month for the root namespaces largest over the period (e.g. Qwen, Llama)."""
    if len(months) < 2:
        return None
    totals: dict[str, int] = {}
    for month in months:
        for entry in month["top"]:
            if entry["root"]:
                totals[entry["root"]] = totals.get(entry["root"], 0) + entry["derivatives"]
    roots = sorted(totals, key=lambda root: -totals[root])[:limit]
    if not roots:
        return None
    figure = _figure(7.5, 3.2)
    axes = figure.add_subplot()
    labels = [month["month"] for month in months]
    for root in roots:
        shares = [
            next((e["share"] for e in month["top"] if e["root"] == root), float("nan")) for month in months
        ]
        axes.plot(range(len(labels)), shares, label=root, linewidth=1.6)
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("share of new derivatives, %")
    axes.set_ylim(bottom=0)
    axes.set_title("New derivatives by root namespace (gaps: not among the month's largest)", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)
    return _png(figure)
