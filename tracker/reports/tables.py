"""The report's text and tables from its figures, shared by the Markdown and HTML renderers."""

from __future__ import annotations

from typing import Any

from tracker.reports.figures import point_day

TITLE = "Is open-source AI shifting to China?"
ATTRIBUTED_GROUPS = ("CN", "CN+HK+MO", "US", "Europe", "other")

SHARES_NOTE = (
    "Shares are of the attributed total (items whose country is known); coverage is the share of the whole "
    "total that is attributed. CN alone; HK and MO count as other, CN+HK+MO is a sensitivity line. The share "
    "of the whole total (unknown country included) is in the column 'CN of total'."
)

LIMITS = [
    "Coverage: only collected models and tracked repositories count. Shares of the attributed total assume "
    "the unattributed part is spread like the attributed part; a low coverage can hide a shift either way, "
    "which is why signals below the coverage threshold do not enter the verdict.",
    "Consistent denominators: a creation month counts only when the whole population was collected for it "
    "(Hugging Face: a completed whole-Hub crawl or a Hub dump covering the month; GitHub: months from the "
    "first GitHub collection on, tracked repositories only); other months and the current month are shown "
    "as partial and left out of trends.",
    "Attribution: a model counts for the country of its author's account or publisher (registry, manual "
    "override or parsed profile location); individuals are often unknown, multinational teams get one "
    "country, and CN excludes HK and MO (CN+HK+MO is shown as a sensitivity line).",
    "Downloads: the Hub's 30-day counts are requests for model files, not users; CI systems, mirrors and "
    "quantised re-uploads inflate some models, and datasets are excluded. A value collected on a day covers "
    "the 30 days before it.",
    "Trends: OLS over the trailing 12 comparable months with Newey-West standard errors (autocorrelation "
    "allowed for, but with a dozen points any interval is rough); a line that bends significantly inside the "
    "window is reported as a change of direction instead of a slope. Signals are weighed equally although "
    "they are not independent (downloads and likes move together).",
    "Points per day: downloads and likes have a point for every roll-up day (each Hub dump read and each "
    "collection day), drawn in their charts and tabled point by point, but their trends use one point per "
    "month: a rolling 30-day count on days a week apart shares about three weeks of downloads with the next, "
    "so daily or weekly points are not independent observations, and months are the unit comparable across "
    "the API and dump eras.",
]

POINTS_NOTE = (
    "A point per roll-up day: every Hub dump read and every collection day rolled up, with that day's figures "
    "(a 30-day download count covers the 30 days before its day). Shares are of the attributed total; coverage "
    "is the share of the whole total that is attributed. Trends and the verdict use the monthly series only."
)


def fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}"


def fmt_trend(trend: dict[str, Any] | None) -> str:
    if trend is None:
        return "insufficient history"
    text = (
        f"{trend['slope_pp_per_month']:+.3f} pp/month "
        f"[{trend['ci95_low']:+.3f}, {trend['ci95_high']:+.3f}] ({trend['points']} months)"
    )
    change = trend.get("change")
    if change:
        text += (
            f"; changed direction in {change['month']}: {change['slope_before_pp_per_month']:+.3f} pp/month "
            f"before, {change['slope_after_pp_per_month']:+.3f} after"
        )
    return text


def fmt_crossover(signal: dict[str, Any]) -> str:
    if signal["crossover_month"] is None:
        return "not observed" if any(not point["partial"] for point in signal["monthly"]) else "n/a"
    text = signal["crossover_month"]
    if signal["cn_ahead_from_start"]:
        text = f"ahead from {text} (first month seen)"
    now, us = signal["cn_share_now"], signal["us_share_now"]
    if now is not None and us is not None and now <= us:
        text += " (behind the US now)"
    return text


def as_of(signal: dict[str, Any]) -> str:
    latest = signal["latest"]
    label = latest["as_of"]
    if signal["history"] == "snapshot" and label != "no data" and signal["unit"] == "downloads":
        return f"{label}, 30 days to that day"
    return label + (", partial month" if latest.get("partial") else "")


def failed_lines(figures: dict[str, Any]) -> list[str]:
    """Collections of this run that failed, in plain words (the report's first lines)."""
    return [f"Warning: {failed['sentence']}." for failed in figures["coverage"]["failed"]]


def _minute(timestamp: str) -> str:
    return timestamp[:16].replace("T", " ") + " UTC"


