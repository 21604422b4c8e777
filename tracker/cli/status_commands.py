"""`tracker status`: what the database holds and how the collectors last ran."""

from __future__ import annotations

import click
from rich.console import Console
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
    info = read_status(app.database, app.settings.schedule)
    console = app.console
    if not console.is_terminal:  # a pipe or a file: whole values, however long (no cut, no ellipsis)
        console = Console(highlight=False, soft_wrap=True, width=WIDE, file=console.file)
    console.print(f"database: {info.database} ({info.backend})")
    if info.revision is None:
        console.print(f"schema:   empty (run `tracker db upgrade` to create revision {info.head})")
        return
    console.print(f"schema:   {info.revision}" + ("" if info.up_to_date else f" (behind head {info.head})"))

    counts = _table("rows", ("table", "rows"))
    for table, count in info.row_counts.items():
        counts.add_row(table, f"{count:,}")
    console.print(counts)

    runs = _table(
        "last run per collector",
        ("collector", "status", "started", "finished", "items", "requests", "message"),
    )
    for collector, run in sorted(info.last_runs.items()):
        runs.add_row(
            collector,
            run.status,
            age(run.started_at),
            age(run.finished_at) if run.finished_at else "-",
            f"{run.items:,}",
            f"{run.requests:,}",
            run.message or "",
        )
    if info.last_runs:
        console.print(runs)
    else:
        console.print("no collection has run yet")

    if info.schedule:
        daemon = any(job.daemon for job in info.schedule)
        title = "daemon schedule" if daemon else "schedule (configured; no daemon has recorded one)"
        jobs = _table(title, ("job", "schedule", "next fire (UTC)", "now", "last result", "daemon"))
        for job in info.schedule:
            last = info.last_runs.get(job.job)
            result = f"{last.status} {age(last.finished_at or last.started_at)}" if last else "never run"
            now = f"running (run {last.id})" if job.running and last else "-"
            jobs.add_row(job.job, job.schedule, job.next_fire_text, now, result, job.daemon or "-")
        console.print(jobs)


WIDE = 10_000  # columns for output that is not a terminal: rich never needs to cut a value


def _table(title: str, columns: tuple[str, ...]) -> Table:
    """A table whose cells wrap (fold) when the terminal is narrow, never cut with an ellipsis."""
    table = Table(title=title, show_edge=False)
    numeric = {"rows", "items", "requests"}
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left", overflow="fold")
    return table


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
