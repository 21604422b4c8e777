"""Charts as PNG bytes (matplotlib's Agg renderer through `Figure`, no pyplot state, safe in the daemon)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker.analyses.trends import month_index, month_name
from tracker.reports.figures import point_day

NAN = float("nan")

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LINES = (  # group, colour, line style: shares of the attributed total, then the unknown share of the whole
    ("CN", "#d62728", "-"),
    ("CN+HK+MO", "#ff9896", ":"),
    ("US", "#1f77b4", "-"),
    ("Europe", "#e6a100", "-"),
    ("other", "#2ca02c", "-"),
    ("unknown", "#7f7f7f", "--"),
)
SNAPSHOT_GAP_DAYS = 45  # snapshot points further apart than this are not joined by a line
WINDOW_DAYS = 30  # a 30-day download count covers the 30 days before its collection day
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


@dataclass
class ShareSeries:
    """What a share chart draws: x positions (dates), one value list per LINES group (NaN = no line there),
    partial points drawn apart, and the 30-day windows snapshot downloads cover."""

    x: list[dt.date]
    values: dict[str, list[float]]
    partial: dict[str, list[tuple[dt.date, float]]]
    windows: list[tuple[dt.date, dt.date]]
    changes: list[tuple[dt.date, str]] = field(default_factory=list)  # the Hub's download counting changes


def _month_start(month: str) -> dt.date:
    year, number = map(int, month.split("-")[:2])
    return dt.date(year, number, 1)


def _value(point: dict[str, Any], group: str) -> float:
    if group == "unknown":
        return NAN if point["coverage"] is None else 100.0 - point["coverage"]
    value = point["share_attributed"].get(group)
    return NAN if value is None else value


def snapshot_points(signal: dict[str, Any]) -> list[dict[str, Any]]:
    """The points a snapshot signal draws, oldest first: every roll-up day (`points`), after the monthly points
    of the months before the first roll-up (collections from snapshots only)."""
    daily = signal.get("points") or []
    if not daily:
        return signal["monthly"]
    first = point_day(daily[0])
    return [point for point in signal["monthly"] if point_day(point) < first] + daily


def _covered(windows: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Overlapping 30-day windows (points less than 30 days apart) as one stretch, shaded once."""
    stretches: list[tuple[dt.date, dt.date]] = []
    for start, end in windows:
        if stretches and start <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], end)
        else:
            stretches.append((start, end))
    return stretches


def share_series(signal: dict[str, Any]) -> ShareSeries:
    """The chart data of a signal. Creation signals: one place per calendar month from the first to the last,
    NaN where a month has no data, partial months only as separate points. Snapshot signals: each value at its
    day (every roll-up day, see snapshot_points), with a break where points are more than SNAPSHOT_GAP_DAYS
    apart."""
    groups = [group for group, _, _ in LINES]
    values: dict[str, list[float]] = {group: [] for group in groups}
    partial: dict[str, list[tuple[dt.date, float]]] = {group: [] for group in groups}
    x: list[dt.date] = []
    windows: list[tuple[dt.date, dt.date]] = []
    points = signal["monthly"]
    if signal["history"] == "creation":
        by_month = {point["month"]: point for point in points}
        if points:
            index, last = month_index(points[0]["month"]), month_index(points[-1]["month"])
            while index <= last:
                month = month_name(index)
                x.append(_month_start(month) + dt.timedelta(days=14))
                point = by_month.get(month)
                for group in groups:
                    value = NAN if point is None else _value(point, group)
                    if point is not None and point["partial"]:
                        partial[group].append((x[-1], value))
                        value = NAN
                    values[group].append(value)
                index += 1
        return ShareSeries(x, values, partial, windows)
    previous: dt.date | None = None
    for point in snapshot_points(signal):
        day = point_day(point)
        if previous is not None and (day - previous).days > SNAPSHOT_GAP_DAYS:
            x.append(previous + (day - previous) / 2)  # a break in the line
            for group in groups:
                values[group].append(NAN)
        x.append(day)
        for group in groups:
            values[group].append(_value(point, group))
        if signal["unit"] == "downloads":
            windows.append((day - dt.timedelta(days=WINDOW_DAYS), day))
        previous = day
    changes = [
        (dt.date.fromisoformat(change["on"]), change["note"]) for change in signal.get("counting_changes", [])
    ]
    return ShareSeries(x, values, partial, _covered(windows), changes)


