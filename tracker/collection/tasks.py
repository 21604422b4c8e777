"""The `collection_tasks` rows: each task's outcome per run, and where each task stands across runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from tracker.db.engine import Database
from tracker.db.models import CollectionRun, CollectionTask, utcnow


@dataclass(frozen=True)
class TaskStanding:
    """The newest row of one task: how it last ended, on which run date, and its stored checkpoint."""

    status: str
    run_date: dt.date
    run_id: int
    checkpoint: dict[str, Any] | None
    message: str | None


def standings(database: Database, collector: str, keys: list[str]) -> dict[str, TaskStanding]:
    """The newest row of each of `keys` for `collector` (tasks never run are absent)."""
    if not keys:
        return {}
    newest = (
        select(func.max(CollectionTask.id))
        .where(CollectionTask.collector == collector, CollectionTask.task.in_(keys))
        .group_by(CollectionTask.task)
    )
    with database.session() as session:
        rows = session.execute(
            select(
                CollectionTask.task,
                CollectionTask.status,
                CollectionRun.run_date,
                CollectionTask.run_id,
                CollectionTask.checkpoint,
                CollectionTask.message,
            )
            .join(CollectionRun, CollectionRun.id == CollectionTask.run_id)
            .where(CollectionTask.id.in_(newest))
        ).all()
    return {row[0]: TaskStanding(row[1], row[2], row[3], row[4], row[5]) for row in rows}


def start_task(
    database: Database, run_id: int, collector: str, key: str, checkpoint: dict[str, Any] | None
) -> int:
    """Record that the run starts `key` (with the checkpoint it resumes from); returns the row id."""
    with database.session() as session:
        row = CollectionTask(
            run_id=run_id, collector=collector, task=key, status="running", items=0, checkpoint=checkpoint
        )
        session.add(row)
        session.flush()
        return row.id


def finish_task(
    database: Database,
    row_id: int,
    status: str,
    message: str | None = None,
    *,
    clear_checkpoint: bool = False,
) -> None:
    """Close a task row; a completed task keeps no checkpoint."""
    values: dict[str, Any] = {"status": status, "message": message, "finished_at": utcnow()}
    if clear_checkpoint:
        values["checkpoint"] = None
    with database.session() as session:
        session.execute(update(CollectionTask).where(CollectionTask.id == row_id).values(**values))


def close_abandoned_runs(database: Database, collector: str, message: str) -> list[int]:
    """Mark `collector`'s runs and tasks still `running` as `interrupted` (call only with its lock held: their
    process is gone). Their checkpoints stay for the next run to resume."""
    with database.session() as session:
        ids = list(
            session.scalars(
                select(CollectionRun.id).where(
                    CollectionRun.collector == collector, CollectionRun.status == "running"
                )
            )
        )
        if ids:
            now = utcnow()
            session.execute(
                update(CollectionRun)
                .where(CollectionRun.id.in_(ids))
                .values(status="interrupted", finished_at=now, message=message)
            )
            session.execute(
                update(CollectionTask)
                .where(CollectionTask.run_id.in_(ids), CollectionTask.status == "running")
                .values(status="interrupted", finished_at=now, message=message)
            )
    return ids
