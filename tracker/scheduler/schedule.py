"""The daemon's schedule: cron expressions from `[schedule]` turned into APScheduler triggers.

Expressions are standard 5-field cron (`minute hour day month weekday`, weekday 0 or 7 = Sunday) or 6 fields
with seconds first (for tests). Times are UTC. A job set to `"off"` (or an empty string) is not scheduled.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from apscheduler.triggers.cron import CronTrigger

from tracker.config import ConfigError

JOBS = ("huggingface", "github", "report")
DISABLED = ("", "off", "none", "disabled")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_names(field: str) -> str:
    # APScheduler 3 numbers weekdays from Monday = 0; cron from Sunday = 0. Names mean the same in both.
    def name(match: re.Match[str]) -> str:
        if match.group(1):  # a step such as */2 keeps its number
            return match.group(0)
        number = int(match.group(2))
        if number > 7:
            raise ValueError(f"weekday {number} is out of range 0-7")
        return _WEEKDAYS[number]

    return re.sub(r"(/)?(\d+)", name, field)


def make_trigger(expression: str, job: str = "job") -> CronTrigger:
    """A UTC `CronTrigger` for a 5- or 6-field cron expression; `ConfigError` naming the job when invalid."""
    fields = expression.split()
    try:
        if len(fields) == 5:
            minute, hour, day, month, weekday = fields
            second = "0"
        elif len(fields) == 6:
            second, minute, hour, day, month, weekday = fields
        else:
            raise ValueError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_weekday_names(weekday),
            timezone=dt.timezone.utc,
        )
    except ValueError as error:
        raise ConfigError(
            f"[schedule] {job} = {expression!r} is not a valid cron expression: {error}"
        ) from None


def scheduled_jobs(schedule: Mapping[str, str]) -> dict[str, CronTrigger]:
    """The enabled jobs of a `[schedule]` mapping and their triggers; unknown job names are an error."""
    unknown = sorted(set(schedule) - set(JOBS))
    if unknown:
        raise ConfigError(f"[schedule] has unknown job {unknown[0]!r}; known jobs: {', '.join(JOBS)}")
    return {
        job: make_trigger(schedule[job], job)
        for job in JOBS
        if job in schedule and schedule[job].strip().lower() not in DISABLED
    }


def next_fire(trigger: CronTrigger, after: dt.datetime) -> dt.datetime | None:
    """The first time at or after `after` when `trigger` fires."""
    return trigger.get_next_fire_time(None, after)


def period(trigger: CronTrigger, now: dt.datetime, samples: int = 8) -> dt.timedelta:
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
