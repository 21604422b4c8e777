"""`tracker collect ...`: one subcommand per source (registered by the modules collect_<source>.py)."""

from __future__ import annotations

import threading

import click

from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, AppContext, CliError
from tracker.cli.app import cli as root
from tracker.scheduler.jobs import attribute
from tracker.sources.base import CollectResult

max_wait_option = click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=900.0,
    show_default=True,
    help="Longest rate-limit wait in seconds; a longer one stops the run (exit 3, resumable).",
)


@root.group("collect")
def collect_group() -> None:
    """Collect metadata from a source into the database (one dated snapshot per item per UTC day)."""


def conclude_collection(
    app: AppContext, source: str, result: CollectResult, stop: threading.Event, *, resume_hint: str = ""
) -> None:
    """After a collection: print its summary, run attribution (recorded as a run), and exit as the contract
    says (1 failed, 3 stopped early but resumable)."""
    counters = result.counters
    click.echo(
        f"{source} run {result.run_id}: {result.status}; {result.items:,} items stored, "
        f"{result.skipped:,} malformed skipped; {counters.requests:,} requests "
        f"({counters.not_modified:,} unchanged, 304), {counters.retries:,} retries, "
        f"{counters.waits:.1f}s waiting, {counters.bytes / 1e6:.1f} MB"
    )
    if result.message and result.status == "ok":
        click.echo(f"{source}: {result.message}")
    if result.status != "failed" and not stop.is_set():
        run_id, status, attributed, message = attribute(app.database, app.settings)
        detail = f": {message}" if message and status != "ok" else ""
        click.echo(f"attribution: {status} (run {run_id}), {attributed:,} accounts attributed{detail}")
    if result.status == "failed":
        raise CliError(f"{source} collection failed: {result.message}", EXIT_FAILED)
    if result.resumable:
        raise CliError(
            f"stopped early ({result.status}): {result.message}; run again to resume.{resume_hint}",
            EXIT_RESUMABLE,
        )
