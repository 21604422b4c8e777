"""The background daemon: the scheduled jobs of `tracker.scheduler.jobs` on cron triggers, one daemon per database.

APScheduler 3 `BlockingScheduler` in UTC. Jobs run one at a time on a single worker (collections are long and
SQLite has one writer), never overlap themselves (`max_instances=1`), and missed fire times coalesce into one
run. At start, a fire time missed while the daemon was down (within `catchup_grace`) runs at once, and so
does a job that never ran; the `collection_runs` table says when each job last ran. SIGTERM/SIGINT set the
shared stop event: no new job starts, the running collector stops after its current request and marks its
run `interrupted`, and the daemon exits within a few seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, select

from tracker.config import ConfigError, Settings
from tracker.db.engine import Database
from tracker.db.migrate import ensure_schema
from tracker.db.models import CollectionRun, SchedulerJob
from tracker.runs import FAILED, OK, RATE_LIMITED
from tracker.scheduler.jobs import JobOutcome, describe_error, run_job
from tracker.scheduler.lock import DaemonLock, DaemonLockHeld, owner_label
from tracker.scheduler.schedule import next_fire, scheduled_jobs

log = logging.getLogger("tracker.scheduler")

STOP_TIMEOUT = 30.0  # seconds a running job gets to stop after SIGTERM before the daemon exits anyway
LOCK_CHECK_SECONDS = 60
# Runs that count as "the job ran" for catch-up; an interrupted or killed run does not, so it is caught up.
_COMPLETED = (OK, RATE_LIMITED, FAILED)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def missed_fire_time(
    database: Database, job: str, trigger: CronTrigger, now: dt.datetime, grace_seconds: int
) -> dt.datetime | None:
    """When `job` should have run but did not: a fire time within the last `grace_seconds` with no completed
    run since, or `now` for a job that has never run at all (a new deployment starts collecting at once)."""
    with database.session() as session:
        if session.scalar(select(CollectionRun.id).where(CollectionRun.collector == job).limit(1)) is None:
            return now
        last = session.scalar(
            select(CollectionRun.started_at)
            .where(CollectionRun.collector == job, CollectionRun.status.in_(_COMPLETED))
            .order_by(CollectionRun.id.desc())
            .limit(1)
        )
    start = now - dt.timedelta(seconds=grace_seconds)
    if last is not None and last + dt.timedelta(seconds=1) > start:
        start = last + dt.timedelta(seconds=1)
    when = next_fire(trigger, start)
    return when if when is not None and when <= now else None


class Daemon:
    """Run the schedule until stopped. `load_settings` is called before each job, so the date stamped on
    snapshots is the day the job runs (and a changed crawl plan applies without a restart)."""

    def __init__(
        self,
        database: Database,
        load_settings: Callable[[], Settings],
        *,
        stop: threading.Event | None = None,
        stop_timeout: float = STOP_TIMEOUT,
        job_runner: Callable[..., JobOutcome] = run_job,
    ) -> None:
        self.database = database
        self.load_settings = load_settings
        self.settings = load_settings()
        self.triggers = scheduled_jobs(self.settings.schedule)
        self.stop = stop or threading.Event()
        self.stop_timeout = stop_timeout
        self.job_runner = job_runner
        self.owner = owner_label()
        self.lock = DaemonLock(database)
        self.lock_lost = False
        self._job_running = threading.Lock()
        self._scheduler: BlockingScheduler | None = None
        self._done = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------------

    def run(self) -> bool:
        """Hold the lock and run the schedule until the stop event is set. True when every job stopped in time.

        Raises `DaemonLockHeld` when another daemon holds this database's lock (or the lock was lost).
        """
        self.lock.acquire()
        _quiet_apscheduler()
        log.info("daemon %s started; holds the %s", self.owner, self.lock.name)
        previous = self._install_signal_handlers()
        clean = True
        try:
            if ensure_schema(self.database):
                log.info("schema upgraded to the newest revision")
            scheduler = self._build_scheduler()
            watcher = threading.Thread(target=self._shutdown_when_stopped, name="tracker-stop", daemon=True)
            watcher.start()
            if not self.stop.is_set():
                scheduler.start()  # blocks until the stop event shuts it down
            self._done.set()
            clean = self._wait_for_running_job()
            self._write_schedule(stopped=True)
            log.info("daemon %s stopped", self.owner)
        finally:
            self._done.set()
            self._restore_signal_handlers(previous)
            self.lock.release()
        if self.lock_lost:
            raise DaemonLockHeld(f"lost the {self.lock.name} to another daemon; stopped")
        return clean

    def _build_scheduler(self) -> BlockingScheduler:
        grace = max(int(self.settings.catchup_grace), 1)
        scheduler = BlockingScheduler(
            timezone=dt.timezone.utc,
            executors={"default": ThreadPoolExecutor(1), "watch": ThreadPoolExecutor(1)},
        )
        now = _utcnow()
        catch_up: dict[str, dt.datetime] = {}
        for job, trigger in self.triggers.items():
            missed = missed_fire_time(self.database, job, trigger, now, grace)
            options: dict[str, Any] = {}
            if missed is not None:
                catch_up[job] = now
                options["next_run_time"] = now
                log.info(
                    "job %s: %s; running it now",
                    job,
                    "never ran" if missed == now else f"the run due at {_show(missed)} was missed while down",
                    extra={"job": job},
                )
            scheduler.add_job(
                self._run,
                trigger,
                args=[job],
                id=job,
                name=job,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=grace,
                **options,
            )
        scheduler.add_job(
            self._check_lock,
            IntervalTrigger(seconds=LOCK_CHECK_SECONDS, timezone=dt.timezone.utc),
            id="lock-check",
            executor="watch",
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_listener(self._on_skipped, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self._write_schedule(next_times=catch_up)
        for job in self.triggers:
            log.info(
                "job %s scheduled %r (UTC); next run %s",
                job,
                self.settings.schedule[job],
                _show(catch_up.get(job) or next_fire(self.triggers[job], now)),
                extra={"job": job},
            )
        self._scheduler = scheduler
        return scheduler

    def _shutdown_when_stopped(self) -> None:
        self.stop.wait()
        while not self._done.is_set():
            scheduler = self._scheduler
            if scheduler is not None and scheduler.running:
                try:
                    scheduler.shutdown(wait=False)
                    return
                except SchedulerNotRunningError:
                    pass
            time.sleep(0.05)

    def _wait_for_running_job(self) -> bool:
        if self._job_running.acquire(timeout=self.stop_timeout):
            self._job_running.release()
            return True
        log.error(
            "a job did not stop within %.0fs; exiting anyway (its run stays open and the next run resumes it)",
            self.stop_timeout,
        )
        return False

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, self._on_signal)
        return previous

    def _restore_signal_handlers(self, previous: dict[int, Any]) -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    def _on_signal(self, number: int, _frame: Any) -> None:
        name = signal.Signals(number).name
        if self.stop.is_set():
            log.warning("%s received again; still stopping", name)
            return
        log.info("%s received: no new jobs; the running job stops after its current request", name)
        self.stop.set()

    # -- jobs ------------------------------------------------------------------------------------------

    def _run(self, job: str) -> None:
        if self.stop.is_set():
            log.info("job %s: not started, the daemon is stopping", job, extra={"job": job})
            return
        with self._job_running:
            try:
                settings = self.load_settings()
            except ConfigError as error:
                log.warning("config no longer loads (%s); using the settings read at start", error)
                settings = self.settings
            log.info("job %s started", job, extra={"job": job})
            started = time.monotonic()
            try:
                outcome = self.job_runner(job, self.database, settings, stop=self.stop)
            except Exception as error:  # the database went away, a bug: log it, keep the schedule
                log.error(
                    "job %s failed: %s",
                    job,
                    describe_error(error),
                    extra={"job": job},
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
            else:
                level = logging.WARNING if outcome.status == FAILED else logging.INFO
                first_run = next(iter(outcome.runs.values()), None)
                log.log(
                    level,
                    "%s in %.1fs",
                    outcome.describe(),
                    time.monotonic() - started,
                    extra={"job": job, "run_id": first_run, "runs": dict(outcome.runs)},
                )
            if not self.stop.is_set():  # once stopping, `run` records the schedule as stopped
                try:
                    self._write_schedule()
                except Exception as error:
                    log.warning("could not record the schedule: %s", error)

    def _on_skipped(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning(
                "job %s: still running, the run due now is skipped", event.job_id, extra={"job": event.job_id}
            )
        else:
            log.warning(
                "job %s: the run due at %s was missed (beyond the grace time)",
                event.job_id,
                _show(getattr(event, "scheduled_run_time", None)),
                extra={"job": event.job_id},
            )

    def _check_lock(self) -> None:
        if self.lock.check():
            return
        log.warning(
            "lost the %s (its connection dropped, or its lock file was deleted); taking it again",
            self.lock.name,
        )
        self.lock.release()
        try:
            self.lock.acquire()
        except DaemonLockHeld:
            log.error("another daemon took the %s; stopping", self.lock.name)
            self.lock_lost = True
            self.stop.set()
        except Exception as error:  # the database is down: keep trying at the next check
            log.warning("could not take the lock again yet: %s", error)

    def _write_schedule(
        self, *, next_times: dict[str, dt.datetime] | None = None, stopped: bool = False
    ) -> None:
        """Record each job's schedule and next run time in `scheduler_jobs` for `tracker status`."""
        now = _utcnow()
        with self.database.session() as session:
            session.execute(delete(SchedulerJob).where(SchedulerJob.job_id.not_in(list(self.triggers))))
            for job, trigger in self.triggers.items():
                row = session.get(SchedulerJob, job) or SchedulerJob(job_id=job)
                row.schedule = self.settings.schedule[job]
                if stopped:
                    row.next_run_at = None
                else:
                    row.next_run_at = (next_times or {}).get(job) or next_fire(trigger, now)
                row.daemon = f"{self.owner} (stopped)" if stopped else self.owner
                row.updated_at = now
                session.add(row)


def _quiet_apscheduler() -> None:
    # APScheduler logs every start and finish at INFO; the daemon logs its own lines, so keep only errors.
    scheduler_log = logging.getLogger("apscheduler")
    scheduler_log.handlers[:] = logging.getLogger("tracker").handlers
    scheduler_log.setLevel(logging.ERROR)
    scheduler_log.propagate = False


def _show(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "-"
