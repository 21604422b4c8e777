"""Line charts drawn on the server as inline SVG: readable without scripts, made interactive by chart.js.

Every point is a circle carrying its series, label and value (`data-*`, and a `<title>` browsers show on
hover without scripts); each series is a `<g data-series=...>` that the legend's buttons hide and show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from tracker.reports.charts import LINES
from tracker.reports.tables import fmt_number, fmt_pct

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 40, 16, 48
COLOURS = {group: colour for group, colour, _ in LINES}  # the report's colours
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(
    chart_id: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | int | None]],
    format_value: Callable[[float], str],
    y_max: float | None = None,
    dashed: Sequence[str] = (),
    positions: Sequence[float] | None = None,
    apart: dict[str, Sequence[float | None]] | None = None,
    legend: dict[str, str] | None = None,
    spans: Sequence[tuple[float, float]] = (),
) -> Markup:
    """An SVG line chart with a legend of toggle buttons; `format_value` renders values as shown.

    None leaves a gap in a line. `positions` place the points on x (e.g. days; evenly spaced without);
    `apart` holds per series points drawn as hollow markers off the line (partial months); `legend` names
    a series in its button (the series' name without); `spans` are shaded x ranges (the 30 days a download
    count covers), in `positions`' unit."""
    apart = apart or {}
    values = [float(v) for points in (*series.values(), *apart.values()) for v in points if v is not None]
    top = y_max if y_max is not None else _nice_top(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(labels), 1)
    places = list(positions) if positions is not None else [float(index) for index in range(count)]
    low, high = min(places, default=0.0), max(places, default=0.0)

    def x_of(place: float) -> float:
        return LEFT + (plot_w * (place - low) / (high - low) if high > low else plot_w / 2)

    def x(index: int) -> float:
        return x_of(places[index])

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="line chart" xmlns="http://www.w3.org/2000/svg">'
    ]
    for start, end in spans:
        left, right = max(LEFT, x_of(start)), x_of(end)
        parts.append(
            f'<rect class="span" x="{left:.1f}" y="{TOP}" width="{max(right - left, 0):.1f}" height="{plot_h}"/>'
        )
    for tick in range(5):
        value = top * tick / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(format_value(value))}</text>"
        )
    step = max(1, math.ceil(len(labels) / 12))
    for index, label in enumerate(labels):
        if label and (index % step == 0 or index == len(labels) - 1):
            parts.append(
                f'<text class="axis" x="{x(index):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for number, (name, points) in enumerate(series.items()):
        colour = COLOURS.get(name, PALETTE[number % len(PALETTE)])
        dash = ' stroke-dasharray="6 4"' if name in dashed else ""
        parts.append(f'<g class="series" data-series="{escape(name)}" style="color:{colour}">')
        segments: list[list[str]] = [[]]
        for index, value in enumerate(points):
            if value is None:
                segments.append([])
            else:
                segments[-1].append(f"{x(index):.1f},{y(float(value)):.1f}")
        for segment in segments:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="currentColor"{dash}/>'
                )
        hollow = apart.get(name) or [None] * len(points)
        for index, (value, partial) in enumerate(zip(points, hollow, strict=True)):
            if value is None and partial is None:
                continue
            point = float(value if value is not None else partial)
            shown = format_value(point)
            marker = (
                'fill="currentColor"'
                if value is not None
                else 'class="partial" fill="#fff" stroke="currentColor" data-partial="true"'
            )
            note = "" if value is not None else " (partial)"
            parts.append(
                f'<circle cx="{x(index):.1f}" cy="{y(point):.1f}" r="4" {marker} data-series="{escape(name)}" '
                f'data-label="{escape(labels[index])}" data-value="{escape(shown)}">'
                f"<title>{escape(name)} {escape(labels[index])}: {escape(shown)}{note}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    legend = "".join(
        f'<button type="button" class="toggle" data-chart="{escape(chart_id)}" data-series="{escape(name)}" '
        f'aria-pressed="true" style="border-color:{COLOURS.get(name, PALETTE[n % len(PALETTE)])}">'
        f"{escape((legend or {}).get(name, name))}</button>"
        for n, name in enumerate(series)
    )
    tip = f'<div class="tip" id="{escape(chart_id)}-tip" aria-live="polite"></div>'
    return Markup(
        f'<figure class="chart-box"><div class="legend">{legend}</div>{"".join(parts)}{tip}</figure>'
    )


# Values in the hover text read as in the report's tables.
percent = fmt_pct
count = fmt_number
