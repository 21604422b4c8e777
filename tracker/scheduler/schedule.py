"""The daemon's schedule: cron expressions from `[schedule]` turned into APScheduler triggers.

Expressions follow crontab(5) (`tracker.cron`, through croniter): 5 fields `minute hour day month weekday`
(0 and 7 = Sunday, ranges and steps as in crontab(5)) or 6 with seconds first (for tests). Times are UTC.
A job set to `"off"` (or an empty string) is not scheduled. APScheduler runs the jobs; croniter says when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from apscheduler.triggers.base import BaseTrigger

from tracker.config import SCHEDULE_OFF, ConfigError
from tracker.cron import Cron, CronError, parse_cron

JOBS = ("huggingface", "github", "report")
DISABLED = SCHEDULE_OFF


class CronSchedule(BaseTrigger):
    """An APScheduler 3 trigger firing at a `Cron`'s times (UTC)."""

    def __init__(self, cron: Cron) -> None:
        self.cron = cron

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        # As APScheduler's own CronTrigger: from just after the previous fire time (so missed ones coalesce)
        start = now if previous_fire_time is None else min(now, previous_fire_time + dt.timedelta(seconds=1))
        return self.cron.next_fire(start)

    def __str__(self) -> str:
        return f"cron[{self.cron.expression}]"

    def __repr__(self) -> str:
        return f"<CronSchedule ({self.cron.expression!r}, timezone='UTC')>"


def make_trigger(expression: str, job: str = "job") -> CronSchedule:
    """A UTC trigger for a 5- or 6-field cron expression; `ConfigError` naming the job when invalid."""
    try:
        return CronSchedule(parse_cron(expression))
    except CronError as error:
        raise ConfigError(
            f"[schedule] {job} = {expression!r} is not a valid cron expression: {error}"
        ) from None


def scheduled_jobs(schedule: Mapping[str, str]) -> dict[str, CronSchedule]:
    """The enabled jobs of a `[schedule]` mapping and their triggers; unknown job names are an error."""
    unknown = sorted(set(schedule) - set(JOBS))
    if unknown:
        raise ConfigError(f"[schedule] has unknown job {unknown[0]!r}; known jobs: {', '.join(JOBS)}")
    return {
        job: make_trigger(schedule[job], job)
        for job in JOBS
        if job in schedule and schedule[job].strip().lower() not in DISABLED
    }


def next_fire(trigger: CronSchedule, after: dt.datetime) -> dt.datetime | None:
    """The first time at or after `after` when `trigger` fires."""
    return trigger.cron.next_fire(after)


def period(trigger: CronSchedule, now: dt.datetime, samples: int = 8) -> dt.timedelta:
    """The longest gap between the trigger's next fire times after `now` (a day for a daily job)."""
    times: list[dt.datetime] = []
    when: dt.datetime | None = now
    while when is not None and len(times) <= samples:
        when = next_fire(trigger, when)
        if when is not None:
            times.append(when)
            when = when + dt.timedelta(seconds=1)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    return max(gaps, default=dt.timedelta(0))
