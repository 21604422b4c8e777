"""`tracker backfill huggingface` end to end against a fake dump repository (both back ends).

The fake serves five weeks of generated `models.parquet` files with drifting schemas (an unknown column, a
day without `gated`, timestamps as strings, rows without `id`, a download cut in half), an earlier commit on
one day and a last week identical to the one before. The daily roll-ups by country are compared with what
the files say, computed here from the rows as written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.dump_data import (
    COUNTRIES,
    ServedDay,
    Variant,
    dump_days,
    expected_totals,
    models_of,
    parquet_bytes,
)
from tests.fakes.hub import FakeHub, hub_model
from tests.fakes.hub_dumps import DumpDay, FakeDumpRepo
from tracker.attribution.lineage import compute_roots
from tracker.cli import main
from tracker.collection import SourceLock
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.db.models import Account, Base, Publisher
from tracker.scheduler import jobs

TOKEN = "hf_dump_test_secret_1234"
TODAY = "2025-02-12"


def add_registry(database: Database) -> None:
    """Publishers with a registry country and their Hub accounts (attribution gives the accounts countries)."""
    with database.session() as session:
        for handle, country in COUNTRIES.items():
            publisher = Publisher(slug=handle, name=handle, registry_country=country)
            session.add(publisher)
            session.flush()
            session.add(Account(platform="hf", handle=handle, handle_key=handle, publisher_id=publisher.id))


def contents(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """What the backfill stored, by natural keys (no surrogate ids, run ids or wall-clock times)."""
    queries = {
        "models": "SELECT hub_id, repo_id, author, author_key, created_at, created_at_unknown, last_modified, "
        "pipeline_tag, library_name, license, gated, tags, downloads_30d, downloads_all_time, likes, "
        "trending_score, metrics_on, first_seen_on, last_seen_on, root_repo_id, root_author_key, unlisted_on "
        "FROM hf_models",
        "snapshots": "SELECT m.hub_id, s.captured_on, s.downloads_30d, s.downloads_all_time, s.likes, "
        "s.trending_score FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id",
        "parents": "SELECT m.hub_id, p.parent_repo_id, p.relation, p.position, p.source "
        "FROM hf_model_parents p JOIN hf_models m ON m.id = p.child_id",
        "totals": "SELECT captured_on, country, root_country, models, downloads_30d, likes FROM hf_daily_country_totals",
        "dumps": "SELECT commit_id, dump_on, etag, size_bytes, models, skipped, status FROM hf_dumps",
        "coverage": "SELECT source, covered_from, covered_to, recorded_on, hub_models FROM hf_coverage",
        "accounts": "SELECT platform, handle_key, country FROM accounts",
    }
    with database.engine.connect() as connection:
        return {
            name: sorted(tuple(str(value) for value in row) for row in connection.execute(text(sql)))
            for name, sql in queries.items()
        }


def totals_by_country(database: Database, day: str) -> dict[str, tuple[int, int, int]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT country, SUM(models), SUM(downloads_30d), SUM(likes) FROM hf_daily_country_totals "
                "WHERE captured_on = :day GROUP BY country"
            ),
            {"day": day},
        )
        return {country: (int(a), int(b), int(c)) for country, a, b, c in rows}


def scalar(database: Database, sql: str) -> Any:
    with database.engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


@pytest.fixture
def served() -> list[ServedDay]:
    return dump_days()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """HF_TOKEN, the run date and a config file with a download directory; returns the directory."""
    downloads = tmp_path / "downloads"
    config = tmp_path / "tracker.toml"
    config.write_text(f'[huggingface]\ndownload_dir = "{downloads}"\n')
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    return downloads


def backfill(database_url: str, *options: str) -> int:
    return main(["--database-url", database_url, "backfill", "huggingface", "--every", "week", *options])


def test_weekly_backfill_stores_what_the_files_say_and_a_second_run_changes_nothing(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_registry(database)
    with FakeDumpRepo(days=[day.day for day in served], page_size=2) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert backfill(database_url) == 0
        first = contents(database)
        assert backfill(database_url) == 0
        second = contents(database)
    out = capsys.readouterr().out
    assert "5 ingested" in out and "1 duplicate" in out and "6 skipped" in out

    read = [day for day in served if day.read and not day.duplicate]
    for day in read:
        assert totals_by_country(database, day.day.committed_at.date().isoformat()) == expected_totals(
            day.rows
        )
    assert expected_totals(read[0].rows)["CN"][0] > 0  # the registry's countries reached the roll-ups
    duplicate = next(day for day in served if day.duplicate)
    assert totals_by_country(database, duplicate.day.committed_at.date().isoformat()) == {}
    assert second == first  # idempotent

    dumps = {row[0]: row for row in first["dumps"]}
    assert set(dumps) == {day.day.commit_id for day in served if day.read}
    skipped_rows = {day.day.commit_id: day for day in served if day.read}
    assert dumps[next(c for c, d in skipped_rows.items() if "03" == c[:2])][5] == "2"  # rows without id
    assert sorted(int(row[4]) for row in first["coverage"]) == sorted(len(day.rows) for day in read)
    # the model missing from later dumps is kept, marked no longer listed on the first dump without it
    assert (
        scalar(database, "SELECT unlisted_on FROM hf_models WHERE repo_id = 'another-user/model-5'")
        is not None
    )
    assert scalar(database, "SELECT count(*) FROM hf_models WHERE unlisted_on IS NOT NULL") == 1
    # history lands under each dump's own day, never the run date
    assert scalar(database, f"SELECT count(*) FROM hf_model_snapshots WHERE captured_on = '{TODAY}'") == 0
    assert scalar(database, "SELECT count(DISTINCT captured_on) FROM hf_model_snapshots") == len(read)
    # lineage from baseModels and tags; roots kept up to date by each dump (the attribution at the end does
    # not compute them again), equal to a full computation's
    assert scalar(database, "SELECT count(*) FROM hf_model_parents") > 0
    assert scalar(database, "SELECT count(*) FROM hf_models WHERE root_author_key IS NULL") == 0
    assert compute_roots(database).updated == 0
    # the token stayed on the endpoint's host; temporary files are gone
    assert all(seen.authorization is None for seen in fake.requests if seen.host.startswith("localhost"))
    assert any(seen.authorization == f"Bearer {TOKEN}" for seen in fake.requests)
    assert not list(environment.iterdir())
    # the cut download was retried
    cut = next(day for day in served if day.day.truncate_once).day.commit_id
    assert len([seen for seen in fake.requests if seen.method == "GET" and cut in seen.path]) == 2


def test_an_older_dump_only_adds_history_and_force_reads_a_dump_again(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_registry(database)
    with FakeDumpRepo(days=[day.day for day in served]) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert backfill(database_url, "--from", "2025-01-27") == 0
        newest = scalar(database, "SELECT downloads_30d FROM hf_models WHERE repo_id = 'qwen/model-0'")
        assert scalar(database, "SELECT MIN(metrics_on) FROM hf_models") is not None
        assert backfill(database_url, "--to", "2025-01-20") == 0
        # the newer metrics stay; the older days got their roll-ups
        assert (
            scalar(database, "SELECT downloads_30d FROM hf_models WHERE repo_id = 'qwen/model-0'") == newest
        )
        assert str(scalar(database, "SELECT MAX(metrics_on) FROM hf_models"))[:10] == "2025-02-03"
        for day in served:
            if day.read and not day.duplicate:
                on = day.day.committed_at.date().isoformat()
                assert totals_by_country(database, on) == expected_totals(day.rows), on
        before = contents(database)
        assert backfill(database_url, "--force", "--from", "2025-01-13", "--to", "2025-01-13") == 0
        assert contents(database)["totals"] == before["totals"]
        gets = [
            seen for seen in fake.requests if seen.method == "GET" and seen.path.startswith("/storage/01c")
        ]
        assert len(gets) == 2


def test_a_first_dump_needs_room_for_its_temporary_files_a_later_one_only_for_the_file(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A first dump holds its models with parents in temporary files next to the download, about the file's
    size again: with room for the file only, it is refused in one line before downloading; a later dump
    (hf_models holds models) needs room for the file only."""
    import shutil

    days = [day.day for day in served if day.read and not day.duplicate][:2]
    largest = max(len(day.content or b"") for day in days)
    real = shutil.disk_usage

    def room_for(size: float) -> None:
        def usage(path: Any) -> Any:
            return real(path)._replace(free=int(size))

        monkeypatch.setattr(shutil, "disk_usage", usage)

    first, second = (day.committed_at.date().isoformat() for day in days)
    with FakeDumpRepo(days=days) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        room_for(1.5 * largest)
        assert backfill(database_url, "--to", first) == 1
        error = capsys.readouterr().err
        assert "not enough free space" in error and "a first dump's temporary files" in error
        assert not [seen for seen in fake.requests if seen.method == "GET" and "/storage/" in seen.path]
        assert scalar(database, "SELECT count(*) FROM hf_models") == 0

        room_for(2.5 * largest)
        assert backfill(database_url, "--to", first) == 0
        room_for(1.5 * largest)
        assert backfill(database_url, "--from", second, "--to", second) == 0
    assert scalar(database, "SELECT count(*) FROM hf_dumps WHERE status = 'ingested'") == 2


