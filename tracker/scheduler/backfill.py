"""Dump-based collection: `tracker backfill huggingface` and the daily job's dump step (`source = "dump"`).

This layer joins what the sources may not: the dump reader (tracker.sources.huggingface.dump_collect) and
attribution. Attribution (registry to accounts, lineage roots) runs before the first dump and once more at
the end, not per dump; each dump's day is rolled up by country from its own figures as it is written.
Dumps are applied oldest first. The caller holds the Hugging Face collection lock.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tracker.attribution.rollups import refresh_dump_totals
from tracker.config import Settings
from tracker.db.engine import Database
from tracker.http import HttpError, Interrupted, RateLimitExceeded, RequestCounters
from tracker.http.download import ByteProgress
from tracker.runs import (
    FAILED,
    INTERRUPTED,
    OK,
    RATE_LIMITED,
    finish_run,
    resumable_checkpoint,
    save_checkpoint,
    start_run,
)
from tracker.scheduler.jobs import attribute, describe_error
from tracker.sources.huggingface.dump_collect import (
    COLLECTOR,
    INGESTED,
    SKIPPED,
    DumpOutcome,
    DumpPlan,
    DumpReader,
    newest_ingested,
    stale_dump_note,
)
from tracker.sources.huggingface.dumps import DumpCommit

log = logging.getLogger("tracker.scheduler.backfill")

# (the dump starting, its position, how many dumps)
DumpStart = Callable[[DumpCommit, int, int], None]


@dataclass
class BackfillResult:
    """How a backfill (or the daily dump step) ended; its `collection_runs` row has the same figures."""

    run_id: int
    status: str
    outcomes: list[DumpOutcome] = field(default_factory=list)
    counters: RequestCounters = field(default_factory=RequestCounters)
    message: str | None = None
    stale: str | None = None  # names a newest dump older than three days

    @property
    def ingested(self) -> list[DumpOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == INGESTED]

    @property
    def resumable(self) -> bool:
        return self.status in (RATE_LIMITED, INTERRUPTED)


def _roll_up(session: Session, day: dt.date, staging: str) -> None:
    refresh_dump_totals(session, day, staging)


def ingest_dumps(
    database: Database,
    settings: Settings,
    plan: DumpPlan,
    *,
    newest_only: bool = False,
    stop: threading.Event | None = None,
    on_dump: DumpStart | None = None,
    bytes_progress: ByteProgress | None = None,
    rows_progress: Callable[[int], None] | None = None,
    attribute_before: bool = True,
    attribute_after: bool = True,
) -> BackfillResult:
    """Ingest the dumps `plan` selects (or only the newest commit), oldest first; never raises for an
    expected failure (an unreachable or empty dump repository, a stop, a rate limit)."""
    stop = stop or threading.Event()
    params = {**plan.as_params(), "newest_only": newest_only}
    # A run that continues a killed or stopped one skips the attribution before its first dump: that ran
    # when the work began, and running it again now would give the remaining days other lineage roots.
    resuming = resumable_checkpoint(database, COLLECTOR) is not None
    run_id = start_run(database, COLLECTOR, settings.today, params)
    result = BackfillResult(run_id, FAILED)
    reader: DumpReader | None = None
    try:
        reader = DumpReader(database, settings, retry=plan.retry, stop=stop)
        result.counters = reader.client.counters
        if newest_only:
            newest = reader.newest()
            if newest is None:
                raise HttpError(f"the dump repository {reader.dumps.repo} has no commits")
            commits = [newest]
        else:
            commits = reader.find(plan)
        done = reader.ingested()
        todo = [commit for commit in commits if plan.force or commit.commit_id not in done]
        if todo and attribute_before and not resuming:
            attribute(database, settings)  # countries of the registry's accounts before the first roll-up
        for position, commit in enumerate(commits, 1):
            if stop.is_set():
                raise Interrupted("stop requested")
            if on_dump:
                on_dump(commit, position, len(commits))
            outcome = reader.ingest(
                commit,
                run_id=run_id,
                force=plan.force,
                on_written=_roll_up,
                bytes_progress=bytes_progress,
                rows_progress=rows_progress,
            )
            result.outcomes.append(outcome)
            with database.session() as session:
                save_checkpoint(
                    session,
                    run_id,
                    {"done": [o.commit.commit_id for o in result.outcomes]},
                    items=sum(o.models for o in result.outcomes if o.status == INGESTED),
                    counters=reader.client.counters,
                )
            if outcome.status != SKIPPED:
                log.info(
                    "dump %s (%s): %s, %d models in %.1fs",
                    commit.day,
                    commit.commit_id[:8],
                    outcome.status,
                    outcome.models,
                    outcome.seconds,
                )
        result.status = OK
        if not commits:
            result.message = "no dump in the chosen range"
    except RateLimitExceeded as error:
        result.status, result.message = RATE_LIMITED, str(error)
    except Interrupted:
        result.status, result.message = (
            INTERRUPTED,
            "stopped on request; the next run continues with this dump",
        )
    except HttpError as error:
        result.status, result.message = FAILED, str(error)
    except Exception as error:
        result.status, result.message = FAILED, describe_error(error)
        finish_run(database, run_id, FAILED, counters=result.counters, message=result.message)
        raise
    finally:
        if reader is not None:
            reader.close()
    if result.ingested and attribute_after and not stop.is_set():
        attribute(database, settings)  # lineage roots and countries of every model the dumps added
    newest = newest_ingested(database)
    result.stale = stale_dump_note(newest.dump_on if newest else None, settings.today)
    if result.stale:
        log.warning("%s: run `tracker backfill huggingface` or check [huggingface] dump_repo", result.stale)
    if result.status != OK:
        log.warning("huggingface dump collection %s: %s", result.status, result.message)
    finish_run(
        database,
        run_id,
        result.status,
        counters=result.counters,
        items=sum(outcome.models for outcome in result.ingested),
        message=result.message or result.stale,
    )
    return result
