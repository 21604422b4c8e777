"""What `tracker status` reports: schema revision, row counts, last run per collector, the schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select

from tracker.config import SCHEDULE_OFF
from tracker.cron import CronError, parse_cron
from tracker.db.engine import Database
from tracker.db.migrate import current_revision, head_revision
from tracker.db.models import Base, CollectionRun, SchedulerJob
from tracker.runs import RUNNING, last_runs


@dataclass
class ScheduledJob:
    """One job of the schedule: its cron, when the cron fires next, and who runs it."""

    job: str
    schedule: str
    next_fire: dt.datetime | None  # the cron's next fire time (not a catch-up run started now)
    running: bool  # a run of this job is in progress (a scheduled one or a catch-up)
    daemon: str | None  # the daemon that recorded this schedule; None: only configured

    @property
    def next_fire_text(self) -> str:
        return self.next_fire.strftime("%Y-%m-%d %H:%M") if self.next_fire else "-"


@dataclass
class Status:
    database: str
    backend: str
    revision: str | None
    head: str
    row_counts: dict[str, int] = field(default_factory=dict)
    last_runs: dict[str, CollectionRun] = field(default_factory=dict)
    jobs: list[SchedulerJob] = field(default_factory=list)
    schedule: list[ScheduledJob] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def next_cron_fire(expression: str, now: dt.datetime) -> dt.datetime | None:
    """When `expression` fires next at or after `now` (UTC); None for a job switched off or a bad cron."""
    if expression.strip().lower() in SCHEDULE_OFF:
        return None
    try:
        return parse_cron(expression).next_fire(now)
    except CronError:
        return None


def read_status(
    database: Database, configured: Mapping[str, str] | None = None, now: dt.datetime | None = None
) -> Status:
    """Everything `tracker status` shows; works on an empty database (revision None, no counts).

    The schedule is the running daemon's (`scheduler_jobs`), else the `configured` one."""
    now = now or dt.datetime.now(dt.timezone.utc)
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
    recorded = {job.job_id: (job.schedule, job.daemon) for job in status.jobs}
    plan = recorded or {job: (cron, None) for job, cron in (configured or {}).items()}
    for job, (cron, daemon) in sorted(plan.items()):
        if not recorded and cron.strip().lower() in SCHEDULE_OFF:
            continue
        last = status.last_runs.get(job)
        running = last is not None and last.status == RUNNING
        status.schedule.append(ScheduledJob(job, cron, next_cron_fire(cron, now), running, daemon))
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
