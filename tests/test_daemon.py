"""The daemon: scheduled jobs against the fake APIs, one daemon per database, clean stops, catch-up, freshness.

Daemons run as subprocesses (`tracker daemon`) against a temporary database and the fake Hub and GitHub
servers of tests/fakes, with schedules in seconds. Every wait polls for a condition with a generous timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub, GeneratedModels
from tracker.cli import main
from tracker.collection import Source, Task, TaskContext, collect
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.db.models import CollectionRun, CollectionTask, HfModel, SchedulerJob
from tracker.http.client import RequestCounters
from tracker.runs import finish_run, start_run
from tracker.scheduler import jobs
from tracker.scheduler.daemon import missed_fire_time
from tracker.scheduler.freshness import check_freshness
from tracker.scheduler.schedule import make_trigger

TODAY = "2026-01-02"  # GeneratedModels are created in the minutes before 2026-01-01
TIMEOUT = 90.0  # seconds; generous for a slow, shared machine
UTC = dt.timezone.utc


class SlowModels(GeneratedModels):
    """Generated models that take a moment to serve, so a collection is still running when we stop it."""

    delay = 0.03

    def __getitem__(self, index: int) -> dict[str, Any]:  # type: ignore[override]
        time.sleep(self.delay)
        return super().__getitem__(index)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def runs(database: Database, collector: str | None = None) -> list[CollectionRun]:
    with database.session() as session:
        query = select(CollectionRun).order_by(CollectionRun.id)
        if collector:
            query = query.where(CollectionRun.collector == collector)
        return list(session.scalars(query))


def task_checkpoint(database: Database, run_id: int) -> dict[str, Any] | None:
    """The checkpoint a run's unfinished task left for the next run."""
    with database.session() as session:
        return session.scalars(
            select(CollectionTask.checkpoint).where(
                CollectionTask.run_id == run_id,
                CollectionTask.status != "ok",
                CollectionTask.checkpoint.is_not(None),
            )
        ).first()


def write_config(path: Path, schedule: dict[str, str], reports: Path, *, top: int = 5) -> Path:
    lines = ["[schedule]", *(f'{job} = "{cron}"' for job, cron in schedule.items()), "catchup_grace = 3600"]
    lines += ["[reports]", f'dir = "{reports}"']
    lines += ["[huggingface]", f"top = {top}", "datasets = false"]
    lines += ["[github]", 'searches = ["topic:llm"]', "contributors = 3"]
    path.write_text("\n".join(lines) + "\n")
    return path