def coverage_lines(figures: dict[str, Any]) -> list[str]:
    """What the report stands on: per source its collection days and what was collected."""
    c = figures["coverage"]
    sources = c["sources"]

    def days(source: str) -> str:
        s = sources.get(source) or {}
        if not s.get("days"):
            return "no collection yet"
        return f"collected from {s['first']} to {s['last']} ({s['days']} collection days)"

    if c["hub_models"]:
        unlisted = c.get("hf_models_unlisted", 0)
        listed = c["hf_models"] - unlisted
        known = (
            f"{listed:,} models known of the Hub's {c['hub_models']:,} "
            f"({listed / c['hub_models'] * 100:.2f}%, Hub dump of {c['hub_models_on']})"
        ) + (f" and {unlisted:,} no longer listed" if unlisted else "")
    else:
        known = f"{c['hf_models']:,} models known (no Hub dump yet: the Hub's total is unknown)"
    if c["whole_hub"]:
        windows = "; ".join(
            f"{_minute(w['from']) if w['from'] else 'the Hub began'} to {_minute(w['to'])}"
            for w in c["hf_windows"][-5:]
        )
        whole = f"creation times collected for the whole Hub: {windows}"
    else:
        whole = (
            "no whole-Hub crawl or Hub dump has completed, so every creation month of new models and new "
            "derivatives is partial (registry publishers and crawled models only) and stays out of the verdict"
        )
    lines = [
        f"Hugging Face: {days('huggingface')}; {known}, {c['hf_models_with_country']:,} with a known author "
        f"country, {c['hf_models_without_created_at']:,} without a creation date; {whole}.",
        f"GitHub: {days('github')}; {c['gh_repos']:,} repositories tracked ({c['gh_repos_with_country']:,} with "
        f"a known owner country); {c['gh_contributors']:,} contributors tracked (contributor lists "
        f"{days('github_contributors')}). There is no whole-GitHub crawl: new repositories count from the "
        "first GitHub collection's month on, tracked repositories only.",
        f"Accounts: {c['accounts']:,} ({c['accounts_with_country']:,} with a country). A signal enters the "
        f"verdict with attributed coverage of at least {c['min_coverage']:.0f}%.",
    ]
    if c.get("stale_dump"):
        lines.insert(
            1,
            f"Hub dumps: {c['stale_dump']}, more than three days: the Hub's total and the dumps' history stop "
            'there (the daily job reads the newest dump with `[huggingface] source = "dump"`).',
        )
    short = c.get("short_history")
    if short:
        have = " and ".join(
            f"{months} for {HISTORY_NAMES.get(key, key)}"
            for key, months in short["comparable_months"].items()
        )
        lines.insert(
            1,
            f"Hugging Face history is short: the verdict needs {short['needed']} comparable months of downloads "
            f"and likes, and this database has {have}. `{short['command']}` reads their history from the Hub's "
            "daily dumps (back to February 2024) in one command.",
        )
    return lines


HISTORY_NAMES = {"downloads_30d": "downloads", "likes": "likes"}


def counting_lines(signal: dict[str, Any]) -> list[str]:
    """The days the Hub changed how it counts downloads inside this signal's series, in plain words."""
    return [
        f"The Hub changed how it counts downloads on {change['on']} ({change['note']}): the series breaks "
        "there, and a jump across that day is not a shift in use."
        for change in signal.get("counting_changes", [])
    ]


def verdict_line(figures: dict[str, Any]) -> str:
    v = figures["verdict"]
    counts = (
        f"{v['eligible']} of the counted signals have the evidence: {v['rising']} rising, {v['flat']} flat, "
        f"{v['falling']} falling, {v['changed_direction']} changed direction; {v['without_coverage']} with "
        f"insufficient coverage, {v['without_history']} with insufficient history"
    )
    return f"Verdict: {v['overall']} ({counts})."


def headline_lines(figures: dict[str, Any]) -> list[str]:
    """One sentence per signal: China's share of the attributed total, its coverage beside it, the call."""
    lines = []
    for signal in figures["signals"].values():
        if signal["latest"]["total"] <= 0:
            lines.append(f"{signal['title']}: no data yet.")
            continue
        lines.append(
            f"{signal['title']} ({as_of(signal)}): China {fmt_pct(signal['cn_share_now'])} of attributed "
            f"{signal['unit']} (coverage {fmt_pct(signal['coverage'])}), US {fmt_pct(signal['us_share_now'])}; "
            f"call: {signal['call']}"
            + ("" if signal["in_verdict"] else " (not counted in the verdict)")
            + "."
        )
    return lines


