"""A verdict that needs evidence, on generated worlds whose truth each test computes itself: attributed shares
and coverage per month, partial months left out, eligibility (coverage, history, three signals), and the
issue's "done when" on a database built like the real-data run (registry publishers plus a 30-day crawl)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from tests.shift_data import D, Rows, build_world, cover_hub, utc
from tracker.analyses.analysis import analyse
from tracker.analyses.signals import SIGNALS_BY_KEY, compute_signal
from tracker.analyses.trends import add_months, month_index
from tracker.analyses.verdict import (
    INSUFFICIENT_COVERAGE,
    INSUFFICIENT_EVIDENCE,
    INSUFFICIENT_HISTORY,
    assess_signal,
)
from tracker.config import ConfigError, load_settings
from tracker.db.engine import Database
from tracker.db.models import CollectionRun
from tracker.reports import write_report
from tracker.reports.render import fmt_pct

START = "2024-01"


def plan_of(count: int, cn: callable, us: callable, unknown: callable, fr: callable = lambda i: 2) -> dict:
    return {
        add_months(START, i): {"CN": cn(i), "US": us(i), "FR": fr(i), None: unknown(i)} for i in range(count)
    }


def month_complete(month: str, windows: list[tuple[dt.datetime | None, dt.datetime]], today: dt.date) -> bool:
    """Worked out independently: some window holds the whole month (the windows in these tests never need a
    union), and the month is over."""
    year, number = map(int, month.split("-"))
    start = utc(year, number)
    end = utc(year + number // 12, number % 12 + 1)
    inside = any((low is None or low <= start) and high >= end for low, high in windows)
    return inside and month < today.strftime("%Y-%m")


def test_attributed_shares_coverage_and_partial_months(database: Database) -> None:
    rng = np.random.default_rng(14)
    plan = plan_of(
        14,
        cn=lambda i: int(rng.integers(2, 9)) + i,
        us=lambda i: int(rng.integers(5, 12)),
        unknown=lambda i: int(rng.integers(0, 15)),
    )
    windows = [(None, utc(2024, 3, 10)), (utc(2024, 6, 1), utc(2025, 3, 1))]
    today = D(2025, 2, 20)  # February 2025 is the current month: partial although collected
    with database.session() as session:
        build_world(session, plan)
        for low, high in windows:
            cover_hub(session, low, high)
    result = compute_signal(database, SIGNALS_BY_KEY["new_models"], today)
    assert [point.month for point in result.monthly] == sorted(plan)
    for point in result.monthly:
        counts = plan[point.month]
        attributed = counts["CN"] + counts["US"] + counts["FR"]
        total = attributed + counts[None]
        assert point.attributed_total == attributed and point.total == total
        assert point.shares_attributed["CN"] == pytest.approx(counts["CN"] / attributed)
        assert point.shares_attributed["Europe"] == pytest.approx(counts["FR"] / attributed)
        assert point.shares["CN"] == pytest.approx(counts["CN"] / total)
        assert point.coverage == pytest.approx(attributed / total)
        assert point.partial == (not month_complete(point.month, windows, today)), point.month

    complete = [m for m in sorted(plan) if month_complete(m, windows, today)]
    assert "2024-03" not in complete and "2025-02" not in complete and "2024-06" in complete
    verdict = assess_signal(result)
    last = month_index(complete[-1])
    window = [m for m in complete if month_index(m) > last - 12]
    assert verdict.trend.points == verdict.comparable_months == len(window)
    x = np.array([month_index(m) for m in window], dtype=float)
    y = np.array([plan[m]["CN"] / (plan[m]["CN"] + plan[m]["US"] + plan[m]["FR"]) * 100 for m in window])
    assert verdict.trend.slope_pp == pytest.approx(np.polyfit(x, y, 1)[0])
    lowest = min((plan[m]["CN"] + plan[m]["US"] + plan[m]["FR"]) / sum(plan[m].values()) for m in window)
    assert verdict.window_coverage == pytest.approx(lowest)
    assert result.latest_label == complete[-1]  # the headline is the newest complete month


def test_without_a_whole_hub_crawl_every_creation_month_is_partial(database: Database) -> None:
    with database.session() as session:
        build_world(session, plan_of(14, cn=lambda i: i + 1, us=lambda i: 10, unknown=lambda i: 1))
    analysis = analyse(database, D(2025, 6, 1))
    new_models = next(s for s in analysis.signals if s.spec.key == "new_models")
    assert new_models.monthly and all(point.partial for point in new_models.monthly)
    assert new_models.latest_partial
    call = next(v for v in analysis.verdict.signals if v.key == "new_models").call
    assert call == INSUFFICIENT_HISTORY
    assert not analysis.coverage.has_whole_hub
    assert analysis.verdict.overall == INSUFFICIENT_EVIDENCE


def test_low_coverage_keeps_a_signal_out_of_the_verdict(database: Database) -> None:
    plan = plan_of(12, cn=lambda i: i + 1, us=lambda i: 12 - i, unknown=lambda i: 40, fr=lambda i: 0)
    with database.session() as session:
        build_world(session, plan)
        cover_hub(session, None, utc(2025, 2, 1))
    result = compute_signal(database, SIGNALS_BY_KEY["new_models"], D(2025, 3, 1))
    coverage = 13 / 53  # 13 attributed of 53 models every month
    strict = assess_signal(result, min_coverage=0.5)
    assert strict.window_coverage == pytest.approx(coverage)
    assert strict.call == INSUFFICIENT_COVERAGE and not strict.eligible
    assert strict.trend is not None and strict.trend.call == "rising"  # the trend is shown, not counted
    lenient = assess_signal(result, min_coverage=0.2)
    assert lenient.eligible and lenient.call == "rising"


def test_a_peak_in_the_window_is_reported_and_counts_as_neither(database: Database) -> None:
    # China's attributed share climbs 5 points a month to 2024-07, then falls 5 points a month.
    up_down = [20 + 5 * i for i in range(7)] + [50 - 5 * i for i in range(1, 6)]
    plan = plan_of(
        12, cn=lambda i: up_down[i], us=lambda i: 100 - up_down[i], unknown=lambda i: 5, fr=lambda i: 0
    )
    with database.session() as session:
        build_world(session, plan)
        cover_hub(session, None, utc(2025, 1, 1))
    verdict = assess_signal(compute_signal(database, SIGNALS_BY_KEY["new_models"], D(2025, 3, 1)))
    assert verdict.eligible
    assert verdict.call == "changed direction in 2024-07"
    assert verdict.trend.change.slope_before_pp == pytest.approx(5.0)
    assert verdict.trend.change.slope_after_pp == pytest.approx(-5.0)


def _downloads(database: Database, shares: list[float], start: str = "2024-08") -> None:
    """Month-end 30-day downloads of a Chinese and a US lab, China's share of them as given."""
    with database.session() as session:
        rows = Rows(session)
        rows.account("cn-dl", "CN")
        rows.account("us-dl", "US")
        cn = rows.model("cn-dl/model", D(2023, 1, 1))
        us = rows.model("us-dl/model", D(2023, 1, 1))
        for i, share in enumerate(shares):
            month = add_months(start, i)
            day = D(*map(int, month.split("-")), 28)
            rows.model_snapshot(cn, day, int(share * 1000))
            rows.model_snapshot(us, day, 1000 - int(share * 1000))


