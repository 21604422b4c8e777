"""Fault injection: the database goes away in the middle of a Hub collection.

PostgreSQL: the collector's server connections are ended with `pg_terminate_backend` (the shared server
keeps running). SQLite: another process takes the write lock and keeps it beyond the busy timeout. In both
cases `tracker collect huggingface` fails with one clear line and exit 1, what is stored matches the saved
checkpoint exactly (a page's rows and its checkpoint are committed together or not at all), and the next
run completes to the rows of an uninterrupted run.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import tracker.db.engine as engine_module
from tests.fakes.github import FakeGitHub, add_example_data
from tests.fakes.hub import FakeHub, hub_model
from tests.fakes.tcp_proxy import TcpProxy
from tests.github_helpers import dump
from tests.test_faults_kill import table_rows, wipe
from tracker.cli import main
from tracker.db.engine import Database
from tracker.sources.huggingface import collect as hf_collect

MODELS = 60
PAGE = 3
ARGS = [
    "collect",
    "huggingface",
    "--since",
    "2024-01-01",
    "--no-registry",
    "--top",
    "0",
    "--page-size",
    str(PAGE),
]


def models() -> list[dict[str, Any]]:
    return [
        hub_model(
            f"db{i % 4}/m-{i}",
            created=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z",
            downloads=i * 7,
            tags=[f"base_model:finetune:db{(i + 1) % 4}/m-{i + 1}"] if i % 2 else [],
        )
        for i in range(MODELS)
    ]


def on_request(hub: FakeHub, nth: int, action: Callable[[], None]) -> None:
    """Call `action` (once) as the fake Hub receives its `nth` request, before answering it."""
    seen = [0]

    def hook(_path: str, _query: list[tuple[str, str]]) -> bool:
        seen[0] += 1
        if seen[0] == nth:
            action()
        return False

    hub.faults.clear()
    hub.inject("500", when=hook)


def stored_matches_checkpoint(database: Database) -> None:
    """The failed run's checkpoint points at page k exactly when the first k pages' models are stored."""
    with database.engine.connect() as connection:
        status, message, items = connection.execute(
            text("SELECT status, message, items FROM collection_runs ORDER BY id DESC LIMIT 1")
        ).one()
        checkpoint = connection.execute(
            text("SELECT checkpoint FROM collection_tasks WHERE task = 'global' ORDER BY id DESC LIMIT 1")
        ).scalar()
        stored = set(connection.execute(text("SELECT repo_id FROM hf_models")).scalars())
        snapshots = connection.execute(text("SELECT count(*) FROM hf_model_snapshots")).scalar()
    # PostgreSQL reconnects to record the failure; a still-locked SQLite file leaves the run `running`
    assert status == "failed" and message or status == "running"
    assert not message or ("\n" not in message and "[SQL" not in message), message
    if isinstance(checkpoint, str):
        checkpoint = json.loads(checkpoint)
    query = dict((checkpoint or {}).get("query") or [])  # the next page's query (no host)
    offset = 0
    if "cursor" in query:
        offset = json.loads(base64.b64decode(query["cursor"]))["$offset"]
    order = sorted(models(), key=lambda m: (m["createdAt"], [-ord(c) for c in m["_id"]]), reverse=True)
    assert stored == {m["id"] for m in order[:offset]}
    assert snapshots == len(stored)
    assert items == len(stored), "the run row claims items that were rolled back"


def one_database_error(err: str) -> str:
    """The single `error: database: ...` line a failed run prints (progress lines aside), with no traceback
    and no SQL statement."""
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and "Traceback" not in err and "[SQL" not in err, err
    assert lines[0].startswith("error: database:"), err
    return lines[0]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    with FakeHub(models=models(), page_size=PAGE) as server:
        server.record_requests = False
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("TRACKER_TODAY", "2025-03-01")
        # commits every few pages only, never by the clock: the fault lands inside an open transaction
        monkeypatch.setattr(hf_collect, "COMMIT_EVERY_SECONDS", 3600.0)
        yield server


def expected_rows(database: Database, database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    assert main(["--database-url", database_url, *ARGS]) == 0
    rows = table_rows(database)
    wipe(database)
    return rows


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("nth", [3, 9])
def test_postgresql_connections_terminated_mid_run(
    backend: str,
    database: Database,
    database_url: str,
    hub: FakeHub,
    nth: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = expected_rows(database, database_url)
    capsys.readouterr()
    name = make_url(database_url).database
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    terminated: list[int] = []

    def terminate() -> None:
        with admin.connect() as connection:
            terminated.extend(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalars()
            )

    database.dispose()
    on_request(hub, nth, terminate)
    try:
        code = main(["--database-url", database_url, *ARGS])
    finally:
        admin.dispose()
    err = capsys.readouterr().err
    assert terminated, "no collector connection was open to terminate"
    assert code == 1
    assert "connection" in one_database_error(err).lower()
    stored_matches_checkpoint(database)

    hub.faults.clear()
    assert main(["--database-url", database_url, *ARGS]) == 0
    assert table_rows(database) == expected


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_locked_beyond_the_busy_timeout_mid_run(
    backend: str,
    database: Database,
    database_url: str,
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Another connection takes the write lock right after the collector's first page commit and keeps it.

    The lock is taken in the collector's own thread, between its commit and its next write, so the test
    never races a second thread for the lock (a starved locker thread could outlive the run).
    """
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    expected = expected_rows(database, database_url)
    capsys.readouterr()
    path = make_url(database_url).database
    locker = sqlite3.connect(path, timeout=0, isolation_level=None)
    locked: list[int] = []
    commit = hf_collect._Pages.commit

    def commit_then_lock(pages: Any) -> None:
        commit(pages)
        stored = locker.execute("SELECT count(*) FROM hf_models").fetchone()[0]
        if not locked and stored > 0:
            locker.execute("BEGIN IMMEDIATE")  # nothing else holds it: the collector has just committed
            locked.append(stored)

    monkeypatch.setattr(hf_collect._Pages, "commit", commit_then_lock)
    database.dispose()
    try:
        code = main(["--database-url", database_url, *ARGS])
    finally:
        if locked:
            locker.execute("ROLLBACK")
        locker.close()
    assert locked, "the collector never committed a page"
    err = capsys.readouterr().err
    assert code == 1
    assert "locked" in one_database_error(err)
    stored_matches_checkpoint(database)
    with database.engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM hf_models")).scalar()
    assert stored == locked[0], "pages committed before the lock were lost, or written after it"

    monkeypatch.setattr(hf_collect._Pages, "commit", commit)
    hub.faults.clear()
    assert main(["--database-url", database_url, *ARGS]) == 0
    assert table_rows(database) == expected


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_behind_a_proxy_that_is_cut_mid_run(
    backend: str,
    database: Database,
    database_url: str,
    hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The server vanishes for good (connections cut, new ones refused): the run cannot even record its
    failure, so it stays `running` with its last committed checkpoint, and the next run resumes from it."""
    expected = expected_rows(database, database_url)
    capsys.readouterr()
    direct = make_url(database_url)
    with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        database.dispose()
        on_request(hub, 9, proxy.cut)
        code = main(["--database-url", proxied, *ARGS])
    err = capsys.readouterr().err
    assert proxy.connections > 0
    assert code == 1
    one_database_error(err)
    stored_matches_checkpoint(database)
    with database.engine.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM collection_runs ORDER BY id")).scalars().all()
    assert statuses[-1] == "running"

    hub.faults.clear()
    assert main(["--database-url", database_url, *ARGS]) == 0
    assert table_rows(database) == expected


def github_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every GitHub row; `tracked_because` left out (a later run sees the orgs that attribution linked)."""
    rows = dump(database)
    rows["gh_repos"] = sorted((row[:13] + row[14:] for row in rows["gh_repos"]), key=repr)
    return rows


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("nth", [6, 15])
def test_github_collection_when_the_database_vanishes(
    backend: str,
    database: Database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    nth: int,
) -> None:
    """The GitHub collector holds no transaction across requests, so the proxy is cut for good at the nth
    request: its next write fails with one line, and a run against the server again completes."""
    args = [
        "collect",
        "github",
        "--org",
        "qwen-lab",
        "--org",
        "mistral-like",
        "--no-search",
        "--contributors",
        "3",
    ]
    with FakeGitHub(tokens={"t1": 5000}) as github:
        add_example_data(github)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_TOKEN", "t1")
        monkeypatch.setenv("TRACKER_TODAY", "2026-03-02")
        assert main(["--database-url", database_url, *args]) == 0
        expected = github_rows(database)
        wipe(database)
        capsys.readouterr()

        direct = make_url(database_url)
        take_fault = github._take_fault
        with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
            seen = [0]

            def hooked(path: str) -> str | None:
                seen[0] += 1
                if seen[0] == nth:
                    proxy.cut()
                return take_fault(path)

            github._take_fault = hooked  # type: ignore[method-assign]
            proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            code = main(["--database-url", proxied, *args])
        err = capsys.readouterr().err
        assert code == 1
        one_database_error(err)
        github._take_fault = take_fault  # type: ignore[method-assign]
        assert main(["--database-url", database_url, *args]) == 0
    assert github_rows(database) == expected


def test_a_new_sqlite_file_answering_locked_at_once_is_tried_again_then_named(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes opening a new SQLite file together can get "database is locked" at once: the check tries
    again and goes on; a lock that stays is one clear error."""
    from sqlalchemy import event

    from tracker.db.engine import DatabaseError

    monkeypatch.setattr(engine_module.time, "sleep", lambda seconds: None)
    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    failures = {"left": 2}

    @event.listens_for(database.engine, "connect")
    def locked(dbapi_connection: Any, record: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database is locked")

    database.check()
    assert failures["left"] == 0
    failures["left"] = engine_module.LOCKED_RETRIES + 1
    database.engine.dispose()
    with pytest.raises(DatabaseError, match="is not usable: database is locked"):
        database.check()
