"""Collection runs: every run of a collector (or attribution, report) is a row in `collection_runs`.

A run starts as `running` and ends `ok`, `failed`, `rate_limited` or `interrupted`. A collection run killed
outright stays `running` until the next run of its source takes the source's lock and closes it as
`interrupted`; its tasks' checkpoints (`collection_tasks`, see `tracker.collection`) are resumed from there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.db.engine import Database
from tracker.db.models import CollectionRun, utcnow
from tracker.http.client import RequestCounters

RUNNING = "running"
OK = "ok"
FAILED = "failed"
RATE_LIMITED = "rate_limited"
INTERRUPTED = "interrupted"
UNFINISHED = (RUNNING, FAILED, RATE_LIMITED, INTERRUPTED)


def start_run(
    database: Database, collector: str, run_date: dt.date, params: dict[str, Any] | None = None
) -> int:
    """Record a new run and return its id."""
    with database.session() as session:
        run = CollectionRun(collector=collector, run_date=run_date, status=RUNNING, params=params or {})
        session.add(run)
        session.flush()
        return run.id


def save_progress(
    session: Session,
    run_id: int,
    *,
    items: int | None = None,
    skipped: int | None = None,
    counters: RequestCounters | None = None,
) -> None:
    """Store a run's figures inside the caller's transaction (the one that writes the data they count)."""
    values: dict[str, Any] = {}
    if items is not None:
        values["items"] = items
    if skipped is not None:
        values["skipped"] = skipped
    if counters is not None:
        values.update(_counter_values(counters))
    if values:
        session.execute(update(CollectionRun).where(CollectionRun.id == run_id).values(**values))


def finish_run(
    database: Database,
    run_id: int,
    status: str,
    *,
    counters: RequestCounters | None = None,
    items: int | None = None,
    skipped: int | None = None,
    errors: int | None = None,
    message: str | None = None,
) -> None:
    """Close a run.

    The message is kept to its first line (a database error's text goes on with the SQL and its values)."""
    if message:
        message = (message.strip().splitlines() or [""])[0][:500]
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "message": message}
    if counters is not None:
        values.update(_counter_values(counters))
    for key, value in (("items", items), ("skipped", skipped), ("errors", errors)):
        if value is not None:
            values[key] = value
    with database.session() as session:
        session.execute(update(CollectionRun).where(CollectionRun.id == run_id).values(**values))


def last_runs(database: Database) -> dict[str, CollectionRun]:
    """The newest run of each collector."""
    newest_ids = select(func.max(CollectionRun.id)).group_by(CollectionRun.collector)
    with database.session() as session:
        runs = session.scalars(select(CollectionRun).where(CollectionRun.id.in_(newest_ids))).all()
        return {run.collector: run for run in runs}


def last_success(database: Database, collector: str) -> CollectionRun | None:
    """The newest run of `collector` that finished `ok`."""
    with database.session() as session:
        return session.scalars(
            select(CollectionRun)
            .where(CollectionRun.collector == collector, CollectionRun.status == OK)
            .order_by(CollectionRun.id.desc())
            .limit(1)
        ).first()


def _counter_values(counters: RequestCounters) -> dict[str, Any]:
    return {
        "requests": counters.requests,
        "retries": counters.retries,
        "waits": round(counters.waits, 3),
        "bytes": counters.bytes,
        "not_modified": counters.not_modified,
    }
