"""The claim's verdict: per signal (China's share now, a year earlier, trend, crossover, call) and overall.

Overall rule (stated in README.md, "The verdict rule"): among the signals counted in the verdict that have
enough history (at least MIN_POINTS monthly points in the trailing year),
- "supported" when more than half are rising and none is falling;
- "not supported" when none is rising;
- "mixed" otherwise;
- "insufficient data" when no counted signal has enough history.
A signal is rising (falling) when the whole 95% interval of its China-share slope lies above (below) zero and
the slope is at least FLAT_TOLERANCE_PP percentage points per month; otherwise it is flat.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.analyses.signals import SignalResult
from tracker.analyses.trends import MIN_POINTS, Trend, add_months, crossover_month, ols_trend

INSUFFICIENT_HISTORY = "insufficient history"
INSUFFICIENT_DATA = "insufficient data"

RULE = (
    f"Counted signals with at least {MIN_POINTS} monthly points: supported when more than half have a rising China "
    "share and none a falling one; not supported when none is rising; mixed otherwise. Rising/falling: the "
    "whole 95% interval of the OLS slope (trailing 12 months) is above/below zero."
)


@dataclass(frozen=True)
class SignalVerdict:
    key: str
    title: str
    in_verdict: bool
    cn_share_now: float | None
    us_share_now: float | None
    unknown_share_now: float | None
    cn_share_year_ago: float | None
    trend: Trend | None
    crossover_month: str | None
    cn_ahead_from_start: bool
    call: str  # rising / flat / falling / insufficient history / insufficient data


@dataclass(frozen=True)
class Verdict:
    overall: str
    rule: str
    signals: list[SignalVerdict]
    rising: int
    flat: int
    falling: int
    without_history: int


def assess_signal(result: SignalResult) -> SignalVerdict:
    """China's share now and a year earlier, its trend and crossover, and the call for one signal."""
    cn_series = [(point.month, point.shares["CN"] or 0.0) for point in result.monthly]
    trend = ols_trend(cn_series)
    now_month = result.monthly[-1].month if result.monthly else None
    year_ago = None
    if now_month:
        wanted = add_months(now_month, -12)
        year_ago = next((p.shares["CN"] for p in result.monthly if p.month == wanted), None)
    crossover, ahead = crossover_month(
        [(p.month, p.shares["CN"] or 0.0, p.shares["US"] or 0.0) for p in result.monthly]
    )
    if result.latest_total <= 0 and not result.monthly:
        call = INSUFFICIENT_DATA
    elif trend is None:
        call = INSUFFICIENT_HISTORY
    else:
        call = trend.call
    return SignalVerdict(
        key=result.spec.key,
        title=result.spec.title,
        in_verdict=result.spec.in_verdict,
        cn_share_now=result.latest_shares["CN"],
        us_share_now=result.latest_shares["US"],
        unknown_share_now=result.latest_shares["unknown"],
        cn_share_year_ago=year_ago,
        trend=trend,
        crossover_month=crossover,
        cn_ahead_from_start=ahead,
        call=call,
    )


def overall_call(calls: list[str]) -> str:
    """Apply the rule to the calls of the counted signals."""
    judged = [call for call in calls if call in ("rising", "flat", "falling")]
    if not judged:
        return INSUFFICIENT_DATA
    rising, falling = judged.count("rising"), judged.count("falling")
    if rising * 2 > len(judged) and falling == 0:
        return "supported"
    if rising == 0:
        return "not supported"
    return "mixed"


def assess(results: list[SignalResult]) -> Verdict:
    """The per-signal verdicts and the overall one."""
    signals = [assess_signal(result) for result in results]
    counted = [signal.call for signal in signals if signal.in_verdict]
    return Verdict(
        overall=overall_call(counted),
        rule=RULE,
        signals=signals,
        rising=counted.count("rising"),
        flat=counted.count("flat"),
        falling=counted.count("falling"),
        without_history=sum(call in (INSUFFICIENT_HISTORY, INSUFFICIENT_DATA) for call in counted),
    )
