"""Markdown and self-contained HTML from a report's figures; both show the same tables, HTML adds charts."""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from tracker.analyses.regions import GROUPS

TITLE = "Is open-source AI shifting to China?"

LIMITS = [
    "Coverage: only collected models and tracked repositories count; the unknown share of every figure says "
    "how much could not be attributed to a country.",
    "Attribution: a model counts for the country of its author's account or publisher (registry, manual "
    "override or parsed profile location); individuals are often unknown, multinational teams get one "
    "country, and CN excludes HK and MO (CN+HK+MO is shown as a sensitivity line).",
    "Downloads: the Hub's 30-day counts are requests for model files, not users; CI systems, mirrors and "
    "quantised re-uploads inflate some models, and datasets are excluded.",
    "Trends: OLS over the trailing 12 monthly shares treats months as independent; autocorrelation makes "
    "the 95% interval too narrow, so calls near the edge deserve caution. Snapshot signals (downloads, "
    "likes, stars, forks, contributions) start with the first crawl and say 'insufficient history' until "
    "they have six monthly points.",
]


def fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def fmt_trend(trend: dict[str, Any] | None) -> str:
    if trend is None:
        return "insufficient history"
    return (
        f"{trend['slope_pp_per_month']:+.3f} pp/month "
        f"[{trend['ci95_low']:+.3f}, {trend['ci95_high']:+.3f}] ({trend['points']} months)"
    )


def fmt_crossover(signal: dict[str, Any]) -> str:
    if signal["crossover_month"] is None:
        return "not observed" if signal["monthly"] else "n/a"
    text = signal["crossover_month"]
    if signal["cn_ahead_from_start"]:
        text = f"ahead from {text} (first month seen)"
    now, us = signal["cn_share_now"], signal["us_share_now"]
    if now is not None and us is not None and now <= us:
        text += " (behind the US now)"
    return text


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}"


