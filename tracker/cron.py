"""Cron expressions with crontab(5) semantics, through croniter: parse, check, next fire time.

Five fields `minute hour day-of-month month day-of-week` (0 and 7 are Sunday; names such as `mon` and `jan`;
lists, ranges and steps as in crontab(5); when both day fields are restricted, i.e. neither starts with `*`,
either one matching fires, otherwise both must match), or six with seconds first. Times are UTC. An expression must fire at least once in every calendar year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from croniter import CroniterBadDateError, croniter

UTC = dt.timezone.utc
# 28 years repeat the Gregorian weekday calendar (leap years included, within 1901-2099).
_YEARS_CHECKED = range(2024, 2024 + 28)


class CronError(ValueError):
    """Not a cron expression this tracker accepts; the message says why."""


@dataclass(frozen=True)
class Cron:
    """A checked cron expression. Build with `parse_cron`."""

    expression: str

    @property
    def _seconds_first(self) -> bool:
        return len(self.expression.split()) == 6

    def next_fire(self, after: dt.datetime) -> dt.datetime:
        """The first fire time at or after `after` (aware UTC; a naive `after` is taken as UTC)."""
        if after.tzinfo is None:
            after = after.replace(tzinfo=UTC)
        after = after.astimezone(UTC)
        iterator = croniter(
            self.expression,
            after - dt.timedelta(seconds=1),
            second_at_beginning=self._seconds_first,
            max_years_between_matches=2,
            implement_cron_bug=True,  # cron's own rule: a day field starting with '*' is unrestricted
        )
        when: dt.datetime = iterator.get_next(dt.datetime)
        while when < after:
            when = iterator.get_next(dt.datetime)
        return when.astimezone(UTC)


def parse_cron(expression: str) -> Cron:
    """A `Cron` for `expression`; `CronError` when it is malformed or does not fire at least once a year."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise CronError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")
    if any(field.upper().startswith("H") for field in fields):
        raise CronError("hashed 'H' fields are not supported")
    cron = Cron(" ".join(fields))
    try:
        croniter(
            cron.expression,
            dt.datetime(2024, 1, 1, tzinfo=UTC),
            second_at_beginning=len(fields) == 6,
            implement_cron_bug=True,
        )
    except (ValueError, KeyError) as error:  # croniter's CroniterBadCronError is a ValueError
        raise CronError(str(error) or "malformed") from None
    for year in _YEARS_CHECKED:
        start = dt.datetime(year, 1, 1, tzinfo=UTC)
        try:
            first = cron.next_fire(start)
        except CroniterBadDateError:
            first = None
        if first is None or first.year != year:
            raise CronError(f"it does not fire in {year} (a schedule must fire at least once a year)")
    return cron
