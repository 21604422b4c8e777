"""Trends of monthly shares: an OLS slope with a Newey-West (HAC) 95% interval, a change-of-direction check,
and crossovers.

Why OLS on monthly shares: each monthly share already aggregates many items, the question is whether it
drifts, and a straight line over a trailing year is a summary readers can check by eye. Monthly shares are
autocorrelated, so the interval uses heteroskedasticity- and autocorrelation-consistent (Newey-West, Bartlett
kernel) standard errors from statsmodels, with the small-sample correction n/(n-k) and Student t quantiles
with n-2 degrees of freedom. The lag truncation is the Newey-West (1994) rule floor(4 (n/100)^(2/9)), at
least one lag.

A straight line is only a fair summary when the window holds no change of direction. `direction_change`
fits, for every month with at least MIN_SEGMENT points on each side, a continuous two-segment line (a hinge
at that month) and keeps the best one. The window "changed direction" there when the two slopes have
opposite signs, each at least FLAT_TOLERANCE_PP in size, and the hinge improves on the straight line by an
F test at BREAK_ALPHA. The hinge month is searched for, which makes the nominal F level optimistic; the
strict 1% level is chosen for that reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TREND_WINDOW_MONTHS = 12  # the trailing window the slope is fitted over
MIN_POINTS = 6  # fewer comparable monthly points than this: "insufficient history"
FLAT_TOLERANCE_PP = 0.05  # slopes smaller than this (pp/month) are called flat even when "significant"
MIN_SEGMENT = 3  # points each side of a candidate change of direction
BREAK_ALPHA = 0.01  # F-test level for a change of direction


@dataclass(frozen=True)
class DirectionChange:
    """The window's line bends at `month`: slopes (pp/month) before and after, and the F test's p-value."""

    month: str
    slope_before_pp: float
    slope_after_pp: float
    p_value: float


@dataclass(frozen=True)
class Trend:
    """Slope of a share in percentage points per month with its HAC 95% interval, over `points` months."""

    slope_pp: float
    low_pp: float
    high_pp: float
    points: int
    first_month: str
    last_month: str
    hac_lags: int
    change: DirectionChange | None = None

    @property
    def call(self) -> str:
        """rising / falling when the whole 95% interval lies on one side of zero, "changed direction in
        MONTH" when a line does not describe the window, else flat."""
        if self.change is not None:
            return f"changed direction in {self.change.month}"
        if self.low_pp > 0 and self.slope_pp >= FLAT_TOLERANCE_PP:
            return "rising"
        if self.high_pp < 0 and self.slope_pp <= -FLAT_TOLERANCE_PP:
            return "falling"
        return "flat"


def month_index(month: str) -> int:
    """`YYYY-MM` as a month count, so gaps between months are respected."""
    year, number = month.split("-")[:2]
    return int(year) * 12 + int(number) - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, delta: int) -> str:
    return month_name(month_index(month) + delta)


def newey_west_lags(n: int) -> int:
    """The Newey-West (1994) lag truncation floor(4 (n/100)^(2/9)), at least one."""
    return max(1, math.floor(4 * (n / 100) ** (2 / 9)))


def ols_hac(exog: np.ndarray, endog: np.ndarray, lags: int):  # type: ignore[no-untyped-def]
    """statsmodels OLS results with Newey-West covariance (Bartlett kernel, small-sample correction, t)."""
    from statsmodels.regression.linear_model import OLS  # imported here: it takes a second to load

    return OLS(endog, exog).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
    )


def _window(points: list[tuple[str, float]], window: int) -> list[tuple[int, float]]:
    last = max(month_index(month) for month, _ in points)
    return sorted((month_index(m), v * 100.0) for m, v in points if month_index(m) > last - window)


def direction_change(recent: list[tuple[int, float]]) -> DirectionChange | None:
    """The best continuous two-segment fit, when it shows a significant change of direction (module doc)."""
    from statsmodels.regression.linear_model import OLS

    n = len(recent)
    if n < 2 * MIN_SEGMENT + 1:
        return None
    xs = np.array([x for x, _ in recent], dtype=float)
    ys = np.array([y for _, y in recent], dtype=float)
    line = OLS(ys, np.column_stack([np.ones(n), xs])).fit()
    best = None
    for position in range(MIN_SEGMENT - 1, n - MIN_SEGMENT):
        hinge = xs[position]
        exog = np.column_stack([np.ones(n), xs, np.maximum(0.0, xs - hinge)])
        fit = OLS(ys, exog).fit()
        if best is None or fit.ssr < best[1].ssr:
            best = (position, fit)
    assert best is not None
    position, fit = best
    before, after = fit.params[1], fit.params[1] + fit.params[2]
    if line.ssr <= 0 or fit.ssr >= line.ssr:
        return None
    _, p_value, _ = fit.compare_f_test(line)
    opposite = before * after < 0 and min(abs(before), abs(after)) >= FLAT_TOLERANCE_PP
    if not opposite or p_value >= BREAK_ALPHA:
        return None
    return DirectionChange(
        month=month_name(int(xs[position])),
        slope_before_pp=float(before),
        slope_after_pp=float(after),
        p_value=float(p_value),
    )


def ols_trend(points: list[tuple[str, float]], window: int = TREND_WINDOW_MONTHS) -> Trend | None:
    """OLS of shares (fractions) on month over the trailing `window` months; None below MIN_POINTS points."""
    if not points:
        return None
    recent = _window(points, window)
    n = len(recent)
    if n < MIN_POINTS:
        return None
    xs = np.array([x for x, _ in recent], dtype=float)
    ys = np.array([y for _, y in recent], dtype=float)
    exog = np.column_stack([np.ones(n), xs - xs[0]])
    lags = newey_west_lags(n)
    if np.ptp(ys) == 0:  # a constant share: no variance to estimate, the slope is exactly zero
        slope, low, high = 0.0, 0.0, 0.0
    else:
        result = ols_hac(exog, ys, lags)
        low, high = result.conf_int(alpha=0.05)[1]
        slope = float(result.params[1])
    return Trend(
        slope_pp=float(slope),
        low_pp=float(low),
        high_pp=float(high),
        points=n,
        first_month=month_name(int(xs[0])),
        last_month=month_name(int(xs[-1])),
        hac_lags=lags,
        change=direction_change(recent),
    )


def crossover_month(series: list[tuple[str, float, float]]) -> tuple[str | None, bool]:
    """(first month China's share exceeded the US's, whether it already led in the first month).

    `series` is (month, china_share, us_share) in any order. A first month where China already led is not
    a crossover we observed: it is returned with the flag set, so readers are not told a date we cannot see.
    """
    ordered = sorted(series, key=lambda row: month_index(row[0]))
    for position, (month, china, us) in enumerate(ordered):
        if china > us:
            return month, position == 0
    return None, False