def test_a_backfill_killed_mid_file_and_restarted_ends_with_the_same_database(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_registry(database)
    with FakeDumpRepo(days=[day.day for day in served]) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert backfill(database_url) == 0
        reference = contents(database)
    _reset(database)
    add_registry(database)

    sizes = [len(day.day.content or b"") for day in served if day.read]
    with FakeDumpRepo(days=[day.day for day in served], throttle=0.02, send_chunk=1024) as fake:
        env = {**os.environ, "HF_ENDPOINT": fake.url, "TRACKER_DATABASE_URL": database_url}
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from tracker.cli import run; run()",
                "backfill",
                "huggingface",
                "--every",
                "week",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        target = sum(sizes[:2]) + sizes[2] // 2  # mid-way through the third file
        deadline = time.monotonic() + 60
        while fake.body_bytes_sent < target and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert child.poll() is None, "the backfill ended before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert scalar(database, "SELECT count(*) FROM hf_dumps") < len(sizes)
        fake.throttle = 0.0
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert backfill(database_url) == 0
    assert contents(database) == reference


def test_ctrl_c_stops_a_backfill_with_exit_3_and_the_next_run_finishes_it(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeDumpRepo(days=[day.day for day in served], throttle=0.05, send_chunk=512) as fake:
        env = {**os.environ, "HF_ENDPOINT": fake.url, "TRACKER_DATABASE_URL": database_url}
        child = subprocess.Popen(
            [sys.executable, "-c", "from tracker.cli import run; run()", "backfill", "huggingface"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while fake.body_bytes_sent < 2048 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 3, err
        assert "run again" in err.decode()
        fake.throttle = 0.0
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert backfill(database_url) == 0
    assert scalar(database, "SELECT count(*) FROM hf_dumps") == len([day for day in served if day.read])


def _reset(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def test_the_daily_job_reads_the_newest_dump_then_the_api_and_a_missing_dump_repo_fails_only_its_task(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "tracker.toml"
    api_models = [hub_model("qwen/fresh-today", created="2025-02-11T10:00:00.000Z", downloads=50)]
    with FakeHub(models=api_models) as hub, FakeDumpRepo(days=[d.day for d in served], api=hub.url) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        config.write_text(f'[huggingface]\nsource = "dump"\ndownload_dir = "{environment}"\n')
        code = main(["--database-url", database_url, "collect", "huggingface", "--no-registry", "--top", "0"])
        out = capsys.readouterr().out
        assert code == 0, out
        newest = served[-1]  # the newest commit (its file equals the week before's, not yet stored here)
        assert scalar(database, "SELECT count(*) FROM hf_dumps WHERE status = 'ingested'") == 1
        assert scalar(database, "SELECT count(*) FROM hf_models") == len(newest.rows) + 1
        assert scalar(database, "SELECT count(*) FROM hf_models WHERE repo_id = 'qwen/fresh-today'") == 1
        # the API's new-model crawl starts at the dump's day, not 30 days back
        assert [path for path, _ in hub.requests] and "huggingface dump run" in out
        params = scalar(database, "SELECT params FROM collection_runs WHERE collector = 'huggingface'")
        since = (params if isinstance(params, dict) else json.loads(params))["since"]
        assert since == newest.day.committed_at.date().isoformat()

        config.write_text('[huggingface]\nsource = "dump"\ndump_repo = "nobody/missing"\n')
        code = main(["--database-url", database_url, "collect", "huggingface", "--no-registry", "--top", "0"])
        captured = capsys.readouterr()
        assert code == 1
        assert "dump step failed" in captured.err and "items stored" in captured.out  # the API tasks ran


def test_a_backfill_waits_for_no_other_hub_collection_and_a_failing_dump_does_not_block_the_others(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_registry(database)
    days = [day.day for day in served]
    missing = next(day for day in days if day.commit_id.startswith("02"))
    kept = missing.content
    missing.content = None  # listed, but its file answers 404
    with FakeDumpRepo(days=days) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        with SourceLock(database, "huggingface"):  # an API collection of the Hub is running
            assert backfill(database_url) == 3
        assert "another huggingface collection" in capsys.readouterr().err
        assert scalar(database, "SELECT count(*) FROM hf_dumps") == 0

        assert backfill(database_url) == 1
        err = capsys.readouterr().err
        assert "404" in err and "2025-01-20" in err
        assert scalar(database, "SELECT count(*) FROM hf_dumps") == len([d for d in served if d.read]) - 1

        missing.content = kept  # the file is back: the next run reads only that dump
        assert backfill(database_url) == 0
    read = [day for day in served if day.read and not day.duplicate]
    for day in read:
        assert totals_by_country(database, day.day.committed_at.date().isoformat()) == expected_totals(
            day.rows
        )


def test_the_daemons_job_with_an_unreachable_dump_repo_still_collects_and_attributes_the_api(
    database: Database,
    database_url: str,
    served: list[ServedDay],
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text('[huggingface]\nsource = "dump"\ndump_repo = "nobody/missing"\ntop = 0\n')
    api_models = [hub_model("qwen/fresh-today", created="2025-02-11T10:00:00.000Z", downloads=50)]
    with FakeHub(models=api_models) as hub, FakeDumpRepo(days=[d.day for d in served], api=hub.url) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        outcome = jobs.run_job("huggingface", database, load_settings({"database_url": database_url}))
    assert outcome.status == "failed" and (outcome.message or "").startswith("dump:")
    assert {"huggingface-dump", "huggingface", "attribution"} <= set(outcome.runs)
    assert scalar(database, "SELECT count(*) FROM hf_models WHERE repo_id = 'qwen/fresh-today'") == 1


def test_two_years_of_weekly_history_from_daily_commits(
    database: Database, database_url: str, environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's "done when": two years of weekly points of the whole (generated) Hub from a repository
    that commits every few days; each week's last commit is read, under its own day, never under today's."""
    add_registry(database)
    start = dt.datetime(2023, 2, 6, 20, 0, tzinfo=dt.timezone.utc)  # a Monday
    days: list[DumpDay] = []
    expected: dict[str, dict[str, tuple[int, int, int]]] = {}
    for week in range(104):
        for offset, hours in ((1, 3), (4, 5)):  # Tuesday and Friday commits: Friday's is the week's dump
            rows = models_of(week % 5, count=8 + offset)
            rows = [{**row, "downloads": (row["downloads"] + 13 * week) % 700} for row in rows]
            committed = start + dt.timedelta(weeks=week, days=offset, hours=hours)
            days.append(DumpDay(f"{week:03d}{offset}" + "e" * 36, committed, parquet_bytes(rows, Variant())))
            expected[committed.date().isoformat()] = expected_totals(rows)
    weekly = {day.committed_at.date().isoformat() for day in days if day.commit_id[3] == "4"}
    monkeypatch.setenv("TRACKER_TODAY", "2025-02-10")
    with FakeDumpRepo(days=days, page_size=50) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert backfill(database_url, "--from", "2023-02-01") == 0
    with database.engine.connect() as connection:
        stored = {
            str(day)[:10]
            for (day,) in connection.execute(text("SELECT DISTINCT captured_on FROM hf_daily_country_totals"))
        }
    assert stored == weekly and len(weekly) == 104
    for day in sorted(weekly)[::13]:  # a day a quarter, checked against the file's own rows
        assert totals_by_country(database, day) == expected[day]
