"""Trends of monthly shares: an OLS slope in percentage points per month with a 95% interval, and crossovers.

Why OLS on monthly shares: each monthly share is already an aggregate over many items, the question is
whether it drifts, and a straight line over a trailing year is the simplest summary readers can check by eye.
The interval uses the Student t quantile with n-2 degrees of freedom (computed here: scipy is not a
dependency). Its limit: months are not independent (autocorrelated residuals make the interval too narrow),
so calls near the edge deserve caution; the README says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TREND_WINDOW_MONTHS = 12  # the trailing window the slope is fitted over
MIN_POINTS = 6  # fewer monthly points than this: "insufficient history"
FLAT_TOLERANCE_PP = 0.05  # slopes smaller than this (pp/month) are called flat even when "significant"


@dataclass(frozen=True)
class Trend:
    """Slope of a share in percentage points per month with its 95% interval, over `points` months."""

    slope_pp: float
    low_pp: float
    high_pp: float
    points: int
    first_month: str
    last_month: str

    @property
    def call(self) -> str:
        """rising / falling when the whole 95% interval lies on one side of zero, else flat."""
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


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The `p` quantile of Student's t (bisection on the CDF; accurate to ~1e-10)."""
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


def ols_trend(points: list[tuple[str, float]], window: int = TREND_WINDOW_MONTHS) -> Trend | None:
    """OLS of shares (fractions) on month over the trailing `window` months; None below MIN_POINTS points."""
    if not points:
        return None
    last = max(month_index(month) for month, _ in points)
    recent = sorted((month_index(m), v * 100.0) for m, v in points if month_index(m) > last - window)
    n = len(recent)
    if n < MIN_POINTS:
        return None
    xs = [x for x, _ in recent]
    ys = [y for _, y in recent]
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in recent) / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in recent)
    standard_error = math.sqrt(residual / (n - 2) / sxx)
    half_width = t_quantile(0.975, n - 2) * standard_error
    return Trend(
        slope_pp=slope,
        low_pp=slope - half_width,
        high_pp=slope + half_width,
        points=n,
        first_month=month_name(xs[0]),
        last_month=month_name(xs[-1]),
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
