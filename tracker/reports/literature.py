"""Published figures beside ours, like for like: each reference figure is set only beside our figure with the
same definition and the nearest window; otherwise the row says there is no comparable figure and why."""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Any

from tracker.analyses.trends import month_index

GROUP_NAMES = {"CN": "China", "US": "United States", "Europe": "Europe", "CN+HK+MO": "CN+HK+MO"}
YEAR = 12


def reference_figures() -> list[dict[str, str]]:
    """The shipped reference figures (see tracker/reports/data/README.md for their sources)."""
    text = (
        resources.files("tracker.reports").joinpath("data/reference_figures.csv").read_text(encoding="utf-8")
    )
    return list(csv.DictReader(io.StringIO(text)))


def published_value(value: str, unit: str) -> str:
    """The published value with its unit, written once: `17.1%`, `41% / 36.5%`, `50 / 30 / 5 models`."""
    value, unit = value.strip(), unit.strip()
    if not unit or "date" in unit or unit in value:
        return value
    if unit == "%":
        return " / ".join(f"{part.strip()}%" for part in value.split("/"))
    return f"{value} {unit}"


def _nearest(months: list[str], target: str) -> str | None:
    if not months:
        return None
    return min(months, key=lambda month: (abs(month_index(month) - month_index(target)), month))


def _comparable(signal: dict[str, Any]) -> list[dict[str, Any]]:
    return [point for point in signal["monthly"] if not point["partial"] and point["attributed_total"] > 0]


def _share_over_window(signal: dict[str, Any], group: str, first: str, last: str) -> str:
    points = _comparable(signal)
    if not points:
        return "no comparable figure yet: no complete months with attributed values"
    inside = [p for p in points if first <= p["month"] <= last]
    note = ""
    if not inside:  # the nearest window we have: our newest 12 months
        newest = month_index(points[-1]["month"])
        inside = [p for p in points if month_index(p["month"]) > newest - YEAR]
        note = "; nearest window we have, not the published one"
    attributed = sum(p["attributed_total"] for p in inside)
    total = sum(p["total"] for p in inside)
    value = (
        sum((p["share_attributed"].get(group) or 0.0) * p["attributed_total"] for p in inside) / attributed
    )
    return (
        f"{GROUP_NAMES.get(group, group)} {value:.2f}% of attributed {signal['unit']}, "
        f"{inside[0]['month']} to {inside[-1]['month']} ({len(inside)} monthly value{'s' if len(inside) > 1 else ''}; coverage "
        f"{attributed / total * 100:.2f}%{note})"
    )


def _share_in_month(signal: dict[str, Any], group: str, target: str) -> str:
    points = {p["month"]: p for p in _comparable(signal)}
    month = _nearest(list(points), target)
    if month is None:
        return "no comparable figure yet: no complete months with attributed values"
    point = points[month]
    return (
        f"{GROUP_NAMES.get(group, group)} {point['share_attributed'].get(group):.2f}% of attributed "
        f"{signal['unit']} in {month} (coverage {point['coverage']:.2f}%; published month {target})"
    )


def _root_share(figures: dict[str, Any], root: str, target: str) -> str:
    signal = figures["signals"].get("new_derivatives_by_root") or {"monthly": []}
    complete = {p["month"] for p in signal["monthly"] if not p["partial"]}
    months = {
        m["month"]: m for m in figures.get("derivatives_by_root_publisher") or [] if m["month"] in complete
    }
    month = _nearest(list(months), target)
    if month is None:
        return "no comparable figure yet: no complete month of new derivatives"
    share = next((entry["share"] for entry in months[month]["top"] if entry["root"] == root), None)
    if share is None:
        return f"{root} not among the largest roots in {month} (published month {target})"
    return f"{root} {share:.2f}% of new derivatives in {month} (published month {target})"


def our_figure(figures: dict[str, Any], signal_key: str, spec: str, note: str) -> str:
    """Our figure with the same definition as a published one, per the `ours` column (data/README.md)."""
    kind, _, rest = spec.partition(":")
    if kind in ("none", "context"):
        return note
    signal = figures["signals"].get(signal_key)
    if signal is None:
        return "not computed"
    arguments = rest.split(":")
    if kind == "attributed_share_year":
        return _share_over_window(signal, *arguments)
    if kind == "attributed_share_month":
        return _share_in_month(signal, *arguments)
    if kind == "root_share_month":
        return _root_share(figures, *arguments)
    raise ValueError(f"unknown comparison {spec!r} in reference_figures.csv")


def compare_with_literature(figures: dict[str, Any]) -> list[dict[str, str]]:
    """Each reference figure with our figure of the same definition, or why there is none."""
    rows = []
    for reference in reference_figures():
        kind = reference["ours"].partition(":")[0]
        rows.append(
            {
                "id": reference["id"],
                "signal": reference["signal"],
                "source": reference["source"],
                "source_url": reference["source_url"],
                "published": reference["published"],
                "period": reference["period"],
                "metric": reference["metric"],
                "entity": reference["entity"],
                "published_value": published_value(reference["value"], reference["unit"]),
                "verification": reference["verification"],
                "comparison": "context"
                if kind == "context"
                else "none"
                if kind == "none"
                else "same definition",
                "ours": our_figure(
                    figures, reference["signal"], reference["ours"], reference["comparison_note"]
                ),
                "why_they_may_differ": "" if kind in ("none", "context") else reference["comparison_note"],
            }
        )
    return rows
