"""`tracker status`: what the database holds and how the collectors last ran."""

from __future__ import annotations

import click
from rich.table import Table

from tracker.cli.app import EXIT_FAILED, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.db.migrate import current_revision
from tracker.scheduler.freshness import check_freshness
from tracker.status import age, read_status


@root.command("status")
@click.option(
    "--check",
    is_flag=True,
    help="Freshness alarm: exit 1 naming each scheduled job whose last success is older than its period plus a grace.",
)
@pass_app
def status(app: AppContext, check: bool) -> None:
    """Show the database, schema revision, row counts, last run per collector and the daemon's schedule."""
    if check:
        _check(app)
        return
    info = read_status(app.database)
    console = app.console
    console.print(f"database: {info.database} ({info.backend})")
    if info.revision is None:
        console.print(f"schema:   empty (run `tracker db upgrade` to create revision {info.head})")
        return
    console.print(f"schema:   {info.revision}" + ("" if info.up_to_date else f" (behind head {info.head})"))

    counts = Table(title="rows", show_edge=False)
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for table, count in info.row_counts.items():
        counts.add_row(table, f"{count:,}")
    console.print(counts)

    runs = Table(title="last run per collector", show_edge=False)
    for column in ("collector", "status", "started", "finished", "items", "requests"):
        runs.add_column(column, no_wrap=True, min_width=len(column))
    runs.add_column("message", overflow="ellipsis", no_wrap=True, max_width=36)
    for collector, run in sorted(info.last_runs.items()):
        runs.add_row(
            collector,
            run.status,
            age(run.started_at),
            age(run.finished_at) if run.finished_at else "-",
            f"{run.items:,}",
            f"{run.requests:,}",
            (run.message or "")[:80],
        )
    if info.last_runs:
        console.print(runs)
    else:
        console.print("no collection has run yet")

    if info.jobs:
        jobs = Table(title="daemon schedule", show_edge=False)
        for column in ("job", "schedule", "next run (UTC)", "last result", "daemon"):
            jobs.add_column(column)
        for job in info.jobs:
            when = job.next_run_at.strftime("%Y-%m-%d %H:%M:%S") if job.next_run_at else "-"
            last = info.last_runs.get(job.job_id)
            result = f"{last.status} {age(last.finished_at or last.started_at)}" if last else "never run"
            jobs.add_row(job.job_id, job.schedule, when, result, job.daemon or "-")
        console.print(jobs)


def _check(app: AppContext) -> None:
    """One line per scheduled job; exit 1 naming the stale ones (the compose healthcheck runs this)."""
    if current_revision(app.database) is None:
        raise CliError("the database has no schema yet (run `tracker db upgrade`)", EXIT_FAILED)
    results = check_freshness(app.database, app.settings)
    stale = [result for result in results if result.stale]
    for result in results:
        app.console.print(("stale " if result.stale else "ok    ") + result.describe())
    if stale:
        raise CliError("stale: " + ", ".join(result.job for result in stale), EXIT_FAILED)
