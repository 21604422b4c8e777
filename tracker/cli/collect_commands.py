"""`tracker collect ...`: one subcommand per source (registered by the modules collect_<source>.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import click

from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, AppContext, CliError
from tracker.cli.app import cli as root
from tracker.collection import CollectResult, SourceBusy
from tracker.scheduler.jobs import attribute

Result = TypeVar("Result")

max_wait_option = click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=900.0,
    show_default=True,
    help="Longest rate-limit wait in seconds; a longer one stops the run (exit 3, resumable).",
)

wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="When another collection of this source runs (a daemon job, another terminal), wait up to this "
    "long for it to end instead of stopping at once with exit 3.",
)


def run_collection(source: str, start: Callable[[], Result]) -> Result:
    """Start a collection; another collection of the same source holding its lock is exit 3, one line."""
    try:
        return start()
    except SourceBusy as error:
        raise CliError(f"{source} collection not started: {error}; try again later", EXIT_RESUMABLE) from None


@root.group("collect")
def collect_group() -> None:
    """Collect metadata from a source into the database (one dated snapshot per item per UTC day)."""


def conclude_collection(
    app: AppContext, source: str, result: CollectResult, stop: threading.Event, *, resume_hint: str = ""
) -> None:
    """After a collection: print its summary and failed tasks, run attribution (recorded as a run), and exit
    as the contract says (1 failed, attribution included; 3 stopped early but resumable)."""
    counters = result.counters
    click.echo(
        f"{source} run {result.run_id}: {result.status}; {result.items:,} items stored, "
        f"{result.skipped:,} malformed skipped; {counters.requests:,} requests "
        f"({counters.not_modified:,} unchanged, 304), {counters.retries:,} retries, "
        f"{counters.waits:.1f}s waiting, {counters.bytes / 1e6:.1f} MB"
    )
    if result.message and result.status == "ok":
        click.echo(f"{source}: {result.message}")
    for failed in result.failed_tasks:
        click.echo(f"{source}: task failed: {failed}", err=True)
    attribution_failed = None
    if not stop.is_set():  # what the tasks that succeeded stored is attributed even when another failed
        run_id, status, attributed, message = attribute(app.database, app.settings)
        detail = f": {message}" if message and status != "ok" else ""
        click.echo(f"attribution: {status} (run {run_id}), {attributed:,} accounts attributed{detail}")
        if status != "ok":
            attribution_failed = f"attribution run {run_id} failed: {message}"
    if result.status == "failed":
        if result.failed_tasks and len(result.failed_tasks) == 1:
            raise CliError(f"{source} collection failed: {result.failed_tasks[0]}", EXIT_FAILED)
        raise CliError(f"{source} collection failed: {result.message}", EXIT_FAILED)
    if attribution_failed:
        raise CliError(attribution_failed, EXIT_FAILED)
    if result.resumable:
        raise CliError(
            f"stopped early ({result.status}): {result.message}; run again to resume.{resume_hint}",
            EXIT_RESUMABLE,
        )
