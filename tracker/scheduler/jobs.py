"""The composed jobs the daemon schedules and `tracker run` runs once: collect + attribute, and the report.

Every step is a row in `collection_runs`: the collectors record their own runs (`huggingface`, `github`);
attribution and reports are recorded here (`attribution`, `report`). Every job honours a shared stop
`threading.Event`: once it is set no new step starts, and the collectors stop after the current request.
A job never raises for an expected failure; it returns a `JobOutcome` saying what happened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tracker.attribution import registry
from tracker.attribution.attribute import run_attribution
from tracker.collection import CollectResult, Progress, SourceBusy
from tracker.config import ConfigError, Settings
from tracker.db.engine import Database
from tracker.db.models import CollectionRun
from tracker.http.errors import Interrupted, RateLimitExceeded
from tracker.reports import write_report
from tracker.runs import FAILED, INTERRUPTED, OK, RATE_LIMITED, finish_run, start_run
from tracker.sources.github import GhPlan, collect_github
from tracker.sources.huggingface import HfPlan, collect_huggingface
from tracker.sources.huggingface.dump_collect import DumpSettings

log = logging.getLogger("tracker.scheduler.jobs")


@dataclass
class JobOutcome:
    """What one job did: its overall status and the id of every run it recorded, step by step."""

    job: str
    status: str  # ok / rate_limited / interrupted / failed / skipped
    runs: dict[str, int] = field(default_factory=dict)  # step ('huggingface', 'attribution', ...) -> run id
    items: int = 0
    message: str | None = None
    report_dir: Path | None = None
    report_paths: list[Path] = field(default_factory=list)
    verdict: str | None = None

    @property
    def run_ids(self) -> str:
        return ", ".join(f"{step} run {run_id}" for step, run_id in self.runs.items()) or "no run"

    def describe(self) -> str:
        """One line for logs: `job github: rate_limited (github run 4, attribution run 5): message`."""
        detail = f": {one_line(self.message)}" if self.message else ""
        return f"job {self.job}: {self.status} ({self.run_ids}, {self.items} items){detail}"


def one_line(text: str, limit: int = 300) -> str:
    """The first line of `text`, at most `limit` characters (log lines and run messages stay one line)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."


def describe_error(error: BaseException) -> str:
    """`Type: first line of the message`, for run rows and logs (database errors carry whole SQL statements)."""
    return one_line(f"{type(error).__name__}: {error}", 500)


def _newest_run_id(database: Database, collector: str) -> int:
    with database.session() as session:
        return (
            session.scalar(select(func.max(CollectionRun.id)).where(CollectionRun.collector == collector))
            or 0
        )


FULL_CRAWL_SINCE = dt.date(2000, 1, 1)  # before the Hub existed: the createdAt crawl lists every model


def huggingface_plan(settings: Settings, *, since: dt.date | None = None, top: int | None = None) -> HfPlan:
    """The Hub crawl plan from `[huggingface]` (`orgs`, `top`, `datasets`, `full_crawl`), with explicit overrides.

    No `since` from the config: a fixed date would override the high-water mark on every scheduled run.
    `full_crawl = true` lists every model each run (about 2,000 requests at 2M models, docs/scale.md), so
    the daily roll-ups cover the whole Hub with that day's metrics."""
    section = settings.section("huggingface")
    values: dict[str, Any] = {}
    try:
        if "orgs" in section:
            values["orgs"] = tuple(str(org) for org in section["orgs"])
        if "datasets" in section:
            values["datasets"] = bool(section["datasets"])
        if top is not None or "top" in section:
            values["top"] = int(top if top is not None else section["top"])
    except (TypeError, ValueError) as error:
        raise ConfigError(f"[huggingface] in the config file: {error}") from None
    if section.get("full_crawl") is True:
        values["since"] = FULL_CRAWL_SINCE
    if since is not None:
        values["since"] = since
    return HfPlan(**values)


