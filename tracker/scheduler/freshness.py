"""The freshness alarm behind `tracker status --check`: is any job's last success older than it should be?

A job is stale when its last `ok` run finished longer ago than its period (the longest gap of its cron
schedule) plus a grace (`catchup_grace`). A job that never succeeded is stale once its first run started
that long ago; a job that never ran at all is not (yet) stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.config import Settings
from tracker.db.engine import Database
from tracker.db.models import CollectionRun
from tracker.runs import OK
from tracker.scheduler.schedule import period, scheduled_jobs


@dataclass
class Freshness:
    """One scheduled job's freshness."""

    job: str
    period: dt.timedelta
    grace: dt.timedelta
    last_success: dt.datetime | None
    first_run: dt.datetime | None
    now: dt.datetime

    @property
    def limit(self) -> dt.timedelta:
        return self.period + self.grace

    @property
    def stale(self) -> bool:
        since = self.last_success or self.first_run
        return since is not None and self.now - since > self.limit

    def describe(self) -> str:
        allowed = f"period {_span(self.period)} + grace {_span(self.grace)}"
        if self.last_success is not None:
            return f"{self.job}: last success {_span(self.now - self.last_success)} ago ({allowed})"
        if self.first_run is not None:
            return f"{self.job}: no success since its first run {_span(self.now - self.first_run)} ago ({allowed})"
        return f"{self.job}: has not run yet"


def check_freshness(
    database: Database, settings: Settings, now: dt.datetime | None = None
) -> list[Freshness]:
    """The freshness of every scheduled job (jobs set to "off" are not checked)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    grace = dt.timedelta(seconds=settings.catchup_grace)
    results = []
    with database.session() as session:
        for job, trigger in scheduled_jobs(settings.schedule).items():
            last_success = session.scalar(
                select(func.max(CollectionRun.finished_at)).where(
                    CollectionRun.collector == job, CollectionRun.status == OK
                )
            )
            first_run = session.scalar(
                select(func.min(CollectionRun.started_at)).where(CollectionRun.collector == job)
            )
            results.append(Freshness(job, period(trigger, now), grace, last_success, first_run, now))
    return results


def _span(delta: dt.timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f}{unit}" if value >= 10 or value == int(value) else f"{value:.1f}{unit}"
    return f"{seconds:.0f}s"
