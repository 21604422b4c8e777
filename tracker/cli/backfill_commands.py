"""`tracker backfill huggingface`: the whole Hub's history from its daily metadata dumps."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.cli.collect_commands import max_wait_option, run_collection, wait_option
from tracker.cli.progress import LOG_EVERY_SECONDS, stop_on_signals
from tracker.db.migrate import ensure_schema
from tracker.scheduler.backfill import BackfillResult, ingest_dumps
from tracker.sources.huggingface.api import RetryOptions
from tracker.sources.huggingface.dump_collect import DumpCallbacks, DumpPlan
from tracker.sources.huggingface.dumps import EVERY, DumpCommit


@root.group("backfill")
def backfill_group() -> None:
    """Fill in history a source can give after the fact (the Hub's daily metadata dumps)."""


@contextlib.contextmanager
def _progress(app: AppContext) -> Iterator[DumpCallbacks]:
    """Callbacks drawing bytes downloaded and rows written per dump (a bar on a terminal, log lines elsewhere)."""
    if app.show_progress:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=app.err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("listing dumps", total=None, rows=0)

            def on_dump(commit: DumpCommit, position: int, count: int) -> None:
                bar.reset(task, description=f"dump {commit.day} ({position}/{count})", total=None, rows=0)

            yield DumpCallbacks(
                on_dump=on_dump,
                bytes_progress=lambda done, total: bar.update(task, completed=done, total=total),
                rows_progress=lambda rows: bar.update(task, rows=rows),
            )
        return
    state: dict[str, Any] = {"label": "", "at": 0.0}

    def line(text: str, force: bool = False) -> None:
        if force or time.monotonic() - state["at"] >= LOG_EVERY_SECONDS:
            state["at"] = time.monotonic()
            app.err_console.print(f"backfill: {state['label']}{text}")

    def on_dump(commit: DumpCommit, position: int, count: int) -> None:
        state["label"] = f"dump {commit.day} ({position}/{count})"
        line("", force=True)

    yield DumpCallbacks(
        on_dump=on_dump,
        bytes_progress=lambda done, total: line(f": {done / 1e6:,.1f} of {(total or 0) / 1e6:,.1f} MB"),
        rows_progress=lambda rows: line(f": {rows:,} rows written"),
    )


def _summary(app: AppContext, result: BackfillResult) -> None:
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    ingested = result.ingested
    models = sum(outcome.models for outcome in ingested)
    seconds = sum(outcome.seconds for outcome in ingested)
    app.console.print(
        f"backfill run {result.run_id}: {result.status}; {len(result.outcomes)} dumps "
        f"({', '.join(f'{n} {status}' for status, n in sorted(counts.items())) or 'none'}), "
        f"{models:,} model rows written in {seconds:,.0f}s; {result.counters.requests:,} requests, "
        f"{result.counters.bytes / 1e6:,.1f} MB downloaded"
    )
    for outcome in ingested:
        app.console.print(
            f"  {outcome.commit.day} {outcome.commit.commit_id[:10]}: {outcome.models:,} models, "
            f"{outcome.skipped_rows:,} rows without id skipped, {(outcome.size or 0) / 1e6:,.1f} MB"
        )
    if result.stale:
        app.console.print(f"note: {result.stale}")


@backfill_group.command("huggingface")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day to read (UTC).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day to read (UTC).")
@click.option(
    "--every",
    type=click.Choice(EVERY),
    default="week",
    show_default=True,
    help="Read the last dump of each day, ISO week or month.",
)
@click.option("--force", is_flag=True, help="Read dumps again even when already ingested.")
@max_wait_option
@wait_option
@pass_app
def backfill_huggingface(
    app: AppContext,
    start: dt.datetime | None,
    end: dt.datetime | None,
    every: str,
    force: bool,
    max_wait: float,
    wait: float,
) -> None:
    """Read the Hub's daily metadata dumps (`[huggingface] dump_repo`) into the database, oldest first.

    Every model the Hub listed that day is stored with its metrics under the dump's own date, with the day's
    roll-up by country. A dump already ingested is skipped (--force reads it again). Files stream to
    `[huggingface] download_dir` or TMPDIR and are deleted once written. Exit 3 when stopped (Ctrl-C, rate
    limit, or another Hub collection holding the lock, see --wait): run again to continue with the dump it
    was on. A dump that fails is recorded and the others go on (exit 1 at the end, naming it).
    """
    if start and end and start > end:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    plan = DumpPlan(
        start=start.date() if start else None,
        end=end.date() if end else None,
        every=every,
        force=force,
        retry=RetryOptions(max_wait=max_wait),
    )
    database = app.database
    ensure_schema(database)
    stop = threading.Event()
    with stop_on_signals(stop), _progress(app) as callbacks:
        result = run_collection(
            "huggingface",
            lambda: ingest_dumps(database, app.settings, plan, stop=stop, callbacks=callbacks, wait=wait),
        )
    _summary(app, result)
    if result.status == "failed":
        raise CliError(f"backfill failed: {result.message}", EXIT_FAILED)
    if result.resumable:
        raise CliError(
            f"stopped early ({result.status}): {result.message}; run again to continue", EXIT_RESUMABLE
        )
