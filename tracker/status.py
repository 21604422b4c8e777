"""What `tracker status` reports: schema revision, row counts, last run per collector, daemon schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select

from tracker.db.engine import Database
from tracker.db.migrate import current_revision, head_revision
from tracker.db.models import Base, CollectionRun, SchedulerJob
from tracker.runs import last_runs


@dataclass
class Status:
    database: str
    backend: str
    revision: str | None
    head: str
    row_counts: dict[str, int] = field(default_factory=dict)
    last_runs: dict[str, CollectionRun] = field(default_factory=dict)
    jobs: list[SchedulerJob] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def read_status(database: Database) -> Status:
    """Everything `tracker status` shows; works on an empty database (revision None, no counts)."""
    revision = current_revision(database)
    status = Status(database.display_url, database.backend, revision, head_revision())
    if revision is None:
        return status
    existing = set(inspect(database.engine).get_table_names())
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in existing:
                status.row_counts[table.name] = session.scalar(select(func.count()).select_from(table)) or 0
        if SchedulerJob.__tablename__ in existing:
            status.jobs = list(session.scalars(select(SchedulerJob).order_by(SchedulerJob.job_id)))
    if CollectionRun.__tablename__ in existing:
        status.last_runs = last_runs(database)
    return status


def age(when: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'3h ago' style age of a timestamp, for people."""
    if when is None:
        return "never"
    seconds = ((now or dt.datetime.now(dt.timezone.utc)) - when).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.0f}{unit} ago" if seconds >= 0 else f"in {-seconds / size:.0f}{unit}"
    return "just now"
