"""`tracker daemon`: the scheduled collections, attribution and reports, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import os
import sys

import click

from tracker.cli.app import EXIT_OK, EXIT_RESUMABLE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.cli.folders import require_writable_folders
from tracker.config import load_settings
from tracker.logs import configure_logging
from tracker.scheduler.daemon import STOP_TIMEOUT, Daemon
from tracker.scheduler.lock import DaemonLockHeld


@root.command("daemon")
@click.option(
    "--stop-timeout",
    type=click.FloatRange(min=0),
    default=STOP_TIMEOUT,
    show_default=True,
    help="Seconds a running job gets to stop after SIGTERM/SIGINT before the daemon exits anyway.",
)
@pass_app
def daemon(app: AppContext, stop_timeout: float) -> None:
    """Run the schedule (`[schedule]` crons, UTC) until SIGTERM/SIGINT; one daemon per database.

    Hugging Face collection daily 02:00, GitHub daily 03:00 (each followed by attribution), the report
    Mondays 06:00 into the reports directory. A run missed while down is caught up at start. A second
    daemon on the same database exits 3 naming the lock.
    """
    settings = app.settings
    require_writable_folders(settings)
    # The daemon's log is its record of events: at least one line per job, whatever -v says.
    configure_logging(max(app.verbose, 1), settings.log_json, settings.secrets)
    runner = Daemon(app.database, lambda: load_settings(app.overrides), stop_timeout=stop_timeout)
    try:
        clean = runner.run()
    except DaemonLockHeld as error:
        raise CliError(str(error), EXIT_RESUMABLE) from None
    if not clean:  # a job thread did not stop in time: leave without waiting for it
        sys.stdout.flush()
        sys.stderr.flush()
        app.close()
        os._exit(EXIT_OK)