def summary_table(figures: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = [
        "signal",
        "as of",
        "CN now",
        "CN a year earlier",
        "US now",
        "unknown",
        "CN trend [95% CI]",
        "CN first above US",
        "call",
    ]
    rows = []
    for signal in figures["signals"].values():
        rows.append(
            [
                signal["title"] + ("" if signal["in_verdict"] else " (not in verdict)"),
                signal["latest"]["as_of"],
                fmt_pct(signal["cn_share_now"]),
                fmt_pct(signal["cn_share_year_ago"]),
                fmt_pct(signal["us_share_now"]),
                fmt_pct(signal["unknown_share_now"]),
                fmt_trend(signal["trend"]),
                fmt_crossover(signal),
                signal["call"],
            ]
        )
    return headers, rows


def group_table(signal: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = ["", "total", *GROUPS]
    rows = [
        [
            "latest (" + signal["latest"]["as_of"] + ")",
            fmt_number(signal["latest"]["total"]),
            *(fmt_pct(signal["latest"]["shares"][g]) for g in GROUPS),
        ]
    ]
    for point in signal["monthly"][-13:][::-1]:
        rows.append(
            [point["month"], fmt_number(point["total"]), *(fmt_pct(point["shares"][g]) for g in GROUPS)]
        )
    return headers, rows


def publishers_table(figures: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = ["publisher", "country", "models", "30-day downloads", "share of downloads", "likes"]
    rows = [
        [
            row["publisher"],
            row["country"] or "unknown",
            fmt_number(row["models"]),
            fmt_number(row["downloads_30d"]),
            fmt_pct(row["share"]),
            fmt_number(row["likes"]),
        ]
        for row in figures["top_publishers"]
    ]
    return headers, rows


def roots_table(figures: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = ["month", "new derivatives", "largest roots (share of new derivatives)"]
    rows = []
    for month in figures["derivatives_by_root_publisher"][::-1]:
        tops = ", ".join(
            f"{entry['root'] or 'root unknown'} ({entry['country'] or '?'}) {fmt_pct(entry['share'])}"
            for entry in month["top"][:5]
        )
        rows.append([month["month"], fmt_number(month["total"]), tops])
    return headers, rows


def literature_table(figures: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = ["id", "published metric", "period", "published value", "ours", "why they may differ", "source"]
    rows = [
        [
            row["id"],
            f"{row['metric']} ({row['entity']})",
            row["period"],
            row["published_value"],
            row["ours"],
            row["why_they_may_differ"],
            f"{row['source']} {row['source_url']}",
        ]
        for row in figures["literature"]
    ]
    return headers, rows


def coverage_lines(figures: dict[str, Any]) -> list[str]:
    c = figures["coverage"]
    return [
        f"Hugging Face models: {c['hf_models']:,} ({c['hf_models_with_country']:,} with a known author country, "
        f"{c['hf_models_without_created_at']:,} without a creation date); snapshot days: {c['hf_snapshot_days']}.",
        f"GitHub repositories: {c['gh_repos']:,} ({c['gh_repos_with_country']:,} with a known owner country); "
        f"snapshot days: {c['gh_snapshot_days']}.",
        f"Accounts: {c['accounts']:,} ({c['accounts_with_country']:,} with a country).",
    ]


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
    lines = [
        f"# {TITLE} Report of {figures['report_date']}",
        "",
        f"**Verdict: {verdict['overall']}** ({verdict['rising']} rising, {verdict['flat']} flat, "
        f"{verdict['falling']} falling, {verdict['without_history']} without enough history).",
        "",
        f"Rule: {verdict['rule']}",
        "",
        "## What changed since the previous report",
        "",
        *(f"- {change}" for change in figures["changes"]),
        "",
        "## Signals",
        "",
        "Shares are of the total including the unknown country; CN alone, HK and MO count as other.",
        "",
        *md_table(*summary_table(figures)),
    ]
    for signal in figures["signals"].values():
        lines += [f"### {signal['title']}", "", signal["definition"], "", *md_table(*group_table(signal))]
    lines += ["## New derivatives by root publisher", "", *md_table(*roots_table(figures))]
    lines += ["## Top publishers", "", *md_table(*publishers_table(figures))]
    lines += ["## Comparison with the literature", "", *md_table(*literature_table(figures))]
    lines += ["## Coverage", "", *(f"- {line}" for line in coverage_lines(figures)), ""]
    lines += ["## Limits", "", *(f"- {limit}" for limit in LIMITS), ""]
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
        return '<p class="note"><em>insufficient data for a chart (fewer than two months)</em></p>'
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
        f'<p class="verdict">Verdict: <strong>{e(verdict["overall"])}</strong> ({verdict["rising"]} rising, '
        f"{verdict['flat']} flat, {verdict['falling']} falling, {verdict['without_history']} without enough "
        "history)</p>",
        f'<p class="note">Rule: {e(verdict["rule"])}</p>',
        "<h2>What changed since the previous report</h2><ul>",
        *(f"<li>{e(change)}</li>" for change in figures["changes"]),
        "</ul><h2>Signals</h2>",
        "<p>Shares are of the total including the unknown country; CN alone, HK and MO count as other.</p>",
        html_table(*summary_table(figures)),
    ]
    for key, signal in figures["signals"].items():
        parts += [
            f"<h3>{e(signal['title'])}</h3><p>{e(signal['definition'])}</p>",
            _image(charts.get(key), f"share over time: {signal['title']}"),
            html_table(*group_table(signal)),
        ]
    parts += [
        "<h2>New derivatives by root publisher</h2>",
        _image(charts.get("derivatives_by_root_publisher"), "new derivatives by root namespace"),
        html_table(*roots_table(figures)),
    ]
    parts += ["<h2>Top publishers</h2>", _image(charts.get("top_publishers"), "top publishers")]
    parts += [html_table(*publishers_table(figures))]
    parts += ["<h2>Comparison with the literature</h2>", html_table(*literature_table(figures))]
    parts += ["<h2>Coverage</h2><ul>", *(f"<li>{e(line)}</li>" for line in coverage_lines(figures)), "</ul>"]
    parts += ["<h2>Limits</h2><ul>", *(f"<li>{e(limit)}</li>" for limit in LIMITS), "</ul>"]
    embedded = json.dumps(figures, ensure_ascii=False).replace("</", "<\\/")
    parts += [f'<script type="application/json" id="report-figures">{embedded}</script>', "</body></html>"]
    return "\n".join(parts)
