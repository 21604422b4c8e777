"""The analysts' views on a hand-built database where every row is known, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import decimal
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.shift_data import build_small, cover_hub
from tracker.db.engine import Database
from tracker.db.models import Base, HfDailyCountryTotal
from tracker.db.views import VIEWS


def rows_of(database: Database, sql: str) -> list[tuple]:
    with database.read_only_session() as session:
        return [tuple(normalise(value) for value in row) for row in session.execute(text(sql)).all()]


def normalise(value: object) -> object:
    """One representation per value on both back ends (SQLite returns text timestamps and 0/1 booleans)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal | float):
        return round(float(value), 9)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return value[:19]
    return value


def by_key(rows: list[tuple], width: int) -> dict[tuple, tuple]:
    return {row[:width]: row[width:] for row in rows}


@pytest.fixture
def small(database: Database) -> Database:
    with database.session() as session:
        build_small(session)
    return database


def test_monthly_new_models_counts_models_and_derivatives_per_author_country(small: Database) -> None:
    rows = by_key(rows_of(small, "SELECT month, country, models, derivatives FROM monthly_new_models"), 2)
    assert rows == {
        ("2025-01", "CN"): (1, 0),
        ("2025-01", "US"): (1, 0),
        ("2025-02", None): (1, 1),
        ("2025-02", "FR"): (1, 1),
        ("2025-02", "CN"): (1, 1),
        ("2025-02", "HK"): (1, 0),
    }  # the undated Qwen model is excluded


def test_derivatives_by_root_country_and_publisher(small: Database) -> None:
    assert by_key(rows_of(small, "SELECT * FROM monthly_derivatives_by_root"), 2) == {
        ("2025-02", "CN"): (2, round(2 / 3, 9), 1.0),
        ("2025-02", "US"): (1, round(1 / 3, 9), 1.0),
    }
    rows = rows_of(small, "SELECT * FROM monthly_derivatives_by_root_publisher ORDER BY derivatives DESC")
    assert rows == [("2025-02", "qwen", "qwen", "CN", 2), ("2025-02", "meta-llama", "meta", "US", 1)]


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("country_downloads_latest", {"CN": 1300, "US": 3000, None: 500, "FR": 200, "HK": 100}),
        ("country_likes_latest", {"CN": 50, "US": 100, None: 5, "FR": 20, "HK": 25}),
        ("root_country_downloads_latest", {"CN": 1800, "US": 3200, "HK": 100}),
        ("country_stars_latest", {"CN": 900, "US": 2000, None: 100}),
        ("country_forks_latest", {"CN": 90, "US": 300, None: 10}),
    ],
)
def test_latest_country_totals_and_shares_include_the_unknown_row(
    small: Database, view: str, expected: dict[str | None, int]
) -> None:
    rows = rows_of(small, f"SELECT * FROM {view}")
    total = sum(expected.values())
    attributed = sum(value for country, value in expected.items() if country is not None)
    assert {row[0]: row[1] for row in rows} == expected
    for country, _value, share, share_attributed, coverage in rows:
        assert share == pytest.approx(expected[country] / total)
        assert coverage == pytest.approx(attributed / total)
        if country is None:
            assert share_attributed is None
        else:
            assert share_attributed == pytest.approx(expected[country] / attributed)


def test_contributions_are_weighted_by_commit_counts_from_the_newest_list(small: Database) -> None:
    rows = by_key(rows_of(small, "SELECT * FROM country_contributions_latest"), 1)
    assert rows == {
        ("CN",): (1, 30, 0.3, round(30 / 90, 9), 0.9),
        ("US",): (1, 60, 0.6, round(60 / 90, 9), 0.9),
        (None,): (1, 10, 0.1, None, 0.9),
    }


def test_publisher_table_groups_accounts_by_publisher_or_namespace(small: Database) -> None:
    rows = by_key(rows_of(small, "SELECT * FROM publisher_models_latest"), 1)
    assert rows[("qwen",)] == ("Qwen", "CN", 3, 1300, 50)
    assert rows[("meta",)] == ("Meta", "US", 1, 3000, 100)
    assert rows[("user1",)] == (None, None, 1, 500, 5)
    assert rows[("mistralai",)] == (None, "FR", 1, 200, 20)


def test_monthly_snapshot_views_take_each_items_last_snapshot_of_the_month(small: Database) -> None:
    models = by_key(rows_of(small, "SELECT * FROM monthly_model_metrics"), 3)
    assert models == {
        ("2025-02", "CN", "CN"): (1, 600, 40),
        ("2025-02", "US", "US"): (1, 2000, 90),
        ("2025-03", "CN", "CN"): (1, 1000, 50),
        ("2025-03", "US", "US"): (1, 3000, 100),
    }
    repos = by_key(rows_of(small, "SELECT * FROM monthly_repo_metrics"), 2)
    assert repos == {("2025-02", "CN"): (1, 800, 80), ("2025-02", "US"): (1, 1900, 290)}
    contributions = by_key(rows_of(small, "SELECT * FROM monthly_contributions"), 2)
    assert contributions == {
        ("2025-02", "CN"): (1, 10),
        ("2025-03", "CN"): (1, 30),
        ("2025-03", "US"): (1, 60),
        ("2025-03", None): (1, 10),
    }


