"""`tracker run`, the main job done once: schema, registry, a modest collection of both sources, attribution, report.

The plan is deliberately small so that a first run finishes in minutes: new Hub models of the last 30 days
(then from the high-water mark), the 100 most downloaded models, and everything by the registry's publishers
on both platforms (no GitHub discovery searches). Without a GitHub token the GitHub part spends only the
anonymous budget the API announces and stops `rate_limited` instead of waiting for the hourly reset; the next
run resumes from its checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tracker.collection import Progress
from tracker.config import Settings
from tracker.db.engine import Database
from tracker.db.migrate import ensure_schema
from tracker.runs import FAILED, INTERRUPTED, OK
from tracker.scheduler.jobs import (
    JobOutcome,
    attribute,
    collect_job,
    ensure_registry,
    github_plan,
    huggingface_plan,
    report_job,
)
from tracker.scheduler.lock import DaemonLock

RUN_TOP_MODELS = 100


@dataclass
class RunSummary:
    """What `tracker run` did, step by step."""

    migrated: bool = False
    publishers_imported: int = 0
    steps: list[JobOutcome] = field(default_factory=list)
    stopped: bool = False

    @property
    def report(self) -> JobOutcome | None:
        return next((step for step in self.steps if step.job == "report"), None)

    @property
    def report_written(self) -> bool:
        return self.report is not None and self.report.status == OK

    @property
    def failed(self) -> list[JobOutcome]:
        return [step for step in self.steps if step.status == FAILED]


def run_once(
    database: Database,
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    on_step: Callable[[JobOutcome], None] | None = None,
    out_dir: Path | None = None,
) -> RunSummary:
    """Do the whole main job once; `on_step` hears about each step as it ends. Never raises for a failed step.

    Holds the daemon lock meanwhile (`DaemonLockHeld` when a daemon runs on this database: two collections
    of one source at a time would hand each other's checkpoints around)."""
    with DaemonLock(database):
        return _run_once(database, settings, stop or threading.Event(), progress, on_step, out_dir)


def _run_once(
    database: Database,
    settings: Settings,
    stop: threading.Event,
    progress: Progress | None,
    on_step: Callable[[JobOutcome], None] | None,
    out_dir: Path | None,
) -> RunSummary:
    summary = RunSummary()

    def done(outcome: JobOutcome) -> bool:
        summary.steps.append(outcome)
        if on_step is not None:
            on_step(outcome)
        summary.stopped = stop.is_set() or outcome.status == INTERRUPTED
        return not summary.stopped

    summary.migrated = ensure_schema(database)
    if summary.migrated:
        done(JobOutcome("schema", OK, message="upgraded to the newest revision"))
    summary.publishers_imported = ensure_registry(database)
    if summary.publishers_imported:
        message = f"imported the shipped registry ({summary.publishers_imported} publishers)"
        done(JobOutcome("registry", OK, items=summary.publishers_imported, message=message))

    anonymous = not settings.github_tokens
    plans = {
        "huggingface": huggingface_plan(settings, top=RUN_TOP_MODELS),
        # Registry publishers only; anonymously, stop at the end of the announced budget instead of waiting.
        "github": github_plan(settings, searches=(), **({"max_wait": 0.0} if anonymous else {})),
    }
    for source, plan in plans.items():
        outcome = collect_job(
            source, database, settings, plan, stop=stop, progress=progress, attribute_after=False
        )
        if source == "github" and anonymous and outcome.status == "rate_limited":
            outcome.message = (
                "stopped at the anonymous GitHub rate limit (60 requests an hour); set GITHUB_TOKEN to "
                "complete it (the next run resumes from here)"
            )
        if not done(outcome):
            return summary

    run_id, status, items, message = attribute(database, settings)
    if not done(JobOutcome("attribution", status, {"attribution": run_id}, items=items, message=message)):
        return summary
    done(report_job(database, settings, out_dir, stop=stop))
    return summary