def github_plan(settings: Settings, *, searches: tuple[str, ...] | None = None, **overrides: Any) -> GhPlan:
    """The GitHub crawl plan from `[github]` (`orgs`, `contributors`; the collector reads `searches` itself),
    with explicit overrides."""
    section = settings.section("github")
    values: dict[str, Any] = {}
    try:
        if "orgs" in section:
            values["orgs"] = tuple(str(org) for org in section["orgs"])
        if "contributors" in section:
            values["contributors"] = int(section["contributors"])
    except (TypeError, ValueError) as error:
        raise ConfigError(f"[github] in the config file: {error}") from None
    if searches is not None:
        values["searches"] = tuple(searches)
    values.update(overrides)
    return GhPlan(**values)


def _collector(source: str) -> Callable[..., CollectResult]:
    if source == "huggingface":
        return collect_huggingface
    if source == "github":
        return collect_github
    raise ValueError(f"unknown source {source!r}")


def attribute(
    database: Database, settings: Settings, *, lineage: bool = True
) -> tuple[int, str, int, str | None]:
    """Run attribution as a recorded run (`lineage`: with the lineage roots of every model); returns (run id,
    status, items attributed, message)."""
    run_id = start_run(database, "attribution", settings.today)
    try:
        summary = run_attribution(database, lineage=lineage)
    except Exception as error:
        message = describe_error(error)
        finish_run(database, run_id, FAILED, errors=1, message=message)
        log.error(
            "attribution run %s failed: %s", run_id, message, extra={"run_id": run_id, "job": "attribution"}
        )
        return run_id, FAILED, 0, message
    attributed = int(getattr(summary, "attributed", 0) or 0)
    counts = vars(summary) if hasattr(summary, "__dict__") else {}
    message = ", ".join(f"{key} {value}" for key, value in counts.items() if isinstance(value, int)) or None
    finish_run(database, run_id, OK, items=attributed, message=message)
    return run_id, OK, attributed, message


def collect_job(
    source: str,
    database: Database,
    settings: Settings,
    plan: Any = None,
    *,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    attribute_after: bool = True,
) -> JobOutcome:
    """Collect `source` ('huggingface' or 'github'), then attribute what is new (unless stopped or failed)."""
    stop = stop or threading.Event()
    if stop.is_set():
        return JobOutcome(source, "skipped", message="stop requested before the job started")
    if plan is None:
        plan = huggingface_plan(settings) if source == "huggingface" else github_plan(settings)
    dump_failure: str | None = None
    dump_run: int | None = None
    if source == "huggingface" and DumpSettings.of(settings).source == "dump":
        plan, dump_run, dump_failure = _newest_dump_first(database, settings, plan, stop)
        if stop.is_set():
            runs = {"huggingface-dump": dump_run} if dump_run is not None else {}
            return JobOutcome(source, INTERRUPTED, runs, message=dump_failure)
    before = _newest_run_id(database, source)
    outcome = JobOutcome(source, FAILED)
    try:
        result = _collector(source)(database, settings, plan, stop=stop, progress=progress)
    except SourceBusy as error:  # a `tracker collect` started by hand holds the source: not this time
        log.warning("job %s skipped: %s", source, error)
        return JobOutcome(source, "skipped", message=str(error))
    except Exception as error:  # a collector bug or a dead database: the run row says so (or the next run
        # of the source closes it, under the source's lock); keep the daemon alive
        if isinstance(error, Interrupted):
            status, message = INTERRUPTED, "stopped by request; the next run resumes"
        elif isinstance(error, RateLimitExceeded):
            status, message = RATE_LIMITED, str(error)
        else:
            status, message = FAILED, describe_error(error)
            log.error("job %s failed: %s", source, message, exc_info=log.isEnabledFor(logging.DEBUG))
        outcome.status, outcome.message = status, message
        newest = _newest_run_id(database, source)
        outcome.runs = {source: newest} if newest > before else {}
    else:
        outcome.status, outcome.items, outcome.message = result.status, result.items, result.message
        outcome.runs = {source: result.run_id}
    if dump_run is not None:
        outcome.runs = {"huggingface-dump": dump_run, **outcome.runs}
    # A stopped job attributes nothing more: attribution catches up after the next collection.
    if attribute_after and outcome.status in (OK, RATE_LIMITED) and not stop.is_set():
        run_id, status, _items, message = attribute(database, settings)
        outcome.runs["attribution"] = run_id
        if status != OK:
            outcome.status, outcome.message = FAILED, f"attribution failed: {message}"
    if dump_failure is not None and outcome.status not in (INTERRUPTED, "skipped"):
        outcome.status = FAILED  # the API tasks ran (and were attributed); the job still failed
        outcome.message = f"dump: {dump_failure}" + (f"; {outcome.message}" if outcome.message else "")
    return outcome