def test_one_signal_is_not_evidence_and_three_make_a_call(database: Database) -> None:
    plan = plan_of(12, cn=lambda i: 2 * i + 1, us=lambda i: 30 - 2 * i, unknown=lambda i: 2, fr=lambda i: 0)
    with database.session() as session:
        build_world(session, plan, derivatives=True)
        cover_hub(session, None, utc(2025, 1, 1))
    one = analyse(database, D(2025, 2, 10))
    calls = {v.key: v.call for v in one.verdict.signals}
    assert calls["new_models"] == "rising" and calls["new_derivatives_by_root"] == "rising"
    assert one.verdict.eligible == 2 and one.verdict.overall == INSUFFICIENT_EVIDENCE
    assert "insufficient evidence" in one.verdict.rule and "50%" in one.verdict.rule

    _downloads(database, [0.2 + 0.04 * i for i in range(6)])
    three = analyse(database, D(2025, 2, 10))
    calls = {v.key: v.call for v in three.verdict.signals}
    assert calls["downloads_30d"] == "rising"
    assert three.verdict.eligible == 3 and three.verdict.overall == "supported"


CRAWL_DAY = D(2025, 2, 18)


def build_real_data_run(session, crawl_day: dt.date = CRAWL_DAY) -> dict[str, int]:
    """Registry publishers with their models (created over two years) plus a 30-day crawl of new models by
    mostly unattributed authors, collected on two days (2024-09-01 and the crawl day). Returns the newest
    30-day downloads per author country (None = unknown) for the test to work out its own headline."""
    rows = Rows(session)
    publishers = {"Qwen": "CN", "deepseek-ai": "CN", "meta-llama": "US", "google": "US", "mistralai": "FR"}
    downloads = {"CN": 0, "US": 0, "FR": 0, None: 0}
    first_day = D(2024, 9, 1)
    for n, (handle, country) in enumerate(publishers.items()):
        rows.account(handle, country, publisher=handle.lower())
        for k in range(6):
            created = D(2023, 3 + k, 10 + n)
            newest = 1000 * (n + 1) * (k + 1)
            model = rows.model(
                f"{handle}/model-{k}", created, downloads=newest, likes=k, metrics_on=crawl_day
            )
            rows.model_snapshot(model, first_day, newest // 2)
            rows.model_snapshot(model, crawl_day, newest)
            downloads[country] += newest
    for k in range(40):  # the crawl: every model created in the 30 days before the crawl day
        created = crawl_day - dt.timedelta(days=1 + k % 29)
        newest = 12000 + 100 * k
        author = "Qwen" if k % 10 == 0 else f"user{k}"
        model = rows.model(f"{author}/new-{k}", created, downloads=newest, metrics_on=crawl_day)
        rows.model_snapshot(model, crawl_day, newest)
        downloads["CN" if author == "Qwen" else None] += newest
    crawl_from = dt.datetime.combine(crawl_day - dt.timedelta(days=30), dt.time(), dt.timezone.utc)
    cover_hub(session, crawl_from, dt.datetime.combine(crawl_day, dt.time(9), dt.timezone.utc))
    return downloads


def test_done_when_the_real_data_run_headlines_attributed_downloads_with_coverage(
    database: Database, tmp_path: Path
) -> None:
    with database.session() as session:
        downloads = build_real_data_run(session)
        session.add(
            CollectionRun(
                collector="huggingface", run_date=D(2025, 2, 19), status="failed", message="connection reset"
            )
        )
    attributed = downloads["CN"] + downloads["US"] + downloads["FR"]
    total = attributed + downloads[None]
    china = round(downloads["CN"] / attributed * 100, 2)
    coverage = round(attributed / total * 100, 2)
    assert coverage < 50  # like the real run: most downloads are of unknown country
    settings = load_settings(
        {"database_url": database.url, "today": "2025-02-19", "reports_dir": str(tmp_path / "reports")}
    )
    result = write_report(database, settings, tmp_path / "out")
    figures = json.loads((tmp_path / "out" / "report.json").read_text())
    markdown = (tmp_path / "out" / "report.md").read_text()

    downloads_signal = figures["signals"]["downloads_30d"]
    assert downloads_signal["cn_share_now"] == china and downloads_signal["coverage"] == coverage
    headline = (
        f"30-day downloads by author country (2025-02-18, 30 days to that day): China {fmt_pct(china)} of "
        f"attributed downloads (coverage {fmt_pct(coverage)})"
    )
    assert headline in markdown
    # The first report of a fresh install: no call from one signal, and nothing below the threshold counts.
    assert result.verdict == figures["verdict"]["overall"] == INSUFFICIENT_EVIDENCE
    assert "not supported" not in figures["verdict"]["overall"]
    for key, signal in figures["signals"].items():
        if signal["window_coverage"] is not None and signal["window_coverage"] < 50:
            assert not signal["eligible"] and INSUFFICIENT_COVERAGE in signal["call"], key
    assert (
        INSUFFICIENT_COVERAGE in downloads_signal["call"] and INSUFFICIENT_HISTORY in downloads_signal["call"]
    )
    # Creation months: only the crawl's 30 days were collected for the whole Hub, so no month is complete.
    assert all(point["partial"] for point in figures["signals"]["new_models"]["monthly"])
    # Coverage opens the report; the failed collection comes first, in plain words.
    first_lines = markdown.splitlines()[:4]
    assert any(
        "the Hugging Face collection of this run failed: figures are as of 2025-02-18" in line
        for line in first_lines
    )
    sources = figures["coverage"]["sources"]["huggingface"]
    assert (sources["first"], sources["last"], sources["days"]) == ("2024-09-01", "2025-02-18", 2)
    assert "collected from 2024-09-01 to 2025-02-18 (2 collection days)" in markdown
    assert "no Hub dump yet" in markdown


def test_models_known_against_the_hubs_total_and_the_coverage_setting(
    database: Database, tmp_path: Path
) -> None:
    with database.session() as session:
        build_real_data_run(session)
        cover_hub(session, None, utc(2025, 2, 1), source="dump", hub_models=1_500_000)
    config = tmp_path / "tracker.toml"
    config.write_text("[verdict]\nmin_coverage = 0.2\n")
    settings = load_settings(
        {"database_url": database.url, "today": "2025-02-19", "config_file": str(config)}
    )
    write_report(database, settings, tmp_path / "out")
    figures = json.loads((tmp_path / "out" / "report.json").read_text())
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert figures["coverage"]["hub_models"] == 1_500_000 and figures["verdict"]["min_coverage"] == 20.0
    assert "70 models known of the Hub's 1,500,000" in markdown
    assert "at least 20% in each of them" in markdown
    # The dump covers every creation month until February: those months are complete now.
    monthly = figures["signals"]["new_models"]["monthly"]
    assert [p["month"] for p in monthly if not p["partial"]] == [
        p["month"] for p in monthly if p["month"] < "2025-02"
    ]


def test_a_coverage_threshold_that_is_not_a_fraction_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "tracker.toml"
    for value in ('"half"', "1.5", "-0.1"):
        config.write_text(f"[verdict]\nmin_coverage = {value}\n")
        with pytest.raises(ConfigError, match=r"\[verdict\] min_coverage must be a number from 0 to 1"):
            load_settings({"today": "2025-02-19", "config_file": str(config)})
