"""`tracker run`: the main job once (schema, registry, collect both sources, attribute, report)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import click

from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.scheduler.jobs import JobOutcome, one_line
from tracker.scheduler.lock import DaemonLockHeld
from tracker.scheduler.run_once import run_once
from tracker.sources.base import Progress

PROGRESS_EVERY_SECONDS = 15.0


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM: finish the request in flight, close the run `interrupted`, skip the rest.
    A second Ctrl-C stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(*_: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, on_signal)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _progress(app: AppContext) -> Progress:
    last = [time.monotonic()]

    def show(what: str, count: int) -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = time.monotonic()
            app.err_console.print(f"  ... {count:,} items ({what})")

    return show


@root.command("run")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Report directory [default: <reports dir>/YYYY-MM-DD, reports dir from [reports] dir or ./reports].",
)
@pass_app
def run(app: AppContext, out_dir: str | None) -> None:
    """Collect, attribute and report once, with a modest plan: the README's main job.

    Upgrades the schema if needed, imports the shipped publisher registry into an empty database, collects
    new Hub models of the last 30 days, the 100 most downloaded and the registry publishers' repositories on
    both platforms, attributes countries and writes the report into ./reports/YYYY-MM-DD/. Without
    GITHUB_TOKEN the GitHub part stops at the anonymous budget (resumable). Exit 0 once the report is written.
    """
    console = app.console
    console.print(f"database: {app.database.display_url}")

    def on_step(outcome: JobOutcome) -> None:
        message = one_line(outcome.message or "", 500)
        if not outcome.runs:  # schema, registry: a note, not a recorded run
            console.print(f"{outcome.job}: {message or outcome.status}")
            return
        detail = f" - {message}" if message else ""
        console.print(f"{outcome.job}: {outcome.status} ({outcome.run_ids}, {outcome.items:,} items){detail}")

    stop = threading.Event()
    with _stop_on_signals(stop):
        try:
            summary = run_once(
                app.database,
                app.settings,
                stop=stop,
                progress=_progress(app),
                on_step=on_step,
                out_dir=Path(out_dir) if out_dir else None,
            )
        except DaemonLockHeld as error:
            raise CliError(f"{error}; the daemon runs these jobs on its schedule", EXIT_RESUMABLE) from None
    if summary.stopped:
        raise CliError("stopped on request; run `tracker run` again to resume", EXIT_RESUMABLE)
    report = summary.report
    if report is None or not summary.report_written:
        raise CliError(
            f"the report was not written: {report.message if report else 'not reached'}", EXIT_FAILED
        )
    console.print(f"the report is in {report.report_dir}/")
    for path in report.report_paths:
        console.print(f"  {path}")
    if summary.failed:
        raise CliError(
            "report written, but "
            + "; ".join(f"{step.job} failed: {step.message}" for step in summary.failed),
            EXIT_FAILED,
        )
