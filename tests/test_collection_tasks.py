"""Tasks isolated and checkpoints portable (both back ends): a listing that never heals does not stop the others
on any day, a pending crawl survives runs that skip it, and a run stopped against one endpoint completes
against another."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.hub import FakeHub, sample_datasets, sample_models
from tests.test_huggingface_collect import DAY, add_registry_account, clean_dump, collect, dump, rows
from tracker.cli import main
from tracker.db.engine import Database
from tracker.http import HttpClient


def is_broken(path: str, query: list[tuple[str, str]]) -> bool:
    return ("author", "org-broken") in query


def global_requests(hub: FakeHub, since: int = 0) -> list[dict[str, str]]:
    """The queries of the new-model crawl's requests (models by creation date, no author)."""
    return [
        dict(query)
        for path, query in hub.requests[since:]
        if path == "/api/models"
        and ("sort", "createdAt") in query
        and not any(k == "author" for k, _ in query)
    ]


def task_rows(database: Database, run_id: int) -> dict[str, tuple[str, str | None]]:
    found = rows(
        database, "SELECT task, status, message FROM collection_tasks WHERE run_id = :run", run=run_id
    )
    return {task: (status, message) for task, status, message in found}


@pytest.fixture
def hub() -> Any:
    with FakeHub(sample_models(), sample_datasets(), page_size=3) as fake:
        yield fake


def test_a_listing_failing_forever_does_not_stop_the_others_on_three_days(
    database: Database, hub: FakeHub
) -> None:
    hub.broken = is_broken
    for day in range(3):
        today = DAY + dt.timedelta(days=day)
        start = len(hub.requests)
        result = collect(database, hub, today=today, orgs=("org-broken", "org-a"), datasets=False)

        assert result.status == "failed"
        assert len(result.failed_tasks) == 1 and result.failed_tasks[0].startswith("models by org-broken: ")
        assert "models by org-broken" in (result.message or "")
        tasks = task_rows(database, result.run_id)
        assert tasks["models:org-broken"][0] == "failed" and "500" in (tasks["models:org-broken"][1] or "")
        assert {key: status for key, (status, _) in tasks.items() if key != "models:org-broken"} == {
            "models:org-a": "ok",
            "global": "ok",
            "top": "ok",
        }
        # the top N and the new models got their snapshot of the day
        snapshots = rows(
            database,
            "SELECT count(*) FROM hf_model_snapshots WHERE captured_on = :day",
            day=today.isoformat(),
        )[0][0]
        assert snapshots >= 5
        served = hub.requests[start:]
        broken = [i for i, (_, query) in enumerate(served) if is_broken("", query)]
        assert broken, "the failing listing was not tried again"
        if day > 0:  # tried again every day, after the others
            others = [i for i, (_, query) in enumerate(served) if not is_broken("", query)]
            assert min(broken) > max(others)