class Daemon:
    """A `tracker daemon` subprocess whose stderr goes to a file we can read while it runs."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str = "daemon") -> None:
        self.log_path = cwd / f"{name}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tracker.cli import run; run()", "daemon", "--stop-timeout", "20"],
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def terminate(self, timeout: float = TIMEOUT) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._log.close()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()
        print(f"--- {daemon.log_path.name}\n{daemon.log}")  # shown when the test fails


def daemon_env(
    database_url: str, config: Path, hub: FakeHub, github: FakeGitHub | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRACKER_DATABASE_URL=database_url,
        TRACKER_CONFIG=str(config),
        TRACKER_TODAY=TODAY,
        HF_ENDPOINT=hub.url,
    )
    if github is not None:
        env.update(GITHUB_API_URL=github.url, GITHUB_TOKEN="t1")
    return env


def fake_github() -> FakeGitHub:
    github = FakeGitHub(tokens={"t1": 5000})
    github.add_org("deepthink", location="Hangzhou, China")
    github.add_repo("deepthink", "llm", stars=500, topics=["llm"])
    github.set_contributors("deepthink/llm", [("alice", 10)])
    return github


# --- the daemon in a subprocess -------------------------------------------------------------------------


def test_daemon_runs_both_collections_attribution_and_a_report(
    database: Database, database_url: str, tmp_path: Path, daemons: list[Daemon]
) -> None:
    every = "*/2 * * * * *"
    config = write_config(
        tmp_path / "tracker.toml",
        {"huggingface": every, "github": every, "report": every},
        tmp_path / "reports",
    )
    with FakeHub(GeneratedModels(20)) as hub, fake_github() as github:
        daemon = Daemon(daemon_env(database_url, config, hub, github), tmp_path)
        daemons.append(daemon)

        def all_jobs_done() -> bool:
            done = {run.collector for run in runs(database) if run.status == "ok"}
            return {"huggingface", "github", "attribution", "report"} <= done

        wait_for(all_jobs_done, "an ok run of each job")
        with database.session() as session:
            jobs = {job.job_id: job for job in session.scalars(select(SchedulerJob))}
        assert set(jobs) == {"huggingface", "github", "report"}
        assert all(job.next_run_at is not None and job.schedule == every for job in jobs.values())
        assert daemon.terminate() == 0

    with database.session() as session:
        assert (
            session.scalar(select(HfModel.repo_id).where(HfModel.repo_id == "org0/model-0")) == "org0/model-0"
        )
        assert all(job.next_run_at is None for job in session.scalars(select(SchedulerJob)))
    report_run = next(run for run in runs(database, "report") if run.status == "ok")
    assert (tmp_path / "reports" / TODAY / "report.json").is_file()
    assert report_run.items == 3  # md, html, json
    hf_run = next(run for run in runs(database, "huggingface") if run.status == "ok")
    assert f"huggingface run {hf_run.id}" in daemon.log  # one line per event, with run ids
    assert "SIGTERM received" in daemon.log
    assert all(run.status != "running" for run in runs(database))


def test_second_daemon_on_the_same_database_is_refused(
    database: Database, database_url: str, tmp_path: Path, daemons: list[Daemon]
) -> None:
    never = "0 0 1 1 *"  # nothing runs during the test
    config = write_config(
        tmp_path / "tracker.toml",
        {"huggingface": never, "github": never, "report": never},
        tmp_path / "reports",
    )
    with FakeHub() as hub:
        env = daemon_env(database_url, config, hub)
        first = Daemon({**env, "TRACKER_LOG_JSON": "1"}, tmp_path, "first")
        daemons.append(first)
        wait_for(lambda: "job report scheduled" in first.log, "the first daemon to start")

        second = subprocess.run(
            [sys.executable, "-c", "from tracker.cli import run; run()", "daemon"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert second.returncode == 3
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert "lock" in lines[0] and ("advisory" in lines[0] or ".daemon.lock" in lines[0])
        assert first.process.poll() is None  # the first daemon is unaffected
        assert first.terminate() == 0
    events = [json.loads(line) for line in first.log.splitlines() if line.startswith("{")]
    assert {"huggingface", "github", "report"} <= {event.get("job") for event in events}  # JSON log lines


def test_sigterm_mid_collection_leaves_an_interrupted_run_that_the_next_start_resumes(
    database: Database, database_url: str, tmp_path: Path, daemons: list[Daemon]
) -> None:
    config = write_config(
        tmp_path / "tracker.toml",
        {"huggingface": "*/2 * * * * *", "github": "off", "report": "off"},
        tmp_path / "reports",
        top=0,
    )
    models = SlowModels(150)
    with FakeHub(models) as hub:
        env = daemon_env(database_url, config, hub)
        first = Daemon(env, tmp_path, "first")
        daemons.append(first)

        def collecting() -> bool:
            return any(
                run.status == "running" and task_checkpoint(database, run.id) and run.items > 0
                for run in runs(database)
            )

        wait_for(collecting, "the collection to store its first pages")
        started = time.monotonic()
        assert first.terminate() == 0
        assert time.monotonic() - started < 30
        (interrupted,) = runs(database, "huggingface")
        assert interrupted.status == "interrupted"
        assert task_checkpoint(database, interrupted.id)
        stored_before = interrupted.items
        assert 0 < stored_before < len(models)

        requests_before = len(hub.requests)
        models.delay = 0.0
        second = Daemon(env, tmp_path, "second")
        daemons.append(second)
        wait_for(lambda: any(run.status == "ok" for run in runs(database, "huggingface")), "the resumed run")
        assert second.terminate() == 0

    resumed = next(run for run in runs(database, "huggingface") if run.status == "ok")
    assert resumed.id > interrupted.id
    first_request = next(query for path, query in hub.requests[requests_before:] if path == "/api/models")
    assert "cursor" in dict(first_request)  # it went on from the stored page, not from the top
    with database.session() as session:
        assert len(list(session.scalars(select(HfModel.id)))) == len(models)


# --- catch-up and freshness (in process) ----------------------------------------------------------------


def _run_at(database: Database, collector: str, started: dt.datetime, status: str = "ok") -> None:
    run_id = start_run(database, collector, started.date())
    finish_run(database, run_id, status)
    with database.session() as session:
        run = session.get(CollectionRun, run_id)
        assert run is not None
        run.started_at = started
        run.finished_at = started + dt.timedelta(minutes=30)


def test_catch_up_finds_a_run_missed_while_down_within_the_grace(database: Database) -> None:
    daily = make_trigger("0 2 * * *", "huggingface")
    now = dt.datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
    grace = 6 * 3600
    assert missed_fire_time(database, "huggingface", daily, now, grace) == now  # never ran: at once

    _run_at(database, "huggingface", dt.datetime(2026, 3, 9, 2, 0, 1, tzinfo=UTC))
    today_2am = dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert missed_fire_time(database, "huggingface", daily, now, grace) == today_2am
    _run_at(database, "huggingface", dt.datetime(2026, 3, 10, 2, 0, 1, tzinfo=UTC))
    assert missed_fire_time(database, "huggingface", daily, now, grace) is None  # today's run happened

    _run_at(database, "huggingface", dt.datetime(2026, 3, 11, 2, 0, 0, tzinfo=UTC), status="interrupted")
    later = dt.datetime(2026, 3, 11, 3, 0, tzinfo=UTC)
    # an interrupted run does not count as done: it is caught up (and resumes its checkpoint)
    assert missed_fire_time(database, "huggingface", daily, later, grace) == today_2am + dt.timedelta(days=1)
    # beyond the grace, the missed run is left to the next scheduled one
    assert missed_fire_time(database, "huggingface", daily, later + dt.timedelta(hours=7), grace) is None


def test_freshness_flags_a_job_whose_last_success_is_too_old(database: Database, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "tracker.toml",
        {"huggingface": "0 2 * * *", "github": "0 3 * * *", "report": "off"},
        tmp_path / "reports",
    )
    settings = load_settings({"config_file": str(config), "database_url": database.url})
    now = dt.datetime.now(UTC)
    _run_at(database, "huggingface", now - dt.timedelta(days=3))
    _run_at(database, "github", now - dt.timedelta(hours=20))
    results = {result.job: result for result in check_freshness(database, settings, now)}
    assert set(results) == {"huggingface", "github"}  # "off" is not checked
    assert results["huggingface"].stale and not results["github"].stale
    assert results["huggingface"].period == dt.timedelta(days=1)


def test_status_check_exits_non_zero_naming_the_stale_job(
    database: Database, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path / "tracker.toml",
        {"huggingface": "0 2 * * *", "github": "0 3 * * *", "report": "0 6 * * mon"},
        tmp_path / "reports",
    )
    base = ["--database-url", database_url, "--config", str(config), "status"]
    assert main([*base, "--check"]) == 0  # nothing has run yet: nothing is stale

    now = dt.datetime.now(UTC)
    _run_at(database, "github", now - dt.timedelta(days=2), status="ok")
    _run_at(database, "github", now - dt.timedelta(hours=1), status="failed")
    _run_at(database, "huggingface", now - dt.timedelta(hours=2))
    capsys.readouterr()
    assert main([*base, "--check"]) == 1
    out, err = capsys.readouterr()
    assert "stale: github" in err and "huggingface" not in err
    assert "github: last success 2.0d ago" in out

    with database.session() as session:
        session.add(SchedulerJob(job_id="github", schedule="0 3 * * *", next_run_at=now, daemon="host:1"))
    assert main(base) == 0
    out, _ = capsys.readouterr()
    assert "daemon schedule" in out and "failed" in out  # the github job's last result


# --- the composed jobs (in process) ---------------------------------------------------------------------


def test_a_collector_that_raises_leaves_a_failed_run_and_no_attribution(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings({"database_url": database.url})

    class BrokenSource(Source):
        name = "huggingface"
        counters = RequestCounters()

        def plan(self, database: Database) -> list[Task]:
            return [Task("only", "the only task")]

        def run_task(self, task: Task, context: TaskContext) -> None:
            raise RuntimeError("collector bug")

        def close(self) -> None:
            pass

    def broken(database: Database, settings: Any, plan: Any, **_: Any) -> Any:
        return collect(database, BrokenSource(), settings.today)  # the framework closes the run as failed

    monkeypatch.setattr(jobs, "collect_huggingface", broken)
    outcome = jobs.run_job("huggingface", database, settings)
    assert outcome.status == "failed" and "collector bug" in (outcome.message or "")
    (run,) = runs(database)
    assert (run.collector, run.status) == ("huggingface", "failed")
    assert outcome.runs == {"huggingface": run.id}

    stop = threading.Event()
    stop.set()
    assert jobs.run_job("github", database, settings, stop=stop).status == "skipped"
    assert len(runs(database)) == 1  # nothing started once stopping