def add_roll_ups(database: Database) -> None:
    """Two roll-up days in April 2025 (after every snapshot of build_small), unknown countries as ''."""
    rows = [
        (dt.date(2025, 4, 7), "CN", "CN", 2, 700, 30),
        (dt.date(2025, 4, 7), "", "US", 1, 50, 4),
        (dt.date(2025, 4, 14), "CN", "CN", 2, 900, 35),
        (dt.date(2025, 4, 14), "US", "", 1, 400, 9),
        (dt.date(2025, 4, 14), "", "", 3, 80, 2),
    ]
    with database.session() as session:
        columns = ("captured_on", "country", "root_country", "models", "downloads_30d", "likes")
        session.add_all(HfDailyCountryTotal(**dict(zip(columns, row, strict=True))) for row in rows)


def test_daily_model_metrics_has_a_row_per_roll_up_day_and_the_month_takes_its_last_day(
    small: Database,
) -> None:
    add_roll_ups(small)
    daily = by_key(rows_of(small, "SELECT * FROM daily_model_metrics"), 3)
    assert daily == {
        ("2025-04-07", "CN", "CN"): (2, 700, 30),
        ("2025-04-07", None, "US"): (1, 50, 4),
        ("2025-04-14", "CN", "CN"): (2, 900, 35),
        ("2025-04-14", "US", None): (1, 400, 9),
        ("2025-04-14", None, None): (3, 80, 2),
    }
    monthly = by_key(rows_of(small, "SELECT * FROM monthly_model_metrics"), 3)
    assert {key: value for key, value in monthly.items() if key[0] == "2025-04"} == {
        ("2025-04", "CN", "CN"): (2, 900, 35),
        ("2025-04", "US", None): (1, 400, 9),
        ("2025-04", None, None): (3, 80, 2),
    }
    assert ("2025-03", "CN", "CN") in monthly  # months before the roll-ups still come from snapshots


def test_new_repos_by_month_exclude_forks(small: Database) -> None:
    rows = by_key(rows_of(small, "SELECT * FROM monthly_new_repos"), 2)
    assert rows == {
        ("2024-05", "CN"): (1, 1.0, 1.0),
        ("2024-06", "US"): (1, 1.0, 0.5),  # the month's attributed repository, half of its total
        ("2024-06", None): (1, None, 0.5),
    }


@pytest.mark.parametrize(
    ("windows", "complete"),
    [
        ([], set()),  # no whole-Hub crawl: every month partial
        ([(None, dt.datetime(2025, 3, 1))], {"2025-01", "2025-02"}),  # a dump up to March
        ([(dt.datetime(2000, 1, 1), dt.datetime(2025, 1, 20))], set()),  # January only in part
        (
            [(dt.datetime(2025, 1, 1), dt.datetime(2025, 2, 1))],
            {"2025-01"},
        ),  # exactly January, bounds included
        (  # two crawls that meet inside February: their union covers it
            [
                (dt.datetime(2000, 1, 1), dt.datetime(2025, 2, 10)),
                (dt.datetime(2025, 2, 9), dt.datetime(2025, 3, 2)),
            ],
            {"2025-01", "2025-02"},
        ),
        (  # a gap between the crawls leaves February partial
            [
                (dt.datetime(2000, 1, 1), dt.datetime(2025, 2, 10)),
                (dt.datetime(2025, 2, 11), dt.datetime(2025, 3, 2)),
            ],
            {"2025-01"},
        ),
    ],
)
def test_creation_months_are_complete_only_where_the_whole_hub_was_collected(
    small: Database, windows: list[tuple[dt.datetime | None, dt.datetime]], complete: set[str]
) -> None:
    with small.session() as session:
        for low, high in windows:
            cover_hub(session, low, high)
    rows = rows_of(small, "SELECT month, models, complete FROM hf_creation_months")
    assert {month: models for month, models, _ in rows} == {"2025-01": 2, "2025-02": 4}
    assert {month for month, _, flag in rows if flag} == complete
    today = dt.date.today()
    from tracker.analyses.coverage import coverage, hf_month_complete

    cover = coverage(small)
    assert {month for month, _, _ in rows if hf_month_complete(cover.hf_windows, month, today)} == complete


@pytest.fixture
def both_backends(sqlite_template: Path, pg_migrated: str, tmp_path: Path) -> list[Database]:
    path = tmp_path / "both.db"
    shutil.copy(sqlite_template, path)
    databases = [Database(f"sqlite:///{path}"), Database(pg_migrated)]
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with databases[1].engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    for database in databases:
        with database.session() as session:
            build_small(session)
        add_roll_ups(database)
    yield databases
    for database in databases:
        database.dispose()


def test_every_view_answers_the_same_on_sqlite_and_postgresql(both_backends: list[Database]) -> None:
    sqlite, postgresql = both_backends
    compared = 0
    for view in VIEWS:
        # The generated ids differ between the two builds; compare everything else.
        generated = {"hub_id"} | ({"repo_id"} if view.name == "gh_repo_latest" else set())
        columns = [column for column in view.columns if column not in generated]
        sql = f"SELECT {', '.join(columns)} FROM {view.name}"
        left = sorted(rows_of(sqlite, sql), key=repr)
        right = sorted(rows_of(postgresql, sql), key=repr)
        assert left == right, view.name
        compared += bool(left)
    assert compared == len(VIEWS)  # every view had rows to compare
