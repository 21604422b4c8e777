"""Dump-based collection: `tracker backfill huggingface` and the daily job's dump step (`source = "dump"`).

This layer joins what the sources may not: the dump reader (tracker.sources.huggingface.dump_collect) and
attribution. Attribution (registry to accounts, lineage roots) runs before the first dump and once more at
the end; inside each dump's transaction the lineage roots of the models it changed are brought up to date
and its day is rolled up by country from its own figures, so each day counts under that day's roots.
Dumps are applied oldest first, under the Hugging Face collection lock (shared with the API source).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tracker.analyses.coverage import stale_dump_note
from tracker.attribution.first_roots import first_dump_roots
from tracker.attribution.lineage import update_roots
from tracker.attribution.rollups import refresh_dump_totals
from tracker.collection import collect
from tracker.config import Settings
from tracker.db.engine import Database
from tracker.http import RequestCounters
from tracker.runs import INTERRUPTED, RATE_LIMITED, UNFINISHED, last_runs
from tracker.scheduler.jobs import attribute
from tracker.sources.huggingface.dump_collect import (
    COLLECTOR,
    INGESTED,
    DumpCallbacks,
    DumpOutcome,
    DumpPlan,
    HubDumpSource,
    newest_ingested,
)
from tracker.sources.huggingface.dump_store import Listed

log = logging.getLogger("tracker.scheduler.backfill")


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


def _roots_and_totals(session: Session, day: dt.date, listed: Listed, lineage_changes: str) -> None:
    """What a dump's transaction needs from attribution: the roots of the models it changed, then the day's
    roll-up."""
    update_roots(session.connection(), lineage_changes)
    refresh_dump_totals(session, day, listed)


def ingest_dumps(
    database: Database,
    settings: Settings,
    plan: DumpPlan,
    *,
    newest_only: bool = False,
    stop: threading.Event | None = None,
    callbacks: DumpCallbacks | None = None,
    wait: float = 0.0,
    attribute_before: bool = True,
    attribute_after: bool = True,
) -> BackfillResult:
    """Ingest the dumps `plan` selects (or only the newest commit), oldest first, under the Hugging Face
    lock (`SourceBusy` when another Hub collection holds it beyond `wait` seconds). An unreachable or empty
    dump repository, a failed dump, a stop or a rate limit is the result's status, not an exception."""
    stop = stop or threading.Event()
    # A run that continues a killed or stopped one skips the attribution before its first dump: that ran
    # when the work began, and running it again now would give the remaining days other lineage roots.
    newest_run = last_runs(database).get(COLLECTOR)
    resuming = newest_run is not None and newest_run.status in UNFINISHED
    if attribute_before and not resuming:
        attribute(database, settings)  # countries of the registry's accounts before the first roll-up
    source = HubDumpSource(
        database,
        settings,
        plan,
        first_dump_roots,
        newest_only=newest_only,
        stop=stop,
        on_written=_roots_and_totals,
        callbacks=callbacks,
    )
    collected = collect(database, source, settings.today, wait=wait, stop=stop)
    result = BackfillResult(
        collected.run_id, collected.status, source.outcomes, collected.counters, collected.message
    )
    if result.ingested and attribute_after and not stop.is_set():
        # Countries of the accounts (the newest day rolled up again if one changed); not the lineage roots of
        # every model: each dump's transaction brought those up to date (update_roots)
        attribute(database, settings, lineage=False)
    newest = newest_ingested(database)
    result.stale = stale_dump_note(newest.dump_on if newest else None, settings.today)
    if result.stale:
        log.warning("%s: run `tracker backfill huggingface` or check [huggingface] dump_repo", result.stale)
    return result
