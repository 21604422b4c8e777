"""Cron expressions mean what crontab(5) says (through croniter), the daemon's triggers fire then, and
`tracker status` shows each job's next cron fire time, also while a catch-up run is in progress."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tracker.cli import main
from tracker.config import ConfigError
from tracker.cron import CronError, parse_cron
from tracker.db.engine import Database
from tracker.db.models import SchedulerJob
from tracker.runs import start_run
from tracker.scheduler.schedule import make_trigger, scheduled_jobs

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 1, tzinfo=UTC)  # a Sunday


def fires(expression: str, count: int, start: dt.datetime = START) -> list[str]:
    cron = parse_cron(expression)
    times, when = [], start
    for _ in range(count):
        when = cron.next_fire(when)
        times.append(when.strftime("%a %d %H:%M"))
        when += dt.timedelta(seconds=1)
    return times


def expected(days: list[int], hour: int, minute: int = 0, month: int = 11) -> list[str]:
    return [dt.datetime(2026, month, day, hour, minute).strftime("%a %d %H:%M") for day in days]


@pytest.mark.parametrize(
    ("expression", "count", "times"),
    [
        # the examples of crontab(5)
        ("5 0 * * *", 3, expected([1, 2, 3], 0, 5)),  # five minutes after midnight, every day
        ("15 14 1 * *", 1, expected([1], 14, 15)),  # 2:15pm on the first of every month
        ("0 22 * * 1-5", 5, expected([2, 3, 4, 5, 6], 22)),  # 10 pm on weekdays
        ("23 0-23/2 * * *", 3, ["Sun 01 00:23", "Sun 01 02:23", "Sun 01 04:23"]),  # every other hour
        ("5 4 * * sun", 3, expected([1, 8, 15], 4, 5)),  # 5 after 4 every Sunday
        # 4:30 on the 1st and 15th of each month, plus every Friday (both day fields restricted: either)
        ("30 4 1,15 * 5", 5, expected([1, 6, 13, 15, 20], 4, 30)),
        # every 4th hour on the 1st and on every Monday
        (
            "0 */4 1 * mon",
            7,
            [*(f"Sun 01 {h:02d}:00" for h in range(0, 24, 4)), "Mon 02 00:00"],
        ),
        # midnight on every Sunday that is on an uneven date (a day field starting with '*': both must match)
        ("0 0 */2 * sun", 3, expected([1, 15, 29], 0)),
        # day-of-week: 0 and 7 are Sunday, ranges and steps over 0-6
        ("0 2 * * */2", 8, expected([1, 3, 5, 7, 8, 10, 12, 14], 2)),
        ("0 2 * * 0-6", 7, expected([1, 2, 3, 4, 5, 6, 7], 2)),
        ("0 2 * * 0-3", 5, expected([1, 2, 3, 4, 8], 2)),
        ("0 2 * * 7", 2, expected([1, 8], 2)),
        ("0 2 * * 5-7", 4, expected([1, 6, 7, 8], 2)),
        ("0 6 * * mon", 2, expected([2, 9], 6)),
    ],
)
def test_crontab5_semantics(expression: str, count: int, times: list[str]) -> None:
    assert fires(expression, count) == times


def test_six_fields_put_seconds_first() -> None:
    assert fires("*/20 0 2 * * *", 3) == ["Sun 01 02:00"] * 3
    cron = parse_cron("*/20 0 2 * * *")
    assert cron.next_fire(START + dt.timedelta(hours=2, seconds=1)) == START + dt.timedelta(
        hours=2, seconds=20
    )


def test_next_fire_is_at_or_after() -> None:
    cron = parse_cron("0 2 * * *")
    at = dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert cron.next_fire(at) == at
    assert cron.next_fire(at + dt.timedelta(microseconds=1)) == at + dt.timedelta(days=1)


@pytest.mark.parametrize(
    "expression",
    [
        "0 2 31 2 *",
        "0 0 30 2 *",
        "0 0 29 2 *",
        "0 2 * * 8",
        "60 * * * *",
        "daily",
        "0 2 * *",
        "1 2 3 4 5 6 7",
    ],
)
def test_expressions_that_are_malformed_or_do_not_fire_every_year_are_refused(expression: str) -> None:
    with pytest.raises(CronError):
        parse_cron(expression)
    with pytest.raises(ConfigError, match="huggingface"):
        make_trigger(expression, "huggingface")


def test_the_daemon_trigger_fires_at_the_cron_times_and_coalesces_from_the_previous_fire() -> None:
    triggers = scheduled_jobs({"huggingface": "0 2 * * */2", "github": "off", "report": "0 6 * * mon"})
    assert set(triggers) == {"huggingface", "report"}
    trigger = triggers["huggingface"]
    now = dt.datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # Monday
    assert trigger.get_next_fire_time(None, now) == dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # Tuesday
    # after a fire on Sunday seen only on Wednesday: the missed Tuesday run comes first (APScheduler coalesces)
    previous = dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    later = dt.datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(previous, later) == dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def _next(expression: str, now: dt.datetime) -> str:
    """The next fire time, worked out by hand for the daily and weekly crons used below."""
    minute, hour, _, _, weekday = expression.split()
    day = now.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
    while day < now or (weekday == "mon" and day.weekday() != 0):
        day += dt.timedelta(days=1)
    return day.strftime("%Y-%m-%d %H:%M")


def test_status_shows_each_jobs_next_cron_fire_time_also_during_a_catch_up(
    database: Database, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text('[schedule]\nhuggingface = "17 2 * * *"\ngithub = "off"\nreport = "43 6 * * mon"\n')
    base = ["--database-url", database_url, "--config", str(config), "status"]
    now = dt.datetime.now(UTC)

    assert main(base) == 0  # no daemon yet: the configured schedule
    out = capsys.readouterr().out
    assert _next("17 2 * * *", now) in out and _next("43 6 * * mon", now) in out
    assert "github" not in out.split("schedule")[-1]  # switched off

    # a daemon caught the Hub job up at start: its stored next run is "now", the cron's is still shown
    with database.session() as session:
        for job, cron in (("huggingface", "17 2 * * *"), ("report", "43 6 * * mon")):
            session.add(SchedulerJob(job_id=job, schedule=cron, next_run_at=now, daemon="host:42"))
    run_id = start_run(database, "huggingface", now.date())
    assert main(base) == 0
    out = capsys.readouterr().out
    line = next(
        line for line in out.splitlines() if line.strip().startswith("huggingface") and "17 2" in line
    )
    assert _next("17 2 * * *", now) in line and f"running (run {run_id})" in line, line
    assert "host:42" in line
