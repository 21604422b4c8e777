"""`tracker collect huggingface` end to end against the fake Hub named by HF_ENDPOINT."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from tests.fakes.hub import Budget, FakeHub, sample_datasets, sample_models
from tracker.cli import main
from tracker.db.engine import Database
from tracker.scheduler import jobs


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    with FakeHub(models=sample_models(), datasets=sample_datasets(), page_size=9) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("TRACKER_TODAY", "2025-03-01")
        yield server


def count(database: Database, sql: str) -> int:
    with database.engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def test_collect_stores_models_and_datasets_and_prints_a_summary(
    database: Database, database_url: str, hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--database-url",
            database_url,
            "collect",
            "huggingface",
            "--since",
            "2024-01-01",
            "--org",
            "org-a",
            "--org",
            "org-b",
            "--top",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "ok;" in out and "items stored" in out and "malformed skipped" in out and "attribution:" in out
    assert count(database, "SELECT count(*) FROM hf_models WHERE repo_id = 'org-b/ds-export'") == 1
    assert count(database, "SELECT count(*) FROM hf_models WHERE created_at_unknown") == 1
    assert count(database, "SELECT count(*) FROM hf_datasets") == 12
    assert count(database, "SELECT count(DISTINCT captured_on) FROM hf_model_snapshots") == 1
    assert count(database, "SELECT count(*) FROM collection_runs WHERE status = 'ok' AND requests > 0") == 1


def test_no_datasets_and_top_zero(database: Database, database_url: str, hub: FakeHub) -> None:
    code = main(
        [
            "--database-url",
            database_url,
            "collect",
            "huggingface",
            "--since",
            "2024-06-01",
            "--org",
            "org-a",
            "--top",
            "0",
            "--no-datasets",
        ]
    )
    assert code == 0
    assert count(database, "SELECT count(*) FROM hf_datasets") == 0
    assert not any(path == "/api/datasets" or ("sort", "downloads") in query for path, query in hub.requests)


def test_a_rate_limit_beyond_max_wait_exits_3_and_the_rerun_finishes(
    database: Database, database_url: str, hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.budget = Budget(quota=3, window=3600)
    args = [
        "--database-url",
        database_url,
        "collect",
        "huggingface",
        "--since",
        "2024-01-01",
        "--org",
        "org-a",
        "--max-wait",
        "5",
    ]
    assert main(args) == 3
    assert "stopped early (rate_limited)" in capsys.readouterr().err
    hub.budget = Budget(quota=1000, window=300)
    assert main(args) == 0
    with database.engine.connect() as connection:
        statuses = (
            connection.execute(
                text("SELECT status FROM collection_runs WHERE collector = 'huggingface' ORDER BY id")
            )
            .scalars()
            .all()
        )
    assert statuses == ["rate_limited", "ok"]


def test_a_bad_since_is_a_usage_error(database_url: str, hub: FakeHub) -> None:
    assert main(["--database-url", database_url, "collect", "huggingface", "--since", "yesterday"]) == 2


def test_the_token_is_sent_but_never_shown_or_stored(
    database: Database,
    database_url: str,
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_SeCrEt0123456789")
    hub.inject("500")
    code = main(
        [
            "--database-url",
            database_url,
            "-v",
            "collect",
            "huggingface",
            "--since",
            "2024-06-01",
            "--top",
            "2",
        ]
    )
    assert code == 0
    assert hub.authorizations == {"Bearer hf_SeCrEt0123456789"}
    captured = capsys.readouterr()
    assert "hf_SeCrEt" not in captured.out + captured.err
    with database.engine.connect() as connection:
        stored = connection.execute(text("SELECT params, message FROM collection_runs")).all()
        stored += connection.execute(text("SELECT checkpoint, message FROM collection_tasks")).all()
    assert stored and "hf_SeCrEt" not in str(stored)


def test_a_failing_attribution_makes_the_collection_exit_1(
    database: Database,
    database_url: str,
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def locked(_database: Database, **_options: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(jobs, "run_attribution", locked)
    code = main(
        ["--database-url", database_url, "collect", "huggingface", "--since", "2024-01-01", "--top", "0"]
    )
    err = capsys.readouterr().err
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "attribution" in errors[0] and "database is locked" in errors[0], err
    assert (
        count(
            database, "SELECT count(*) FROM collection_runs WHERE collector = 'huggingface' AND status = 'ok'"
        )
        == 1
    )