def share_chart(signal: dict[str, Any]) -> bytes | None:
    """Shares of the attributed total over time for CN (and CN+HK+MO), US, Europe and other, with the unknown
    share of the whole total; markers on every point, gaps where there is no data. None without data."""
    series = share_series(signal)
    if not series.x:
        return None
    from matplotlib.patches import Patch

    figure = _figure(7.5, 3.4)
    axes = figure.add_subplot()
    for start, end in series.windows:
        axes.axvspan(start, end, color="#dddddd", alpha=0.5, linewidth=0)
    handles = []
    for group, colour, style in LINES:
        label = "unknown (share of the whole total)" if group == "unknown" else f"{group} (of attributed)"
        (line,) = axes.plot(
            series.x,
            series.values[group],
            color=colour,
            linestyle=style,
            marker="o",
            markersize=3.5,
            linewidth=1.5,
            label=label,
        )
        handles.append(line)
        if series.partial[group]:
            xs = [day for day, _ in series.partial[group]]
            ys = [value for _, value in series.partial[group]]
            axes.plot(
                xs, ys, linestyle="none", marker="o", markersize=4, markerfacecolor="white", color=colour
            )
    if any(series.partial.values()):
        (hollow,) = axes.plot([], [], linestyle="none", marker="o", markerfacecolor="white", color="#333333")
        hollow.set_label("partial month (not in trends)")
        handles.append(hollow)
    if series.windows:
        handles.append(Patch(color="#dddddd", label="30 days a download count covers"))
    for day, note in series.changes:
        axes.axvline(day, color="#555555", linestyle="-.", linewidth=1.0)
        axes.text(day, 97, f" {day.isoformat()}: {note}", rotation=90, va="top", ha="right", fontsize=6)
    if series.changes:
        (marker,) = axes.plot([], [], color="#555555", linestyle="-.", linewidth=1.0)
        marker.set_label("the Hub changed how it counts downloads")
        handles.append(marker)
    axes.set_ylabel("share, %")
    axes.set_ylim(0, 100)
    axes.set_title(signal["title"], fontsize=10)
    axes.grid(alpha=0.3)
    axes.tick_params(axis="x", labelsize=8, labelrotation=45)
    axes.legend(
        handles=handles, fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False
    )
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
    from matplotlib.patches import Patch

    shown = [group for group in GROUP_COLOURS if group in {group_of(row["country"]) for row in rows}]
    axes.legend(
        handles=[Patch(color=GROUP_COLOURS[group], label=group) for group in shown],
        fontsize=7,
        loc="lower right",
    )
    axes.set_xlabel("30-day downloads")
    axes.set_title("Top publishers by 30-day downloads (colour: country group)", fontsize=10)
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
    first, last = month_index(months[0]["month"]), month_index(months[-1]["month"])
    labels = [month_name(index) for index in range(first, last + 1)]  # every calendar month: gaps stay gaps
    by_month = {month["month"]: month for month in months}
    for root in roots:
        shares = [
            next((e["share"] for e in by_month[label]["top"] if e["root"] == root), NAN)
            if label in by_month
            else NAN
            for label in labels
        ]
        partial = [label in by_month and by_month[label].get("partial", False) for label in labels]
        complete = [NAN if flag else share for share, flag in zip(shares, partial, strict=True)]
        (line,) = axes.plot(
            range(len(labels)), complete, label=root, linewidth=1.6, marker="o", markersize=3.5
        )
        apart = [(x, share) for x, (share, flag) in enumerate(zip(shares, partial, strict=True)) if flag]
        if apart:  # partial months: hollow markers, off the line
            axes.plot(
                [x for x, _ in apart],
                [share for _, share in apart],
                linestyle="none",
                marker="o",
                markersize=4,
                markerfacecolor="white",
                color=line.get_color(),
            )
    if any(month.get("partial") for month in months):
        axes.plot(
            [],
            [],
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            color="#333333",
            label="partial month",
        )
    step = max(1, len(labels) // 12)
    axes.set_xticks(range(0, len(labels), step))
    axes.set_xticklabels(labels[::step], rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("share of new derivatives, %")
    axes.set_ylim(bottom=0)
    axes.set_title("New derivatives by root namespace (gaps: not among the month's largest)", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)
    return _png(figure)