def test_failed_tasks_are_named_on_stderr_and_the_command_exits_1(
    database: Database,
    database_url: str,
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub.broken = is_broken
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("TRACKER_TODAY", DAY.isoformat())
    monkeypatch.setattr(
        HttpClient, "_sleep", lambda self, seconds: None
    )  # the CLI's real backoff, not waited
    args = [
        "--database-url",
        database_url,
        "collect",
        "huggingface",
        "--since",
        "2024-01-01",
        "--no-datasets",
    ]
    code = main([*args, "--org", "org-broken", "--org", "org-a", "--top", "3"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "huggingface: task failed: models by org-broken: " in err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        next(line for line in err.splitlines() if line.startswith("error: huggingface collection failed"))
    ]
    assert "attribution: ok" in out  # what the other tasks stored is attributed all the same
    assert rows(database, "SELECT count(*) FROM hf_models WHERE author = 'org-a'")[0][0] > 0


def stop_in_the_new_model_crawl(stop: threading.Event) -> Any:
    pages: list[str] = []

    def after_page(what: str, count: int) -> None:
        pages.append(what)
        if what == "new models" and pages.count(what) == 2:
            stop.set()

    return after_page


def test_no_new_keeps_a_pending_crawl(database: Database, hub: FakeHub) -> None:
    clean = clean_dump(database, hub)
    add_registry_account(database, "org-b")
    stop = threading.Event()
    assert (
        collect(database, hub, stop=stop, progress=stop_in_the_new_model_crawl(stop)).status == "interrupted"
    )

    skipping = collect(database, hub, global_crawl=False)
    assert skipping.status == "ok"
    pending = rows(
        database, "SELECT checkpoint FROM collection_tasks WHERE task = 'global' ORDER BY id DESC LIMIT 1"
    )[0][0]
    assert pending and "cursor" in str(pending)

    start = len(hub.requests)
    assert collect(database, hub).status == "ok"
    assert "cursor" in global_requests(hub, start)[0], "the new-model crawl started over"
    assert dump(database) == clean


def test_a_run_stopped_against_one_endpoint_completes_against_another(
    database: Database, hub: FakeHub
) -> None:
    clean = clean_dump(database, hub)
    add_registry_account(database, "org-b")
    stop = threading.Event()
    assert (
        collect(database, hub, stop=stop, progress=stop_in_the_new_model_crawl(stop)).status == "interrupted"
    )
    stored = rows(
        database, "SELECT checkpoint FROM collection_tasks WHERE task = 'global' ORDER BY id DESC LIMIT 1"
    )[0][0]
    assert "127.0.0.1" not in str(stored)  # a path and a query, never a host

    with FakeHub(sample_models(), sample_datasets(), page_size=3) as mirror:
        before = len(hub.requests)
        result = collect(database, mirror)
        assert result.status == "ok", result.message
        assert len(hub.requests) == before  # nothing asked of the old endpoint
        assert "cursor" in global_requests(mirror)[0], "the new-model crawl started over"
    assert dump(database) == clean


def test_a_cursor_the_new_endpoint_refuses_restarts_that_listing_with_a_warning(
    database: Database, hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    add_registry_account(database, "org-b")
    stop = threading.Event()
    assert (
        collect(database, hub, stop=stop, progress=stop_in_the_new_model_crawl(stop)).status == "interrupted"
    )
    with FakeHub(sample_models(), sample_datasets(), page_size=3) as mirror:
        original = mirror.listing

        def refuse_foreign_cursors(kind: str, query: list[tuple[str, str]]) -> Any:
            if any(key == "cursor" for key, _ in query) and not mirror.requests[:-1]:
                return 400, {"error": "invalid cursor"}, None
            return original(kind, query)

        mirror.listing = refuse_foreign_cursors  # type: ignore[method-assign]
        with caplog.at_level("WARNING"):
            result = collect(database, mirror, orgs=(), include_registry=False)
        assert result.status == "ok", result.message
        assert "starting the listing over" in caplog.text
        first, again = global_requests(mirror)[:2]
        assert "cursor" in first and "cursor" not in again  # refused, then from the top
    assert rows(database, "SELECT status FROM collection_tasks WHERE task = 'global' ORDER BY id DESC")[
        0
    ] == ("ok",)


def test_a_checkpoint_of_another_shape_starts_the_task_over_with_a_warning(
    database: Database, hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    stop = threading.Event()
    assert (
        collect(database, hub, stop=stop, progress=stop_in_the_new_model_crawl(stop)).status == "interrupted"
    )
    with database.engine.begin() as connection:  # e.g. written by an older version
        connection.execute(
            text("UPDATE collection_tasks SET checkpoint = :value WHERE task = 'global'"),
            {"value": json.dumps({"kind": "hf.new_models", "next_url": "http://old.example/api/models"})},
        )
    start = len(hub.requests)
    with caplog.at_level("WARNING"):
        assert collect(database, hub).status == "ok"
    assert "not readable; starting it over" in caplog.text
    assert "cursor" not in global_requests(hub, start)[0]
