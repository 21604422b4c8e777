"""One collection per source per database, whoever starts it; serialised migrations; lock files by real path."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.hub import FakeHub, GeneratedModels
from tracker.cli import main
from tracker.cli.app import EXIT_RESUMABLE
from tracker.collection import SourceBusy, SourceLock
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.db.lock import sqlite_lock_path
from tracker.runs import start_run
from tracker.scheduler.jobs import collect_job
from tracker.scheduler.lock import DaemonLock

TODAY = "2026-01-02"
ARGS = ["collect", "huggingface", "--no-registry", "--top", "0", "--since", "2025-12-01", "--page-size", "20"]

# Holds the source lock the way a daemon job's collection does, until killed (or for argv[3] seconds).
HOLDER = textwrap.dedent(
    """
    import sys, time
    from tracker.db.engine import Database
    from tracker.collection import SourceLock
    lock = SourceLock(Database(sys.argv[1]), sys.argv[2])
    lock.acquire()
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
    lock.release()
    """
)


class SlowModels(GeneratedModels):
    """Generated models that take a moment to serve, so a collection is still running when another starts."""

    delay = 0.03

    def __getitem__(self, index: int) -> dict[str, Any]:  # type: ignore[override]
        time.sleep(self.delay)
        return super().__getitem__(index)


def hold(database_url: str, source: str, seconds: float = 120) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url, source, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def runs(database: Database) -> list[tuple[str, str]]:
    with database.engine.connect() as connection:
        return [
            tuple(row) for row in connection.execute(text("SELECT collector, status FROM collection_runs"))
        ]


def test_a_cli_collection_during_a_daemon_job_is_refused_with_exit_3(
    database: Database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeHub(GeneratedModels(30)) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("TRACKER_TODAY", TODAY)
        holder = hold(database_url, "huggingface")
        try:
            code = main(["--database-url", database_url, *ARGS])
        finally:
            holder.kill()
            holder.wait(timeout=30)
        err = capsys.readouterr().err
        assert code == EXIT_RESUMABLE
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "another huggingface collection" in errors[0], err
        if database.backend == "sqlite":
            assert f":{holder.pid}" in errors[0]  # the holder's host:pid
        else:
            assert "advisory lock" in errors[0] and f":{holder.pid}" in errors[0]
        assert hub.requests == [] and runs(database) == []

    # the GitHub source has its own lock: a Hub collection does not hold it
    with SourceLock(database, "github") as other:
        assert other.held


def test_wait_lets_a_collection_start_once_the_other_ends(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeHub(GeneratedModels(30)) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("TRACKER_TODAY", TODAY)
        holder = hold(database_url, "huggingface", seconds=1.5)
        try:
            started = time.monotonic()
            code = main(["--database-url", database_url, *ARGS, "--wait", "60"])
        finally:
            holder.wait(timeout=30)
        assert code == 0
        assert time.monotonic() - started >= 1.0
    assert ("huggingface", "ok") in runs(database)


def test_two_collections_started_together_on_a_fresh_database(
    empty_database_url: str, tmp_path: Path
) -> None:
    models = SlowModels(150)
    with FakeHub(models) as hub:
        env = {**os.environ, "HF_ENDPOINT": hub.url, "TRACKER_TODAY": TODAY}
        command = [
            sys.executable,
            "-c",
            "from tracker.cli import run; run()",
            "--database-url",
            empty_database_url,
            *ARGS,
        ]
        both = [
            subprocess.Popen(
                command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        results = [(process.wait(timeout=300), process.communicate()[1]) for process in both]
    codes = sorted(code for code, _ in results)
    errors = "\n".join(err for _, err in results)
    assert codes == [0, EXIT_RESUMABLE], errors
    refused = next(err for code, err in results if code == EXIT_RESUMABLE)
    assert "another huggingface collection" in refused
    assert "alembic_version" not in errors and "UNIQUE" not in errors and "Traceback" not in errors
    database = Database(empty_database_url)
    try:
        with database.engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM hf_models")).scalar()
            parents = connection.execute(text("SELECT count(*) FROM hf_model_parents")).scalar()
        assert stored == len(models) and parents == len(models) // 3
        assert [run for run in runs(database) if run[0] == "huggingface"] == [("huggingface", "ok")]
    finally:
        database.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_symlinked_database_path_shares_the_lock_files(
    backend: str, database: Database, tmp_path: Path
) -> None:
    real = Path(database.engine.url.database or "")
    link = tmp_path / "elsewhere.db"
    link.symlink_to(real)
    twin = Database(f"sqlite:///{link}")
    try:
        assert sqlite_lock_path(twin) == sqlite_lock_path(database)
        with DaemonLock(database), pytest.raises(Exception, match="another tracker daemon"):
            DaemonLock(twin).acquire()
        with SourceLock(database, "huggingface"), pytest.raises(SourceBusy):
            SourceLock(twin, "huggingface").acquire()
    finally:
        twin.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_daemon_lock_notices_a_deleted_lock_file(backend: str, database: Database) -> None:
    lock = DaemonLock(database)
    lock.acquire()
    try:
        assert lock.check()
        path = sqlite_lock_path(database)
        assert path is not None
        path.unlink()
        assert not lock.check()  # another daemon could now lock a new file of that name
        lock.release()
        lock.acquire()  # what the daemon does on a failed check: take it again (a new file)
        assert lock.check() and path.exists()
    finally:
        lock.release()


def test_a_run_left_running_is_resumed_only_once_its_lock_is_free(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a collection holds the lock its `running` row is live: a second start is refused and the row is
    untouched; once the holder is gone, the next run closes it as interrupted and goes on."""
    with FakeHub(GeneratedModels(30)) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("TRACKER_TODAY", TODAY)
        holder = hold(database_url, "huggingface")
        live = start_run(database, "huggingface", dt.date(2026, 1, 2))
        try:
            assert main(["--database-url", database_url, *ARGS]) == EXIT_RESUMABLE
            assert runs(database) == [("huggingface", "running")]
        finally:
            holder.kill()
            holder.wait(timeout=30)
        assert main(["--database-url", database_url, *ARGS]) == 0
    with database.engine.connect() as connection:
        statuses = dict(
            connection.execute(
                text("SELECT id, status FROM collection_runs WHERE collector = 'huggingface'")
            ).all()
        )
    assert statuses[live] == "interrupted" and sorted(statuses.values()) == ["interrupted", "ok"]


def test_a_waiting_lock_is_taken_as_soon_as_it_is_released(database: Database) -> None:
    first = SourceLock(database, "github")
    first.acquire()
    threading.Timer(0.5, first.release).start()
    second = SourceLock(database, "github")
    second.acquire(wait=30)
    assert second.held
    second.release()


def test_a_daemon_job_skips_a_source_a_cli_collection_holds(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeHub(GeneratedModels(30)) as hub:
        settings = load_settings({"hf_endpoint": hub.url, "today": TODAY})
        holder = hold(database_url, "huggingface")
        try:
            outcome = collect_job("huggingface", database, settings)
        finally:
            holder.kill()
            holder.wait(timeout=30)
        assert outcome.status == "skipped" and "another huggingface collection" in (outcome.message or "")
        assert hub.requests == [] and runs(database) == []
