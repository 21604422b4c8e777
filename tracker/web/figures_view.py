"""The one mapping from a report's figures dict (tracker.reports.figures) to what the web pages show.

Pages read figures only through this module, and every figure is worded by the report's own builders
(tracker.reports.tables, and tracker.reports.charts for the chart data), so a page states each figure exactly
as report.md does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tracker.reports import tables
from tracker.reports.charts import LINES, share_series

# The report's chart lines: shares of the attributed total, then the unknown share of the whole total.
CHART_GROUPS = tuple(group for group, _, _ in LINES)
LEGEND = {group: f"{group} of attributed" for group in CHART_GROUPS} | {"unknown": "unknown of whole total"}


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    keys: list[str]  # what each row's first cell links to (a signal key, a publisher), or "" for no link


@dataclass(frozen=True)
class Series:
    """A chart's data: labels (months, or collection days for snapshot signals), x positions in days, and per
    group the complete points and the partial ones (percent or None), aligned with the labels."""

    labels: list[str]
    positions: list[float]
    complete: dict[str, list[float | None]]
    partial: dict[str, list[float | None]]
    windows: list[tuple[float, float]]  # the 30 days each snapshot download count covers, in days


def is_current(figures: dict[str, Any]) -> bool:
    """Whether `figures` have the shape this module maps (reports written before attributed shares do not)."""
    return figures.get("share_basis") == "attributed" and isinstance(figures.get("coverage"), dict)


def overview(figures: dict[str, Any]) -> dict[str, Any]:
    """Everything the overview shows, worded as in report.md."""
    headers, rows = tables.summary_table(figures)
    return {
        "failed": tables.failed_lines(figures),
        "coverage": tables.coverage_lines(figures),
        "verdict": tables.verdict_line(figures),
        "rule": figures["verdict"]["rule"],
        "headlines": tables.headline_lines(figures),
        "shares_note": tables.SHARES_NOTE,
        "summary": Table(headers, rows, list(figures["signals"])),
        "changes": [str(line) for line in figures.get("changes") or []],
    }


def signal(figures: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Everything a signal page shows, worded as in report.md (the monthly table with every month), or None."""
    figure = (figures.get("signals") or {}).get(key)
    if figure is None:
        return None
    alone = {"signals": {key: figure}}
    headers, rows = tables.summary_table(alone)
    monthly_headers, monthly_rows = tables.group_table(figure, months=None)
    points_headers, points_rows = tables.points_table(figure)
    return {
        "figure": figure,
        "headline": tables.headline_lines(alone)[0],
        "shares_note": tables.SHARES_NOTE,
        "summary": Table(headers, rows, [key]),
        "monthly": Table(monthly_headers, monthly_rows, [""] * len(monthly_rows)),
        "points_line": tables.points_line(figure),
        "points_note": tables.POINTS_NOTE,
        "points": Table(points_headers, points_rows, [""] * len(points_rows)),
        "countries": countries_table(figure),
        "series": series(figure),
    }


def countries_table(figure: dict[str, Any]) -> Table:
    """The latest figures' top countries: value, share of the attributed total and of the whole total."""
    headers = ["country", figure["unit"], "share of attributed", "share of whole total"]
    rows = [
        [
            row["country"] or "unknown",
            tables.fmt_number(row["value"]),
            tables.fmt_pct(row["share_attributed"]),
            tables.fmt_pct(row["share"]),
        ]
        for row in figure["latest"]["top_countries"]
    ]
    return Table(headers, rows, [""] * len(rows))


def _shown(value: float) -> float | None:
    return None if math.isnan(value) else value


def series(figure: dict[str, Any]) -> Series:
    """The report's chart data (tracker.reports.charts.share_series) as the web chart draws it: creation
    months labelled by month, snapshot points by collection day, a gap where there is no data, partial months
    apart from the line."""
    data = share_series(figure)
    creation = figure["history"] == "creation"
    labels = [day.strftime("%Y-%m") if creation else day.isoformat() for day in data.x]
    if not creation:  # the breaks share_series puts between distant collections are no collection day
        labels = [
            label if any(not math.isnan(data.values[group][index]) for group in CHART_GROUPS) else ""
            for index, label in enumerate(labels)
        ]
    partial = {
        group: [_shown(dict(data.partial[group]).get(day, math.nan)) for day in data.x]
        for group in CHART_GROUPS
    }
    return Series(
        labels=labels,
        positions=[float(day.toordinal()) for day in data.x],
        complete={group: [_shown(value) for value in data.values[group]] for group in CHART_GROUPS},
        partial=partial,
        windows=[(float(start.toordinal()), float(end.toordinal())) for start, end in data.windows],
    )


def top_publishers(figures: dict[str, Any]) -> Table:
    headers, rows = tables.publishers_table(figures)
    return Table(headers, rows, [row["publisher"] for row in figures["top_publishers"]])
