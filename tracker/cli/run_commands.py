"""`tracker run`: the main job once (schema, registry, collect both sources, attribute, report)."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.cli.folders import require_writable_folders
from tracker.cli.progress import progress_display, stop_on_signals
from tracker.scheduler.jobs import JobOutcome, one_line
from tracker.scheduler.lock import DaemonLockHeld
from tracker.scheduler.run_once import run_once


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
    require_writable_folders(app.settings, Path(out_dir) if out_dir else None)
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
    with stop_on_signals(stop), progress_display(app, "run") as progress:
        try:
            summary = run_once(
                app.database,
                app.settings,
                stop=stop,
                progress=progress,
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
    skipped = [step for step in summary.steps if step.status == "skipped"]
    if skipped:  # a source held by another collection: the report stands on older data for it
        raise CliError(
            "report written, but "
            + "; ".join(f"{step.job} was not collected: {step.message}" for step in skipped)
            + "; run `tracker run` again once it ends",
            EXIT_RESUMABLE,
        )
