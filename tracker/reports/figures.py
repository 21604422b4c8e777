"""Every figure of a report as one JSON-ready dict (the content of report.json and of the reports table).

Shares are percentages rounded to two decimals, trends percentage points per month rounded to three, so
the Markdown and HTML show exactly the numbers stored here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tracker.analyses.analysis import Analysis
from tracker.analyses.coverage import Coverage, merged, stale_dump_note
from tracker.analyses.download_counting import CountingChange, counting_changes
from tracker.analyses.regions import ATTRIBUTED, GROUPS
from tracker.analyses.signals import DailyShares, MonthlyShares, SignalResult
from tracker.analyses.trends import MIN_POINTS, TREND_WINDOW_MONTHS, Trend, month_index, month_name
from tracker.analyses.verdict import MIN_SIGNALS, SignalVerdict, Verdict
from tracker.reports.literature import compare_with_literature

BACKFILL_COMMAND = "tracker backfill huggingface"
HISTORY_SIGNALS = ("downloads_30d", "likes")  # the Hub's snapshot signals a dump backfill gives history


def pct(share: float | None) -> float | None:
    """A fraction as a percentage rounded to two decimals."""
    return None if share is None else round(float(share) * 100.0, 2)


def _shares(shares: dict[str, float | None], groups: tuple[str, ...] = GROUPS) -> dict[str, float | None]:
    return {group: pct(shares.get(group)) for group in groups}


def _day(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _trend(trend: Trend | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    change = trend.change
    return {
        "slope_pp_per_month": round(trend.slope_pp, 3),
        "ci95_low": round(trend.low_pp, 3),
        "ci95_high": round(trend.high_pp, 3),
        "points": trend.points,
        "from": trend.first_month,
        "to": trend.last_month,
        "method": "OLS of China's share of the attributed total, Newey-West (HAC) standard errors",
        "hac_lags": trend.hac_lags,
        "change": None
        if change is None
        else {
            "month": change.month,
            "slope_before_pp_per_month": round(change.slope_before_pp, 3),
            "slope_after_pp_per_month": round(change.slope_after_pp, 3),
            "p_value": round(change.p_value, 4),
        },
    }


def point_day(point: dict[str, Any]) -> dt.date:
    """The day a snapshot signal's point describes: a daily point's day, a monthly point's collection day,
    else the month's last day."""
    if point.get("day"):
        return dt.date.fromisoformat(point["day"])
    if point.get("collected_on"):
        return dt.date.fromisoformat(point["collected_on"])
    return dt.date.fromisoformat(month_name(month_index(point["month"]) + 1) + "-01") - dt.timedelta(days=1)


def _changes(changes: list[CountingChange]) -> list[dict[str, str]]:
    return [{"on": change.on.isoformat(), "note": change.note} for change in changes]


def _counting_changes(points: list[dict[str, Any]], unit: str, history: str) -> list[dict[str, str]]:
    """The days the Hub changed how it counts model downloads inside a downloads series (first to last point,
    monthly and daily)."""
    if unit != "downloads" or history != "snapshot" or not points:
        return []
    days = [point_day(point) for point in points]
    return _changes(counting_changes(min(days), max(days), "models"))


def _values(point: MonthlyShares | DailyShares) -> dict[str, Any]:
    """A point's totals, shares of the whole and of the attributed total, and coverage."""
    return {
        "total": point.total,
        "attributed_total": point.attributed_total,
        "shares": _shares(point.shares),
        "share_attributed": _shares(point.shares_attributed, ATTRIBUTED),
        "coverage": pct(point.coverage),
    }


def _monthly(point: MonthlyShares) -> dict[str, Any]:
    return {
        "month": point.month,
        **_values(point),
        "partial": point.partial,
        "collected_on": _day(point.collected_on),
    }


def _daily(point: DailyShares) -> dict[str, Any]:
    """A roll-up day's point; `counting_changes`: those since the previous point (this one is counted anew)."""
    return {
        "day": point.day.isoformat(),
        **_values(point),
        "counting_changes": _changes(point.counting_changes),
    }


def _signal(result: SignalResult, verdict: SignalVerdict) -> dict[str, Any]:
    total = result.latest_total
    attributed = result.latest_attributed_total
    monthly = [_monthly(point) for point in result.monthly]
    points = [_daily(point) for point in result.points]
    return {
        "title": result.spec.title,
        "unit": result.spec.unit,
        "definition": result.spec.definition,
        "history": result.spec.history,
        "in_verdict": result.spec.in_verdict,
        "latest": {
            "as_of": result.latest_label,
            "partial": result.latest_partial,
            "total": total,
            "attributed_total": attributed,
            "coverage": pct(result.latest_coverage),
            "shares": _shares(result.latest_shares),
            "share_attributed": _shares(result.latest_shares_attributed, ATTRIBUTED),
            "top_countries": [
                {
                    "country": country,
                    "value": value,
                    "share": pct(value / total) if total else None,
                    "share_attributed": pct(value / attributed) if country and attributed else None,
                }
                for country, value in result.top_countries
            ],
        },
        "cn_share_now": pct(verdict.cn_share_now),
        "cn_share_now_of_total": pct(verdict.cn_share_now_of_total),
        "cn_share_year_ago": pct(verdict.cn_share_year_ago),
        "us_share_now": pct(verdict.us_share_now),
        "unknown_share_now": pct(verdict.unknown_share_now),
        "coverage": pct(verdict.coverage_now),
        "window_coverage": pct(verdict.window_coverage),
        "comparable_months": verdict.comparable_months,
        "eligible": verdict.eligible,
        "eligibility": ", ".join(verdict.reasons) if verdict.reasons else "eligible",
        "trend": _trend(verdict.trend),
        "crossover_month": verdict.crossover_month,
        "cn_ahead_from_start": verdict.cn_ahead_from_start,
        "call": verdict.call,
        "monthly": monthly,
        "points": points,
        "counting_changes": _counting_changes(monthly + points, result.spec.unit, result.spec.history),
    }


