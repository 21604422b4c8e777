"""Markdown and self-contained HTML from a report's figures; both show the same text and tables (from
tracker.reports.tables), HTML adds charts."""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from tracker.reports.tables import (
    LIMITS,
    POINTS_NOTE,
    SHARES_NOTE,
    TITLE,
    counting_lines,
    coverage_lines,
    failed_lines,
    fmt_pct,
    group_table,
    headline_lines,
    literature_table,
    points_line,
    points_table,
    publishers_table,
    roots_table,
    summary_table,
    verdict_line,
)

__all__ = ["fmt_pct", "render_html", "render_markdown"]


# --- Markdown ---------------------------------------------------------------------------------------------


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["_insufficient data_", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(figures: dict[str, Any]) -> str:
    verdict = figures["verdict"]
    lines = [f"# {TITLE} Report of {figures['report_date']}", ""]
    lines += [f"**{line}**" for line in failed_lines(figures)] + (
        [""] if figures["coverage"]["failed"] else []
    )
    lines += ["## What this report stands on", "", *(f"- {line}" for line in coverage_lines(figures)), ""]
    lines += [f"**{verdict_line(figures)}**", "", f"Rule: {verdict['rule']}", ""]
    lines += ["## Headlines", "", *(f"- {line}" for line in headline_lines(figures)), ""]
    lines += [
        "## What changed since the previous report",
        "",
        *(f"- {change}" for change in figures["changes"]),
    ]
    lines += ["", "## Signals", "", SHARES_NOTE, "", *md_table(*summary_table(figures))]
    for signal in figures["signals"].values():
        lines += [f"### {signal['title']}", "", signal["definition"], ""]
        lines += [
            *(text for line in counting_lines(signal) for text in (f"_{line}_", "")),
            *md_table(*group_table(signal)),
        ]
        if line := points_line(signal):
            lines += [f"_A point per roll-up day: {line} Every point is in the appendix._", ""]
    lines += ["## New derivatives by root publisher", "", *md_table(*roots_table(figures))]
    lines += ["## Top publishers", "", *md_table(*publishers_table(figures))]
    lines += ["## Comparison with the literature", "", *md_table(*literature_table(figures))]
    lines += ["## Limits", "", *(f"- {limit}" for limit in LIMITS), ""]
    with_points = [signal for signal in figures["signals"].values() if signal.get("points")]
    if with_points:
        lines += ["## Appendix: a point per roll-up day", "", POINTS_NOTE, ""]
        for signal in with_points:
            lines += [f"### {signal['title']}: by day", "", str(points_line(signal)), ""]
            lines += md_table(*points_table(signal))
    lines += ["Charts are in report.html; every figure is in report.json.", ""]
    return "\n".join(lines)


# --- HTML -------------------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.88em}
th,td{border:1px solid #ccc;padding:0.25em 0.5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}
.verdict{font-size:1.3em;padding:0.5em 0.8em;background:#f6f6ee;border-left:5px solid #d62728}
img{max-width:100%}
.note{color:#555;font-size:0.9em}
.failed{font-weight:bold;color:#a00000;border-left:5px solid #a00000;padding:0.3em 0.6em}
"""


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p><em>insufficient data</em></p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: bytes | None, alt: str) -> str:
    if png is None:
        return '<p class="note"><em>insufficient data for a chart (no monthly points)</em></p>'
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def render_html(figures: dict[str, Any], charts: dict[str, bytes | None]) -> str:
    """A self-contained page: inline CSS, charts as data URIs, the figures JSON embedded for machines."""
    verdict = figures["verdict"]
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(TITLE)} {e(figures['report_date'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(TITLE)}</h1><p>Report of {e(figures['report_date'])}</p>",
        *(f'<p class="failed">{e(line)}</p>' for line in failed_lines(figures)),
        "<h2>What this report stands on</h2><ul>",
        *(f"<li>{e(line)}</li>" for line in coverage_lines(figures)),
        "</ul>",
        f'<p class="verdict">{e(verdict_line(figures))}</p>',
        f'<p class="note">Rule: {e(verdict["rule"])}</p>',
        "<h2>Headlines</h2><ul>",
        *(f"<li>{e(line)}</li>" for line in headline_lines(figures)),
        "</ul><h2>What changed since the previous report</h2><ul>",
        *(f"<li>{e(change)}</li>" for change in figures["changes"]),
        "</ul><h2>Signals</h2>",
        f"<p>{e(SHARES_NOTE)}</p>",
        html_table(*summary_table(figures)),
    ]
    for key, signal in figures["signals"].items():
        parts += [
            f"<h3>{e(signal['title'])}</h3><p>{e(signal['definition'])}</p>",
            *(f'<p class="note">{e(line)}</p>' for line in counting_lines(signal)),
            _image(charts.get(key), f"share over time: {signal['title']}"),
            html_table(*group_table(signal)),
        ]
        if line := points_line(signal):
            parts += [
                f"<details><summary>A point per roll-up day: {e(line)}</summary>",
                f'<p class="note">{e(POINTS_NOTE)}</p>',
                html_table(*points_table(signal)),
                "</details>",
            ]
    parts += [
        "<h2>New derivatives by root publisher</h2>",
        _image(charts.get("derivatives_by_root_publisher"), "new derivatives by root namespace"),
        html_table(*roots_table(figures)),
    ]
    parts += ["<h2>Top publishers</h2>", _image(charts.get("top_publishers"), "top publishers")]
    parts += [html_table(*publishers_table(figures))]
    parts += ["<h2>Comparison with the literature</h2>", html_table(*literature_table(figures))]
    parts += ["<h2>Limits</h2><ul>", *(f"<li>{e(limit)}</li>" for limit in LIMITS), "</ul>"]
    embedded = json.dumps(figures, ensure_ascii=False).replace("</", "<\\/")
    parts += [f'<script type="application/json" id="report-figures">{embedded}</script>', "</body></html>"]
    return "\n".join(parts)
