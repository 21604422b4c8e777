"""The one mapping from a report's figures dict (tracker.reports.figures) to what the web pages show.

Pages read figures only through this module, so a change to the figures dict is adapted here. Keys that newer
figures carry (`share_attributed`, `coverage`, an eligibility reason per signal) are shown when present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.analyses.regions import GROUPS

# Per-signal keys added by later figures versions, shown when present: (key, label, kind).
_OPTIONAL_SIGNAL_FIELDS = (
    ("share_attributed", "CN share of attributed", "pct"),
    ("coverage", "coverage", "pct"),
    ("eligibility_reason", "eligibility", "text"),
    ("eligibility", "eligibility", "text"),
    ("reason", "reason", "text"),
)


def fmt_pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.2f}%"


def fmt_number(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):,.0f}"


def fmt_trend(trend: dict[str, Any] | None) -> str:
    if not trend:
        return "insufficient history"
    text = (
        f"{trend['slope_pp_per_month']:+.3f} pp/month "
        f"[{trend['ci95_low']:+.3f}, {trend['ci95_high']:+.3f}] ({trend['points']} months)"
    )
    method = trend.get("method") or trend.get("interval")
    return f"{text}, {method}" if isinstance(method, str) else text


def _optional(signal: dict[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for key, label, kind in _OPTIONAL_SIGNAL_FIELDS:
        value = signal.get(key)
        if value is None:
            continue
        if isinstance(value, dict):  # e.g. coverage given as {"share": ..., ...}
            value = value.get("share", value.get("pct", value.get("value")))
            if value is None:
                continue
        shown.append((label, fmt_pct(value) if kind == "pct" and not isinstance(value, str) else str(value)))
    return shown


@dataclass(frozen=True)
class SignalHeadline:
    key: str
    title: str
    unit: str
    definition: str
    as_of: str
    in_verdict: bool
    cn_now: str
    cn_year_ago: str
    us_now: str
    unknown_now: str
    trend: str
    call: str
    extra: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Series:
    """A chart's data: months on x, one share series (percent or None) per country group."""

    months: list[str]
    totals: list[Any]
    groups: dict[str, list[float | None]]


def verdict_of(figures: dict[str, Any]) -> dict[str, Any]:
    verdict = figures.get("verdict") or {}
    return {
        "overall": verdict.get("overall", "insufficient data"),
        "rule": verdict.get("rule", ""),
        "counts": {name: verdict.get(name) for name in ("rising", "flat", "falling", "without_history")},
    }


def headline(key: str, signal: dict[str, Any]) -> SignalHeadline:
    latest = signal.get("latest") or {}
    return SignalHeadline(
        key=key,
        title=signal.get("title", key),
        unit=signal.get("unit", ""),
        definition=signal.get("definition", ""),
        as_of=str(latest.get("as_of") or "no data"),
        in_verdict=bool(signal.get("in_verdict", True)),
        cn_now=fmt_pct(signal.get("cn_share_now")),
        cn_year_ago=fmt_pct(signal.get("cn_share_year_ago")),
        us_now=fmt_pct(signal.get("us_share_now")),
        unknown_now=fmt_pct(signal.get("unknown_share_now")),
        trend=fmt_trend(signal.get("trend")),
        call=str(signal.get("call", "insufficient data")),
        extra=_optional(signal),
    )


def headlines(figures: dict[str, Any]) -> list[SignalHeadline]:
    return [headline(key, signal) for key, signal in (figures.get("signals") or {}).items()]


def extra_labels(rows: list[SignalHeadline]) -> list[str]:
    """The optional columns any signal has, in declaration order (a table shows n/a where one lacks it)."""
    present = {label for row in rows for label, _ in row.extra}
    return list(dict.fromkeys(label for _, label, _ in _OPTIONAL_SIGNAL_FIELDS if label in present))


def signal(figures: dict[str, Any], key: str) -> dict[str, Any] | None:
    return (figures.get("signals") or {}).get(key)


def series(signal_figures: dict[str, Any]) -> Series:
    monthly = signal_figures.get("monthly") or []
    return Series(
        months=[point["month"] for point in monthly],
        totals=[point.get("total") for point in monthly],
        groups={group: [(point.get("shares") or {}).get(group) for point in monthly] for group in GROUPS},
    )


def latest_rows(signal_figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest figures' top countries (country, value, share)."""
    return list((signal_figures.get("latest") or {}).get("top_countries") or [])


def changes(figures: dict[str, Any]) -> list[str]:
    return [str(line) for line in figures.get("changes") or []]


def top_publishers(figures: dict[str, Any]) -> list[dict[str, Any]]:
    return list(figures.get("top_publishers") or [])


def derivatives_by_root_publisher(figures: dict[str, Any]) -> list[dict[str, Any]]:
    return list(figures.get("derivatives_by_root_publisher") or [])


def coverage(figures: dict[str, Any]) -> dict[str, Any]:
    value = figures.get("coverage")
    return value if isinstance(value, dict) else {}