def summary_table(figures: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = [
        "signal",
        "as of",
        "CN of attributed",
        "coverage",
        "CN a year earlier",
        "US of attributed",
        "CN of total",
        "CN trend [95% CI, HAC]",
        "CN first above US",
        "call",
    ]
    rows = []
    for signal in figures["signals"].values():
        rows.append(
            [
                signal["title"] + ("" if signal["in_verdict"] else " (not in verdict)"),
                as_of(signal),
                fmt_pct(signal["cn_share_now"]),
                fmt_pct(signal["coverage"]),
                fmt_pct(signal["cn_share_year_ago"]),
                fmt_pct(signal["us_share_now"]),
                fmt_pct(signal["cn_share_now_of_total"]),
                fmt_trend(signal["trend"]),
                fmt_crossover(signal),
                signal["call"],
            ]
        )
    return headers, rows


def _after_change(days: list[str]) -> str:
    return f" (first after the download counting change of {', '.join(days)})"


def _first_points_after_changes(signal: dict[str, Any]) -> dict[str, str]:
    """month -> the counting change(s) its point is the first to be collected after."""
    marks: dict[str, list[str]] = {}
    for change in signal.get("counting_changes", []):
        point = next((p for p in signal["monthly"] if point_day(p).isoformat() >= change["on"]), None)
        if point is not None:
            marks.setdefault(point["month"], []).append(change["on"])
    return {month: _after_change(days) for month, days in marks.items()}


def group_table(signal: dict[str, Any], months: int | None = 13) -> tuple[list[str], list[list[str]]]:
    """The latest figures, then the newest `months` months (all with None), newest first."""
    headers = ["", "total", "coverage", *(f"{g} of attributed" for g in ATTRIBUTED_GROUPS), "CN of total"]

    def row(label: str, point: dict[str, Any]) -> list[str]:
        return [
            label,
            fmt_number(point["total"]),
            fmt_pct(point["coverage"]),
            *(fmt_pct(point["share_attributed"].get(g)) for g in ATTRIBUTED_GROUPS),
            fmt_pct(point["shares"].get("CN")),
        ]

    rows = [row(f"latest ({as_of(signal)})", signal["latest"])]
    after_change = _first_points_after_changes(signal)
    for point in signal["monthly"][-months if months else 0 :][::-1]:
        label = point["month"] + (" (partial)" if point["partial"] else "")
        if point.get("collected_on"):
            label += f", collected {point['collected_on']}"
        if point["month"] in after_change:
            label += after_change[point["month"]]
        rows.append(row(label, point))
    return headers, rows


def points_line(signal: dict[str, Any]) -> str | None:
    """How many roll-up days a signal has and over what stretch, with their range of coverage (None: none)."""
    points = signal.get("points") or []
    if not points:
        return None
    months = len({point["day"][:7] for point in points})
    text = (
        f"{len(points)} roll-up days from {points[0]['day']} to {points[-1]['day']} "
        f"({months} calendar month{'s' if months != 1 else ''})"
    )
    coverages = [point["coverage"] for point in points if point["coverage"] is not None]
    if coverages:
        text += f", coverage {fmt_pct(min(coverages))} to {fmt_pct(max(coverages))}"
    return text + "."


def points_table(signal: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Every roll-up day of a signal, newest first: attributed total, CN's and the US's shares of it, coverage."""
    headers = ["day", "attributed total", "CN of attributed", "US of attributed", "coverage", "CN of total"]
    rows = []
    for point in (signal.get("points") or [])[::-1]:
        changes = [change["on"] for change in point["counting_changes"]]
        rows.append(
            [
                point["day"] + (_after_change(changes) if changes else ""),
                fmt_number(point["attributed_total"]),
                fmt_pct(point["share_attributed"].get("CN")),
                fmt_pct(point["share_attributed"].get("US")),
                fmt_pct(point["coverage"]),
                fmt_pct(point["shares"].get("CN")),
            ]
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
        label = month["month"] + (" (partial)" if month.get("partial") else "")
        rows.append([label, fmt_number(month["total"]), tops])
    return headers, rows


def literature_table(figures: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = [
        "id",
        "published metric",
        "period",
        "published value",
        "ours (same definition)",
        "note",
        "source",
    ]
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
