"""Every figure of a report as one JSON-ready dict (the content of report.json and of the reports table).

Shares are percentages rounded to two decimals, trends percentage points per month rounded to three, so
the Markdown and HTML show exactly the numbers stored here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tracker.analyses.analysis import Analysis
from tracker.analyses.regions import GROUPS
from tracker.analyses.signals import SignalResult
from tracker.analyses.trends import MIN_POINTS, TREND_WINDOW_MONTHS
from tracker.analyses.verdict import SignalVerdict
from tracker.reports.literature import compare_with_literature


def pct(share: float | None) -> float | None:
    """A fraction as a percentage rounded to two decimals."""
    return None if share is None else round(float(share) * 100.0, 2)


def _shares(shares: dict[str, float | None]) -> dict[str, float | None]:
    return {group: pct(shares.get(group)) for group in GROUPS}


def _signal(result: SignalResult, verdict: SignalVerdict) -> dict[str, Any]:
    trend = verdict.trend
    total = result.latest_total
    return {
        "title": result.spec.title,
        "unit": result.spec.unit,
        "definition": result.spec.definition,
        "history": result.spec.history,
        "in_verdict": result.spec.in_verdict,
        "latest": {
            "as_of": result.latest_label,
            "total": total,
            "shares": _shares(result.latest_shares),
            "top_countries": [
                {"country": country, "value": value, "share": pct(value / total) if total else None}
                for country, value in result.top_countries
            ],
        },
        "cn_share_now": pct(verdict.cn_share_now),
        "cn_share_year_ago": pct(verdict.cn_share_year_ago),
        "us_share_now": pct(verdict.us_share_now),
        "unknown_share_now": pct(verdict.unknown_share_now),
        "trend": None
        if trend is None
        else {
            "slope_pp_per_month": round(trend.slope_pp, 3),
            "ci95_low": round(trend.low_pp, 3),
            "ci95_high": round(trend.high_pp, 3),
            "points": trend.points,
            "from": trend.first_month,
            "to": trend.last_month,
        },
        "crossover_month": verdict.crossover_month,
        "cn_ahead_from_start": verdict.cn_ahead_from_start,
        "call": verdict.call,
        "monthly": [
            {"month": point.month, "total": point.total, "shares": _shares(point.shares)}
            for point in result.monthly
        ],
    }


def build_figures(analysis: Analysis, generated_at: dt.datetime | None = None) -> dict[str, Any]:
    """The report's figures (without `changes`, which need the previous report)."""
    verdict = analysis.verdict
    signals = {
        result.spec.key: _signal(result, signal_verdict)
        for result, signal_verdict in zip(analysis.signals, verdict.signals, strict=True)
    }
    figures: dict[str, Any] = {
        "report_date": analysis.today.isoformat(),
        "generated_at": (generated_at or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"),
        "verdict": {
            "overall": verdict.overall,
            "rule": verdict.rule,
            "rising": verdict.rising,
            "flat": verdict.flat,
            "falling": verdict.falling,
            "without_history": verdict.without_history,
            "min_points": MIN_POINTS,
            "trend_window_months": TREND_WINDOW_MONTHS,
            "signals": {signal.key: signal.call for signal in verdict.signals},
        },
        "signals": signals,
        "derivatives_by_root_publisher": [
            {
                "month": month.month,
                "total": month.total,
                "top": [
                    {
                        "root": entry.root,
                        "country": entry.country,
                        "derivatives": entry.derivatives,
                        "share": pct(entry.share),
                    }
                    for entry in month.top
                ],
            }
            for month in analysis.derivatives_by_root_publisher
        ],
        "top_publishers": [
            {
                "publisher": row.publisher,
                "name": row.name,
                "country": row.country,
                "models": row.models,
                "downloads_30d": row.downloads_30d,
                "likes": row.likes,
                "share": pct(row.share),
            }
            for row in analysis.top_publishers
        ],
        "coverage": dict(vars(analysis.coverage)),
    }
    figures["literature"] = compare_with_literature(figures)
    return figures


def changes_since(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """Sentences saying what changed since the previous report's figures."""
    if not previous:
        return ["This is the first report: there is nothing to compare with yet."]
    changes = []
    before, now = previous.get("verdict", {}).get("overall"), current["verdict"]["overall"]
    if before != now:
        changes.append(f"Overall verdict changed from {before} to {now}.")
    else:
        changes.append(f"Overall verdict unchanged: {now}.")
    for key, signal in current["signals"].items():
        old = (previous.get("signals") or {}).get(key)
        if not old:
            changes.append(f"{signal['title']}: new in this report.")
            continue
        if old.get("call") != signal["call"]:
            changes.append(f"{signal['title']}: call changed from {old.get('call')} to {signal['call']}.")
        old_share, new_share = old.get("cn_share_now"), signal["cn_share_now"]
        if old_share is not None and new_share is not None and old_share != new_share:
            changes.append(
                f"{signal['title']}: China's share {old_share:.2f}% -> {new_share:.2f}% "
                f"({new_share - old_share:+.2f} pp)."
            )
    return changes
