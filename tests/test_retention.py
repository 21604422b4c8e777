"""Snapshot retention and the daily roll-ups, on SQLite and PostgreSQL: thinned history, exact monthly figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import inspect, text

from tests.fakes.hub import FakeHub, hub_model
from tracker.attribution.attribute import run_attribution
from tracker.config import load_settings
from tracker.db import migrate
from tracker.db.engine import Database
from tracker.db.models import Account, Publisher
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface
from tracker.sources.huggingface.retention import ACTIVE_DOWNLOADS_30D

COUNTRIES = {"lab-cn": "CN", "lab-us": "US"}  # "someone" stays unknown


def world() -> list[dict[str, Any]]:
    """Head and tail models of three namespaces, two of them derivatives of another country's base."""
    return [
        hub_model("lab-cn/base", created="2025-01-02T00:00:00.000Z", downloads=50_000, likes=40),
        hub_model("lab-us/base", created="2025-01-03T00:00:00.000Z", downloads=9_000, likes=30),
        hub_model("lab-cn/tail", created="2025-01-04T00:00:00.000Z", downloads=3, likes=0),
        hub_model("lab-us/liked-tail", created="2025-01-05T00:00:00.000Z", downloads=10, likes=2),
        hub_model("lab-us/falling", created="2025-01-06T00:00:00.000Z", downloads=150, likes=0),
        hub_model(
            "someone/ft", created="2025-01-07T00:00:00.000Z", downloads=7, tags=["base_model:lab-cn/base"]
        ),
        hub_model(
            "lab-us/ft-of-cn",
            created="2025-01-08T00:00:00.000Z",
            downloads=2_000,
            tags=["base_model:finetune:lab-cn/base"],
        ),  # fmt: skip
    ]