def _short_history(verdict: Verdict) -> dict[str, Any] | None:
    """The Hub's downloads and likes with fewer comparable months than the verdict needs: what a dump backfill
    would give them (None once both have enough)."""
    months = {
        signal.key: signal.comparable_months for signal in verdict.signals if signal.key in HISTORY_SIGNALS
    }
    if all(count >= MIN_POINTS for count in months.values()):
        return None
    return {"comparable_months": months, "needed": MIN_POINTS, "command": BACKFILL_COMMAND}


def _coverage(cover: Coverage, verdict: Verdict, today: dt.date) -> dict[str, Any]:
    counts = {
        name: getattr(cover, name)
        for name in (
            "hf_models",
            "hf_models_unlisted",
            "hf_models_with_country",
            "hf_models_without_created_at",
            "hf_snapshot_days",
            "gh_repos",
            "gh_repos_with_country",
            "gh_snapshot_days",
            "accounts",
            "accounts_with_country",
            "gh_contributors",
        )
    }
    return {
        **counts,
        "sources": {
            source: {"first": _day(c.first), "last": _day(c.last), "days": len(c.days)}
            for source, c in cover.collections.items()
        },
        "hub_models": cover.hub_models,
        "hub_models_on": _day(cover.hub_models_on),
        "newest_dump_on": _day(cover.newest_dump_on),
        "newest_dump_age_days": (today - cover.newest_dump_on).days if cover.newest_dump_on else None,
        "stale_dump": stale_dump_note(cover.newest_dump_on, today),
        "short_history": _short_history(verdict),
        "whole_hub": cover.has_whole_hub,
        "hf_windows": [{"from": _day(low), "to": _day(high)} for low, high in merged(cover.hf_windows)],
        "failed": [
            {"collector": f.collector, "status": f.status, "as_of": _day(f.as_of), "sentence": f.sentence}
            for f in cover.failed
        ],
        "min_coverage": pct(verdict.min_coverage),
    }


def build_figures(analysis: Analysis, generated_at: dt.datetime | None = None) -> dict[str, Any]:
    """The report's figures (without `changes`, which need the previous report).

    Shares named `share_attributed` (and `cn_share_now`, `us_share_now`) are of the attributed total, the
    headline; `shares` (and `cn_share_now_of_total`) are of the whole total, the unknown country included.
    """
    verdict = analysis.verdict
    signals = {
        result.spec.key: _signal(result, signal_verdict)
        for result, signal_verdict in zip(analysis.signals, verdict.signals, strict=True)
    }
    complete_derivative_months = {
        point.month
        for result in analysis.signals
        if result.spec.key == "new_derivatives_by_root"
        for point in result.comparable
    }
    figures: dict[str, Any] = {
        "report_date": analysis.today.isoformat(),
        "generated_at": (generated_at or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"),
        "share_basis": "attributed",
        "verdict": {
            "overall": verdict.overall,
            "rule": verdict.rule,
            "rising": verdict.rising,
            "flat": verdict.flat,
            "falling": verdict.falling,
            "changed_direction": verdict.changed,
            "eligible": verdict.eligible,
            "without_history": verdict.without_history,
            "without_coverage": verdict.without_coverage,
            "min_points": MIN_POINTS,
            "min_signals": MIN_SIGNALS,
            "min_coverage": pct(verdict.min_coverage),
            "trend_window_months": TREND_WINDOW_MONTHS,
            "signals": {signal.key: signal.call for signal in verdict.signals},
        },
        "signals": signals,
        "derivatives_by_root_publisher": [
            {
                "month": month.month,
                "total": month.total,
                "partial": month.month not in complete_derivative_months,
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
        "coverage": _coverage(analysis.coverage, verdict, analysis.today),
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
        if previous.get("share_basis") != current.get("share_basis"):
            continue  # an older report's shares were of the whole total: not comparable
        if old_share is not None and new_share is not None and old_share != new_share:
            changes.append(
                f"{signal['title']}: China's share of the attributed total {old_share:.2f}% -> {new_share:.2f}% "
                f"({new_share - old_share:+.2f} pp)."
            )
    return changes
