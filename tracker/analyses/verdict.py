"""The claim's verdict: per signal (China's share of the attributed total now and a year earlier, trend,
crossover, eligibility, call) and overall.

A signal enters the verdict only with evidence: at least MIN_POINTS comparable (complete) months in its
trailing 12-month window, and attributed coverage (the share of the window's total with a known country) of at
least `min_coverage` (setting `[verdict] min_coverage`, default 0.5) in every one of those months (without
comparable months: in the latest figures). Otherwise its call says what it lacks:
"insufficient coverage", "insufficient history" (both when both), or "insufficient data" when there is
nothing at all. An eligible signal is rising, falling, flat, or "changed direction in MONTH" (see
tracker.analyses.trends), which counts as neither rising nor falling.

Overall rule (stated in README.md and in every report), among the eligible signals counted in the verdict:
- "insufficient evidence" with fewer than MIN_SIGNALS of them;
- "supported" when more than half are rising and none is falling;
- "not supported" when none is rising;
- "mixed" otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.analyses.signals import MonthlyShares, SignalResult
from tracker.analyses.trends import (
    MIN_POINTS,
    TREND_WINDOW_MONTHS,
    Trend,
    add_months,
    crossover_month,
    month_index,
    ols_trend,
)

DEFAULT_MIN_COVERAGE = 0.5
MIN_SIGNALS = 3  # eligible signals needed for an overall call

INSUFFICIENT_HISTORY = "insufficient history"
INSUFFICIENT_COVERAGE = "insufficient coverage"
INSUFFICIENT_DATA = "insufficient data"
INSUFFICIENT_EVIDENCE = "insufficient evidence"
JUDGED = ("rising", "flat", "falling")


def rule_text(min_coverage: float) -> str:
    """The verdict rule with its thresholds, as every report states it."""
    return (
        f"A signal counts only with at least {MIN_POINTS} comparable months (complete months; partial months "
        f"are left out) in its trailing {TREND_WINDOW_MONTHS}-month window and attributed coverage of at least "
        f"{min_coverage * 100:.0f}% in each of them (without comparable months, in the latest figures); otherwise it says which it lacks (insufficient history, insufficient "
        f"coverage). With fewer than {MIN_SIGNALS} such signals the verdict is insufficient evidence. Otherwise: "
        "supported when more than half have a rising China share of the attributed total and none a falling "
        "one; not supported when none is rising; mixed otherwise. Rising/falling: the whole 95% interval of "
        "the OLS slope (Newey-West standard errors) is above/below zero; a window whose line bends "
        "significantly is reported as changed direction in MONTH and counts as neither."
    )


@dataclass(frozen=True)
class SignalVerdict:
    key: str
    title: str
    in_verdict: bool
    cn_share_now: float | None  # of the attributed total
    us_share_now: float | None  # of the attributed total
    unknown_share_now: float | None  # of the whole total
    coverage_now: float | None  # attributed / total, latest figures
    cn_share_now_of_total: float | None
    cn_share_year_ago: float | None  # of the attributed total, 12 months before the newest comparable month
    trend: Trend | None
    crossover_month: str | None
    cn_ahead_from_start: bool
    comparable_months: int  # comparable months in the trailing window
    window_coverage: float | None  # the lowest attributed coverage of the window's comparable months
    reasons: tuple[str, ...]  # why the signal does not enter the verdict (empty when eligible)
    call: str  # rising / flat / falling / changed direction in MONTH / insufficient ...

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Verdict:
    overall: str
    rule: str
    signals: list[SignalVerdict]
    rising: int
    flat: int
    falling: int
    changed: int
    without_history: int  # counted signals that lack history or data
    without_coverage: int  # counted signals below the coverage threshold
    eligible: int
    min_coverage: float


def _window(comparable: list[MonthlyShares]) -> list[MonthlyShares]:
    if not comparable:
        return []
    last = month_index(comparable[-1].month)
    return [point for point in comparable if month_index(point.month) > last - TREND_WINDOW_MONTHS]


def assess_signal(result: SignalResult, min_coverage: float = DEFAULT_MIN_COVERAGE) -> SignalVerdict:
    """China's attributed share now and a year earlier, trend, crossover, eligibility and call for one signal."""
    comparable = result.comparable
    window = _window(comparable)
    # The window is only as well covered as its worst month (populations differ between collections).
    covered = [point.coverage for point in window if point.coverage is not None]
    window_coverage = min(covered) if covered else result.latest_coverage
    trend = ols_trend(
        [(p.month, p.shares_attributed.get("CN") or 0.0) for p in comparable if p.attributed_total > 0]
    )
    year_ago = None
    if comparable:
        wanted = add_months(comparable[-1].month, -12)
        year_ago = next((p.shares_attributed.get("CN") for p in comparable if p.month == wanted), None)
    crossover, ahead = crossover_month(
        [
            (p.month, p.shares_attributed.get("CN") or 0.0, p.shares_attributed.get("US") or 0.0)
            for p in comparable
            if p.attributed_total > 0
        ]
    )
    reasons: list[str] = []
    if result.latest_total <= 0 and not result.monthly:
        reasons.append(INSUFFICIENT_DATA)
    else:
        if window_coverage is None or window_coverage < min_coverage:
            reasons.append(INSUFFICIENT_COVERAGE)
        if len(window) < MIN_POINTS or trend is None:
            reasons.append(INSUFFICIENT_HISTORY)
    call = ", ".join(reasons) if reasons else trend.call  # type: ignore[union-attr]
    return SignalVerdict(
        key=result.spec.key,
        title=result.spec.title,
        in_verdict=result.spec.in_verdict,
        cn_share_now=result.latest_shares_attributed.get("CN"),
        us_share_now=result.latest_shares_attributed.get("US"),
        unknown_share_now=result.latest_shares.get("unknown"),
        coverage_now=result.latest_coverage,
        cn_share_now_of_total=result.latest_shares.get("CN"),
        cn_share_year_ago=year_ago,
        trend=trend,
        crossover_month=crossover,
        cn_ahead_from_start=ahead,
        comparable_months=len(window),
        window_coverage=window_coverage,
        reasons=tuple(reasons),
        call=call,
    )


def overall_call(calls: list[str]) -> str:
    """Apply the rule to the calls of the eligible counted signals (rising / flat / falling / changed ...)."""
    if len(calls) < MIN_SIGNALS:
        return INSUFFICIENT_EVIDENCE
    rising, falling = calls.count("rising"), calls.count("falling")
    if rising * 2 > len(calls) and falling == 0:
        return "supported"
    if rising == 0:
        return "not supported"
    return "mixed"


def assess(results: list[SignalResult], min_coverage: float = DEFAULT_MIN_COVERAGE) -> Verdict:
    """The per-signal verdicts and the overall one."""
    signals = [assess_signal(result, min_coverage) for result in results]
    counted = [signal for signal in signals if signal.in_verdict]
    eligible = [signal.call for signal in counted if signal.eligible]
    return Verdict(
        overall=overall_call(eligible),
        rule=rule_text(min_coverage),
        signals=signals,
        rising=eligible.count("rising"),
        flat=eligible.count("flat"),
        falling=eligible.count("falling"),
        changed=sum(call.startswith("changed direction") for call in eligible),
        without_history=sum(
            INSUFFICIENT_HISTORY in signal.reasons or INSUFFICIENT_DATA in signal.reasons
            for signal in counted
        ),
        without_coverage=sum(INSUFFICIENT_COVERAGE in signal.reasons for signal in counted),
        eligible=len(eligible),
        min_coverage=min_coverage,
    )