def _newest_dump_first(
    database: Database, settings: Settings, plan: HfPlan, stop: threading.Event
) -> tuple[HfPlan, int | None, str | None]:
    """`source = "dump"`: read the newest dump for the whole Hub, then let the API crawl only what is newer
    (besides the registry's publishers and the top N). Returns the plan, the dump run id and, when the dump
    step failed, why (the API tasks run anyway)."""
    from tracker.scheduler.backfill import ingest_dumps  # it builds on this module's `attribute`
    from tracker.sources.huggingface.dump_collect import DumpPlan

    try:
        result = ingest_dumps(
            database, settings, DumpPlan(), newest_only=True, stop=stop, attribute_after=False
        )
    except Exception as error:  # the Hub lock held elsewhere, a dead database: the API tasks still run
        log.error("the dump step failed: %s", describe_error(error))
        return plan, None, describe_error(error)
    if result.status != OK:
        return plan, result.run_id, result.message or result.status
    newest = max((outcome.commit.day for outcome in result.outcomes), default=None)
    if newest is not None and (plan.since is None or plan.since < newest):
        plan = dataclasses.replace(plan, since=newest)
    return plan, result.run_id, None


def report_job(
    database: Database,
    settings: Settings,
    out_dir: Path | None = None,
    *,
    stop: threading.Event | None = None,
) -> JobOutcome:
    """Write the summary report into `out_dir` (default `<reports dir>/YYYY-MM-DD/`), as a recorded run."""
    if stop is not None and stop.is_set():
        return JobOutcome("report", "skipped", message="stop requested before the job started")
    out_dir = (
        Path(out_dir) if out_dir is not None else Path(settings.reports_dir) / settings.today.isoformat()
    )
    run_id = start_run(database, "report", settings.today, {"out_dir": str(out_dir)})
    try:
        result = write_report(database, settings, out_dir=out_dir)
    except Exception as error:
        message = describe_error(error)
        finish_run(database, run_id, FAILED, errors=1, message=message)
        log.error("report run %s failed: %s", run_id, message, exc_info=log.isEnabledFor(logging.DEBUG))
        return JobOutcome("report", FAILED, {"report": run_id}, message=message)
    paths = [Path(path) for path in result.paths]
    verdict = result.verdict if isinstance(result.verdict, str) else getattr(result.verdict, "overall", None)
    message = f"{result.out_dir}" + (f" (verdict: {verdict})" if verdict else "")
    finish_run(database, run_id, OK, items=len(paths), message=message)
    return JobOutcome(
        "report",
        OK,
        {"report": run_id},
        items=len(paths),
        message=message,
        report_dir=Path(result.out_dir),
        report_paths=paths,
        verdict=verdict,
    )


def ensure_registry(database: Database) -> int:
    """Import the shipped publisher registry when the database has no publishers; returns publishers added."""
    if not registry.registry_is_empty(database):
        return 0
    return registry.import_shipped(database).publishers_created


def run_job(
    job: str,
    database: Database,
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
) -> JobOutcome:
    """Run one scheduled job by name ('huggingface', 'github' or 'report') with the plan from the settings."""
    if job == "report":
        return report_job(database, settings, stop=stop)
    return collect_job(job, database, settings, stop=stop, progress=progress)
