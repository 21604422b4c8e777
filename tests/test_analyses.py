"""Signals, trends, crossover and the verdict rule on hand-built databases whose figures are known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.shift_data import D, Rows, build_rising_china, build_small, months
from tracker.analyses.analysis import analyse
from tracker.analyses.publishers import derivatives_by_root_publisher, top_publishers
from tracker.analyses.regions import group_shares
from tracker.analyses.signals import SIGNALS_BY_KEY, compute_signal
from tracker.analyses.trends import MIN_POINTS, crossover_month, ols_trend
from tracker.analyses.verdict import (
    INSUFFICIENT_DATA,
    INSUFFICIENT_EVIDENCE,
    INSUFFICIENT_HISTORY,
    assess_signal,
    overall_call,
)
from tracker.db.engine import Database


def test_groups_put_europe_together_and_keep_cn_alone_with_a_greater_china_line() -> None:
    values = {"CN": 10, "HK": 5, "MO": 1, "US": 20, "FR": 4, "GB": 3, "CH": 2, "NO": 1, "JP": 4, None: 50}
    total, shares = group_shares(values)
    assert total == sum(values.values())
    assert shares["CN"] == pytest.approx(10 / total)
    assert shares["CN+HK+MO"] == pytest.approx(16 / total)
    assert shares["Europe"] == pytest.approx(10 / total)
    assert shares["other"] == pytest.approx(10 / total)  # JP, HK, MO
    assert shares["unknown"] == pytest.approx(50 / total)
    partition = shares["CN"] + shares["US"] + shares["Europe"] + shares["other"] + shares["unknown"]
    assert partition == pytest.approx(1.0)
    assert group_shares({})[1]["CN"] is None


def test_ols_trend_matches_an_independent_least_squares_fit() -> None:
    shares = [0.10, 0.12, 0.11, 0.15, 0.16, 0.15, 0.19, 0.21, 0.20]
    points = [(f"2025-{i + 1:02d}", share) for i, share in enumerate(shares)]
    trend = ols_trend(points)
    x = np.arange(len(shares), dtype=float)
    y = np.array(shares) * 100
    slope, intercept = np.polyfit(x, y, 1)
    assert trend is not None
    assert trend.slope_pp == pytest.approx(slope)
    assert trend.low_pp < trend.slope_pp < trend.high_pp
    assert trend.high_pp - trend.slope_pp == pytest.approx(trend.slope_pp - trend.low_pp)
    assert trend.call == "rising"
    assert ols_trend([(month, 1 - share) for month, share in points]).call == "falling"
    noisy = [0.2, 0.1, 0.25, 0.05, 0.2, 0.1, 0.22]
    assert ols_trend([(f"2025-{i + 1:02d}", s) for i, s in enumerate(noisy)]).call == "flat"


def test_ols_trend_uses_the_trailing_year_and_needs_six_points() -> None:
    assert ols_trend([(f"2025-{i + 1:02d}", 0.1 * i) for i in range(MIN_POINTS - 1)]) is None
    # Two years: falling in the first, rising in the second; only the trailing 12 months count.
    points = [
        (f"{2024 + i // 12}-{i % 12 + 1:02d}", (0.5 - 0.02 * i) if i < 12 else 0.02 * i) for i in range(24)
    ]
    trend = ols_trend(points)
    assert (trend.first_month, trend.last_month, trend.points) == ("2025-01", "2025-12", 12)
    assert trend.slope_pp == pytest.approx(2.0)
    gaps = ols_trend(
        [
            ("2025-01", 0.1),
            ("2025-03", 0.3),
            ("2025-04", 0.4),
            ("2025-06", 0.6),
            ("2025-07", 0.7),
            ("2025-09", 0.9),
        ]
    )
    assert gaps.slope_pp == pytest.approx(10.0)  # months are placed by date, gaps included


def test_crossover_is_the_first_month_china_leads() -> None:
    series = [("2025-03", 0.3, 0.2), ("2025-01", 0.1, 0.3), ("2025-02", 0.2, 0.2), ("2025-04", 0.1, 0.4)]
    assert crossover_month(series) == ("2025-03", False)
    assert crossover_month([("2025-01", 0.5, 0.1)]) == ("2025-01", True)
    assert crossover_month([("2025-01", 0.1, 0.5)]) == (None, False)


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        (["rising", "rising", "flat"], "supported"),
        (["rising", "rising", "falling"], "mixed"),
        (["rising", "flat", "flat"], "mixed"),
        (["flat", "falling", "flat"], "not supported"),
        (["flat", "falling"], INSUFFICIENT_EVIDENCE),  # two eligible signals are not enough
        (["falling"], INSUFFICIENT_EVIDENCE),  # never "not supported" on one signal
        (["rising", "changed direction in 2025-03", "flat"], "mixed"),
        ([], INSUFFICIENT_EVIDENCE),
    ],
)
def test_overall_verdict_rule(calls: list[str], expected: str) -> None:
    assert overall_call(calls) == expected


def test_new_models_signal_shares_trend_crossover_and_verdict(database: Database) -> None:
    with database.session() as session:
        plan = build_rising_china(session, "2024-01", 14)
    today = D(2025, 6, 1)
    result = compute_signal(database, SIGNALS_BY_KEY["new_models"], today)
    assert [point.month for point in result.monthly] == sorted(plan)
    for point in result.monthly:
        china, us, unknown = plan[point.month]
        assert point.total == china + us + unknown
        assert point.shares["CN"] == pytest.approx(china / (china + us + unknown))
        assert point.shares["unknown"] == pytest.approx(unknown / (china + us + unknown))
    verdict = assess_signal(result)
    ordered = sorted(plan)
    expected_cross = next(month for month in ordered if plan[month][0] > plan[month][1])
    assert verdict.crossover_month == expected_cross and not verdict.cn_ahead_from_start
    shares = [plan[m][0] / sum(plan[m][:2]) * 100 for m in ordered[-12:]]
    assert verdict.trend.slope_pp == pytest.approx(np.polyfit(np.arange(12.0), shares, 1)[0])
    assert verdict.call == "rising"
    # The headline shares are of the attributed total (China + US here), coverage beside them.
    china, us, unknown = plan[ordered[-1]]
    assert verdict.cn_share_now == pytest.approx(china / (china + us))
    assert verdict.coverage_now == pytest.approx((china + us) / (china + us + unknown))
    assert verdict.cn_share_now_of_total == pytest.approx(china / (china + us + unknown))
    assert verdict.cn_share_year_ago == pytest.approx(plan[ordered[-13]][0] / sum(plan[ordered[-13]][:2]))

    # The month of `today` is incomplete: shown as partial, left out of the trend.
    partial = compute_signal(
        database, SIGNALS_BY_KEY["new_models"], dt.date.fromisoformat(ordered[-1] + "-20")
    )
    assert [point.month for point in partial.monthly if point.partial] == ordered[-1:]
    assert [point.month for point in partial.comparable] == ordered[:-1]

    analysis = analyse(database, today)
    calls = {signal.key: signal.call for signal in analysis.verdict.signals}
    assert calls["new_models"] == "rising"
    assert calls["downloads_30d"] == INSUFFICIENT_DATA
    assert analysis.verdict.overall == INSUFFICIENT_EVIDENCE  # one eligible signal is not evidence enough


def test_snapshot_signals_need_six_monthly_points(database: Database) -> None:
    days = months("2025-01", MIN_POINTS)
    with database.session() as session:
        rows = Rows(session)
        rows.account("cnlab", "CN")
        rows.account("uslab", "US")
        china = rows.model("cnlab/a", D(2024, 1, 1), downloads=600, metrics_on=days[-1])
        us = rows.model("uslab/b", D(2024, 1, 1), downloads=400, metrics_on=days[-1])
        for i, day in enumerate(days[:-1]):
            rows.model_snapshot(china, day, 100 * (i + 1))
            rows.model_snapshot(us, day, 400)
    spec = SIGNALS_BY_KEY["downloads_30d"]
    before = assess_signal(compute_signal(database, spec, D(2025, 12, 1)))
    assert before.call == INSUFFICIENT_HISTORY
    assert before.cn_share_now == pytest.approx(0.6)  # latest figures exist from day one
    with database.session() as session:
        Rows(session).model_snapshot(china, days[-1], 600)
        Rows(session).model_snapshot(us, days[-1], 400)
    after = assess_signal(compute_signal(database, spec, D(2025, 12, 1)))
    assert after.call == "rising"
    first_ahead = next(day for i, day in enumerate(days) if 100 * (i + 1) > 400)
    assert after.crossover_month == first_ahead.strftime("%Y-%m")


def test_unknown_share_is_reported_beside_every_latest_figure(database: Database) -> None:
    with database.session() as session:
        build_small(session)
    downloads = compute_signal(database, SIGNALS_BY_KEY["downloads_30d"], D(2025, 3, 2))
    assert downloads.latest_total == 5100
    assert downloads.latest_shares["unknown"] == pytest.approx(500 / 5100)
    assert downloads.latest_shares["CN+HK+MO"] == pytest.approx(1400 / 5100)
    assert downloads.latest_label == "2025-03-01"
    by_root = compute_signal(database, SIGNALS_BY_KEY["downloads_30d_by_root"], D(2025, 3, 2))
    assert by_root.latest_shares["CN"] == pytest.approx(1800 / 5100)
    contributions = compute_signal(database, SIGNALS_BY_KEY["github_contributions"], D(2025, 3, 2))
    assert contributions.latest_shares["unknown"] == pytest.approx(0.1)


def test_everything_works_on_an_empty_database(database: Database) -> None:
    analysis = analyse(database, D(2026, 1, 1))
    assert analysis.verdict.overall == INSUFFICIENT_EVIDENCE
    assert all(signal.call == INSUFFICIENT_DATA for signal in analysis.verdict.signals)
    assert analysis.top_publishers == [] and analysis.coverage.hf_models == 0


def test_publisher_tables_rank_publishers_and_root_namespaces(database: Database) -> None:
    with database.session() as session:
        build_small(session)
    publishers = top_publishers(database)
    assert [row.publisher for row in publishers[:2]] == ["meta", "qwen"]
    assert publishers[0].share == pytest.approx(3000 / 5100)
    assert publishers[1].models == 3 and publishers[1].country == "CN"
    (february,) = derivatives_by_root_publisher(database, D(2025, 3, 2))
    assert (february.month, february.total) == ("2025-02", 3)
    assert [(entry.root, entry.country, entry.derivatives) for entry in february.top] == [
        ("qwen", "CN", 2),
        ("meta-llama", "US", 1),
    ]
    assert february.top[0].share == pytest.approx(2 / 3)
    assert derivatives_by_root_publisher(database, D(2025, 2, 20)) == []  # February is not complete yet
