"""Trend statistics: Newey-West intervals against published reference values and a computation written out
here, and the change-of-direction check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tracker.analyses.trends import (
    FLAT_TOLERANCE_PP,
    MIN_POINTS,
    add_months,
    direction_change,
    newey_west_lags,
    ols_hac,
    ols_trend,
)


def test_hac_covariance_matches_r_sandwich_reference_values() -> None:
    """The regression of statsmodels' own HAC test (macrodata, investment growth on GDP growth and the real
    interest rate), whose reference values come from R: sandwich::NeweyWest(fm, lag = 4, prewhite = FALSE,
    adjust = TRUE)."""
    from statsmodels.datasets import macrodata

    data = macrodata.load_pandas().data
    gdp_growth = 400 * np.diff(np.log(data["realgdp"].to_numpy()))
    investment_growth = 400 * np.diff(np.log(data["realinv"].to_numpy()))
    exog = np.column_stack([np.ones(len(gdp_growth)), gdp_growth, data["realint"].to_numpy()[:-1]])
    result = ols_hac(exog, investment_growth, lags=4)
    r_reference = [
        [+1.40643899878678802, -0.3180328707083329709, -0.060621111216488610],
        [-0.31803287070833292, 0.1097308348999818661, +0.000395311760301478],
        [-0.06062111121648865, 0.0003953117603014895, +0.087511528912470993],
    ]
    assert np.allclose(result.cov_params(), r_reference, rtol=1e-7)
    assert np.allclose(result.bse, np.sqrt(np.diag(r_reference)), rtol=1e-7)


def newey_west_by_hand(x: np.ndarray, y: np.ndarray, lags: int) -> tuple[float, float]:
    """Slope and its HAC standard error written out: Bartlett weights 1 - l/(L+1), correction n/(n-k)."""
    n = len(x)
    design = np.column_stack([np.ones(n), x])
    beta = np.linalg.solve(design.T @ design, design.T @ y)
    scores = design * (y - design @ beta)[:, None]
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        weight = 1 - lag / (lags + 1)
        gamma = scores[lag:].T @ scores[:-lag]
        meat += weight * (gamma + gamma.T)
    bread = np.linalg.inv(design.T @ design)
    covariance = bread @ meat @ bread * n / (n - 2)
    return beta[1], math.sqrt(covariance[1, 1])


def test_trend_interval_is_the_newey_west_interval_computed_by_hand() -> None:
    shares = [0.10, 0.14, 0.11, 0.16, 0.15, 0.19, 0.18, 0.22, 0.20, 0.25, 0.23, 0.27]
    months = [add_months("2024-03", i) for i in range(len(shares))]
    trend = ols_trend(list(zip(months, shares, strict=True)))
    x = np.arange(len(shares), dtype=float)
    slope, se = newey_west_by_hand(x, np.array(shares) * 100, newey_west_lags(len(shares)))
    half = stats.t.ppf(0.975, len(shares) - 2) * se
    assert trend is not None and trend.hac_lags == 2
    assert trend.slope_pp == pytest.approx(slope)
    assert (trend.low_pp, trend.high_pp) == pytest.approx((slope - half, slope + half))
    assert trend.call == "rising" and trend.change is None


def test_newey_west_lag_rule() -> None:
    assert [newey_west_lags(n) for n in (6, 12, 100, 200)] == [2, 2, 4, 4]


def test_a_peak_inside_the_window_is_a_change_of_direction_not_a_line() -> None:
    # Up 5 pp a month to 2024-09, then down 5 pp a month: a straight line through it would say "flat".
    shares = [0.30 + 0.05 * i for i in range(6)] + [0.55 - 0.05 * i for i in range(1, 7)]
    months = [add_months("2024-04", i) for i in range(len(shares))]
    trend = ols_trend(list(zip(months, shares, strict=True)))
    assert trend is not None and trend.change is not None
    assert trend.change.month == "2024-09"
    assert trend.change.slope_before_pp == pytest.approx(5.0)
    assert trend.change.slope_after_pp == pytest.approx(-5.0)
    assert trend.call == "changed direction in 2024-09"


def test_noise_around_a_line_is_no_change_of_direction() -> None:
    rng = np.random.default_rng(7)
    shares = 0.2 + 0.01 * np.arange(12) + rng.normal(0, 0.004, 12)
    points = [(add_months("2024-01", i), float(value)) for i, value in enumerate(shares)]
    trend = ols_trend(points)
    assert trend is not None and trend.change is None and trend.call == "rising"
    recent = [(i, v * 100) for i, v in enumerate(shares)]
    assert direction_change(recent[: 2 * 3]) is None  # too few points for two segments


def test_small_or_constant_series() -> None:
    assert ols_trend([(add_months("2025-01", i), 0.1 * i) for i in range(MIN_POINTS - 1)]) is None
    flat = ols_trend([(add_months("2025-01", i), 0.3) for i in range(MIN_POINTS)])
    assert flat is not None and flat.slope_pp == 0 and flat.call == "flat"
    assert FLAT_TOLERANCE_PP > 0