def by_repo(models: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {model["id"]: model for model in models}


@pytest.fixture
def registry(database: Database) -> Database:
    with database.session() as session:
        for handle, country in COUNTRIES.items():
            publisher = Publisher(slug=handle, name=handle, registry_country=country, registry_basis="test")
            session.add(publisher)
            session.flush()
            session.add(Account(platform="hf", handle=handle, handle_key=handle, publisher_id=publisher.id))
    return database


def collect_day(database: Database, hub: FakeHub, day: dt.date) -> None:
    """One day's collection followed by attribution (which refreshes the roll-ups), as `tracker run` does."""
    settings = load_settings({"hf_endpoint": hub.url, "today": day.isoformat()})
    plan = HfPlan(
        since=dt.date(2025, 1, 1),
        top=0,
        datasets=False,
        include_registry=False,
        retry=RetryOptions(backoff_base=0.001, backoff_max=0.01, sleep=lambda _: None),
    )
    assert collect_huggingface(database, settings, plan).status == "ok"
    run_attribution(database)


def rows(database: Database, sql: str, **params: Any) -> list[tuple]:
    with database.read_only_session() as session:
        return [tuple(row) for row in session.execute(text(sql), params).all()]


def snapshot_days(database: Database) -> dict[str, list[str]]:
    days: dict[str, list[str]] = defaultdict(list)
    for repo_id, captured_on in rows(
        database,
        "SELECT m.repo_id, s.captured_on FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id "
        "ORDER BY s.captured_on",
    ):
        days[repo_id].append(str(captured_on))
    return days


def test_only_new_active_and_changed_models_get_the_days_snapshot(registry: Database) -> None:
    models = world()
    day1, day2 = dt.date(2025, 1, 30), dt.date(2025, 1, 31)
    with FakeHub(models=models) as hub:
        collect_day(registry, hub, day1)
        repos = by_repo(hub.models)
        repos["lab-cn/tail"]["downloads"] = 4  # tail drift: no row
        repos["lab-us/liked-tail"]["likes"] = 3  # a like: a row
        repos["lab-us/falling"]["downloads"] = ACTIVE_DOWNLOADS_30D - 10  # falls below the threshold: a row
        hub.models.append(hub_model("lab-us/new", created="2025-01-20T00:00:00.000Z", downloads=1))
        collect_day(registry, hub, day2)

    days = snapshot_days(registry)
    first, second = str(day1), str(day2)
    assert days["lab-cn/tail"] == [first]
    assert days["someone/ft"] == [first]  # unchanged tail
    assert days["lab-us/liked-tail"] == [first, second]
    assert days["lab-us/falling"] == [first, second]
    assert days["lab-cn/base"] == days["lab-us/base"] == days["lab-us/ft-of-cn"] == [first, second]  # active
    assert days["lab-us/new"] == [second]
    # the latest view is never thinned: one row per model with the newest metrics
    latest = dict(rows(registry, "SELECT repo_id, downloads_30d FROM hf_model_latest"))
    assert len(latest) == len(models) + 1
    assert latest["lab-cn/tail"] == 4 and latest["lab-us/falling"] == ACTIVE_DOWNLOADS_30D - 10
    assert {str(day) for (day,) in rows(registry, "SELECT DISTINCT captured_on FROM hf_model_latest")} == {
        second
    }


def test_roll_ups_equal_the_latest_country_views_after_every_collection(registry: Database) -> None:
    with FakeHub(models=world()) as hub:
        collect_day(registry, hub, dt.date(2025, 1, 31))
    totals = rows(
        registry,
        "SELECT captured_on, country, root_country, models, downloads_30d, likes FROM hf_daily_country_totals",
    )
    assert {str(row[0]) for row in totals} == {"2025-01-31"}
    by_country: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_root: dict[str | None, int] = defaultdict(int)
    for _, country, root_country, models, downloads, likes in totals:
        by_country[country or None][0] += models
        by_country[country or None][1] += downloads
        by_country[country or None][2] += likes
        by_root[root_country or None] += downloads
    downloads = dict(rows(registry, "SELECT country, downloads_30d FROM country_downloads_latest"))
    likes = dict(rows(registry, "SELECT country, likes FROM country_likes_latest"))
    assert {c: v[1] for c, v in by_country.items()} == downloads
    assert {c: v[2] for c, v in by_country.items()} == likes
    assert sum(v[0] for v in by_country.values()) == len(world())
    root = dict(rows(registry, "SELECT root_country, downloads_30d FROM root_country_downloads_latest"))
    assert dict(by_root) == root
    assert by_root["CN"] == 50_000 + 7 + 2_000 + 3  # CN's base, its two derivatives and a CN tail model

    run_attribution(registry)  # a re-attribution on the same day replaces that day's rows
    assert sorted(rows(registry, "SELECT * FROM hf_daily_country_totals")) == sorted(totals)


def test_monthly_figures_stay_exact_although_the_history_is_thinned(registry: Database) -> None:
    """Month-end totals from the roll-ups equal what the Hub served that day for every model."""
    served: dict[dt.date, dict[str, dict[str, Any]]] = {}
    days = [dt.date(2025, 1, 30), dt.date(2025, 1, 31), dt.date(2025, 2, 1), dt.date(2025, 2, 2)]
    with FakeHub(models=world()) as hub:
        for number, day in enumerate(days):
            for index, model in enumerate(hub.models):
                if model["downloads"] < ACTIVE_DOWNLOADS_30D:
                    model["downloads"] += index + number  # tail drift that leaves no snapshot row
            collect_day(registry, hub, day)
            served[day] = {model["id"]: dict(model) for model in hub.models}

    snapshots = rows(registry, "SELECT count(*) FROM hf_model_snapshots WHERE captured_on = :d", d=days[1])[
        0
    ][0]
    assert snapshots < len(world())  # the history really is thinned

    def month_end(day: dt.date) -> dict[str | None, tuple[int, int, int]]:
        totals: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
        for repo_id, model in served[day].items():
            country = COUNTRIES.get(repo_id.split("/")[0])
            totals[country][0] += 1
            totals[country][1] += model["downloads"]
            totals[country][2] += model["likes"]
        return {country: tuple(values) for country, values in totals.items()}

    monthly: dict[str, dict[str | None, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for month, country, _root, models, downloads, likes in rows(
        registry,
        "SELECT month, country, root_country, models, downloads_30d, likes FROM monthly_model_metrics",
    ):
        values = monthly[month][country]
        values[0] += models
        values[1] += downloads
        values[2] += likes
    assert set(monthly) == {"2025-01", "2025-02"}
    for month, day in (("2025-01", days[1]), ("2025-02", days[3])):
        assert {c: tuple(v) for c, v in monthly[month].items()} == month_end(day)


def test_months_before_the_first_roll_up_come_from_the_snapshots(registry: Database) -> None:
    with FakeHub(models=world()) as hub:
        collect_day(registry, hub, dt.date(2025, 1, 31))
    model_id = rows(registry, "SELECT id FROM hf_models WHERE repo_id = 'lab-cn/base'")[0][0]
    with registry.session() as session:  # history from before the roll-ups existed
        session.execute(
            text(
                "INSERT INTO hf_model_snapshots (model_id, captured_on, downloads_30d, likes) "
                "VALUES (:m, :d, 1234, 5)"
            ),
            {"m": model_id, "d": dt.date(2024, 12, 31)},
        )
    december = rows(
        registry,
        "SELECT country, models, downloads_30d, likes FROM monthly_model_metrics WHERE month = '2024-12'",
    )
    assert december == [("CN", 1, 1234, 5)]
    january = rows(registry, "SELECT sum(models) FROM monthly_model_metrics WHERE month = '2025-01'")
    assert january == [(len(world()),)]


def test_revision_0002_downgrades_to_0001_without_the_roll_up_table(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    migrate.upgrade(database)
    assert "hf_daily_country_totals" in inspect(database.engine).get_table_names()
    migrate.downgrade(database, "0001")
    names = inspect(database.engine).get_table_names()
    assert "hf_daily_country_totals" not in names and "hf_model_snapshots" in names
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision()
    database.dispose()


def test_full_crawl_in_the_config_lists_every_model_each_scheduled_run(tmp_path) -> None:  # noqa: ANN001
    from tracker.scheduler.jobs import FULL_CRAWL_SINCE, huggingface_plan

    config = tmp_path / "tracker.toml"
    config.write_text("[huggingface]\nfull_crawl = true\n")
    assert huggingface_plan(load_settings({"config_file": str(config)}, environ={})).since == FULL_CRAWL_SINCE
    config.write_text("[huggingface]\ntop = 10\n")
    assert huggingface_plan(load_settings({"config_file": str(config)}, environ={})).since is None
