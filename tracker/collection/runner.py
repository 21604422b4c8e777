"""`collect`: run one source's collection under its lock, task by task (see `tracker.collection`)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from tracker import runs
from tracker.collection import tasks as task_rows
from tracker.collection.lock import SourceLock
from tracker.collection.source import Checkpoint, Progress, Source, Task, TaskContext, TaskFailed
from tracker.collection.tasks import TaskStanding
from tracker.db.engine import Database
from tracker.http import HttpError, Interrupted, RateLimitExceeded
from tracker.http.client import RequestCounters

log = logging.getLogger(__name__)


@dataclass
class CollectResult:
    """The outcome of one collection run (its row in `collection_runs` has the same figures)."""

    run_id: int
    status: str  # ok / rate_limited / interrupted / failed (see tracker.runs)
    items: int = 0
    skipped: int = 0
    counters: RequestCounters = field(default_factory=RequestCounters)
    message: str | None = None
    failed_tasks: list[str] = field(default_factory=list)  # "label: reason", one per failed task

    @property
    def resumable(self) -> bool:
        return self.status in (runs.RATE_LIMITED, runs.INTERRUPTED)


def collect(
    database: Database,
    source: Source,
    run_date: dt.date,
    *,
    wait: float = 0.0,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
) -> CollectResult:
    """Run `source` once: take its lock (`SourceBusy` if another collection holds it beyond `wait` seconds),
    record the run, run every task, and close the run. Closes the source at the end."""
    lock = SourceLock(database, source.lock or source.name)
    try:
        lock.acquire(wait)
    except BaseException:
        source.close()
        raise
    try:
        return _Run(database, source, run_date, stop or threading.Event(), progress).run()
    finally:
        source.close()
        lock.release()


def _ordered(planned: list[Task], standing: dict[str, TaskStanding]) -> list[Task]:
    """Tasks that failed last time go after the others, so a task failing every day never blocks the rest."""
    failed = {key for key, row in standing.items() if row.status == runs.FAILED}
    return [task for task in planned if task.key not in failed] + [
        task for task in planned if task.key in failed
    ]


class _Run:
    def __init__(
        self,
        database: Database,
        source: Source,
        run_date: dt.date,
        stop: threading.Event,
        progress: Progress | None,
    ) -> None:
        self.database = database
        self.source = source
        self.run_date = run_date
        self.stop = stop
        self.progress: Progress = progress or (lambda what, count: None)
        self.totals = {"items": 0, "skipped": 0}
        self.failed: list[str] = []
        self.resume_after: int | None = None  # resuming: tasks done today by runs after this id are skipped

    def run(self) -> CollectResult:
        name = self.source.name
        newest = runs.last_runs(self.database).get(name)
        last_ok = runs.last_success(self.database, name)
        # a run after a stopped, failed or killed one skips what was done since the last complete run
        self.resume_after = (
            (last_ok.id if last_ok else 0) if newest and newest.status in runs.UNFINISHED else None
        )
        abandoned = task_rows.close_abandoned_runs(
            self.database, name, "its process ended without closing it; the next run resumes it"
        )
        if abandoned:
            log.info("%s: run(s) %s were left running by a process that is gone", name, abandoned)
        run_id = runs.start_run(self.database, name, self.run_date, params=self.source.params())
        status, message = runs.OK, None
        try:
            planned = self.source.plan(self.database)
            standing = task_rows.standings(self.database, name, [task.key for task in planned])
            for task in _ordered(planned, standing):
                outcome = self._run_task(run_id, task, standing.get(task.key))
                if outcome is not None:
                    status, message = outcome
                    break
        except BaseException as error:
            runs.finish_run(
                self.database,
                run_id,
                runs.FAILED,
                counters=self.source.counters,
                errors=len(self.failed) + 1,
                message=f"{type(error).__name__}: {error}",
            )
            raise
        if status == runs.OK and self.failed:
            status = runs.FAILED
        if self.failed:
            failures = f"{len(self.failed)} task(s) failed: " + "; ".join(self.failed)
            message = f"{message}; {failures}" if message else failures
        if status != runs.OK:
            log.warning("%s collection %s: %s", name, status, message)
        runs.finish_run(
            self.database,
            run_id,
            status,
            counters=self.source.counters,
            items=self.totals["items"],
            skipped=self.totals["skipped"],
            errors=len(self.failed),
            message=message,
        )
        return CollectResult(
            run_id,
            status,
            self.totals["items"],
            self.totals["skipped"],
            self.source.counters,
            message,
            list(self.failed),
        )

    def _resumed_checkpoint(self, task: Task, standing: TaskStanding | None) -> Checkpoint | None:
        if (
            standing is None
            or standing.status == runs.OK
            or not standing.checkpoint
            or task.checkpoint is None
        ):
            return None
        if not task.carries_over and standing.run_date != self.run_date:
            return None  # a listing of another day starts over
        checkpoint = task.checkpoint.from_json(standing.checkpoint)
        if checkpoint is None:
            log.warning("%s: its stored checkpoint is not readable; starting it over", task.label)
        return checkpoint

    def _run_task(self, run_id: int, task: Task, standing: TaskStanding | None) -> tuple[str, str] | None:
        """Run one task; returns (status, message) when the whole run must stop, else None."""
        if (
            self.resume_after is not None
            and standing is not None
            and standing.status == runs.OK
            and standing.run_date == self.run_date
            and standing.run_id > self.resume_after
        ):
            return None  # done earlier today by the run(s) this one resumes
        if self.stop.is_set():
            return runs.INTERRUPTED, "stopped on request; the next run resumes"
        checkpoint = self._resumed_checkpoint(task, standing)
        row_id = task_rows.start_task(
            self.database, run_id, self.source.name, task.key, checkpoint.to_json() if checkpoint else None
        )
        if checkpoint is not None:
            log.info("resuming %s from its checkpoint", task.label)
        context = TaskContext(
            self.database,
            run_id,
            row_id,
            self.run_date,
            checkpoint,
            self.stop,
            self.progress,
            self.source.counters,
            dict(self.totals),
        )
        try:
            self.source.run_task(task, context)
        except RateLimitExceeded as error:
            self._count(context)
            message = f"stopped early on the rate limit: {error}"
            task_rows.finish_task(self.database, row_id, runs.RATE_LIMITED, message)
            return runs.RATE_LIMITED, message
        except Interrupted:
            self._count(context)
            message = "stopped on request; the next run resumes"
            task_rows.finish_task(self.database, row_id, runs.INTERRUPTED, message)
            return runs.INTERRUPTED, message
        except (HttpError, TaskFailed) as error:
            self._count(context)
            reason = _first_line(str(error))
            task_rows.finish_task(self.database, row_id, runs.FAILED, reason)
            self.failed.append(f"{task.label}: {reason}")
            log.warning("%s failed: %s", task.label, reason)
            if isinstance(error, HttpError) and self.source.ends_run(error):
                return runs.FAILED, "stopped at a failure no other task can get past"
            return None
        except BaseException as error:
            task_rows.finish_task(
                self.database, row_id, runs.FAILED, _first_line(f"{type(error).__name__}: {error}")
            )
            raise
        self._count(context)
        task_rows.finish_task(self.database, row_id, runs.OK, clear_checkpoint=True)
        return None

    def _count(self, context: TaskContext) -> None:
        self.totals["items"] += context.items
        self.totals["skipped"] += context.skipped


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:500]
