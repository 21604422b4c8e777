"""The `tracker` command line: a thin layer over the library (one module per command group)."""

from __future__ import annotations

import logging
import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from tracker.cli import (  # noqa: F401  (importing a module registers its commands)
    attribute_commands,
    collect_commands,
    collect_github,
    collect_huggingface,
    daemon_commands,
    db_commands,
    export_commands,
    publishers_commands,
    query_commands,
    report_commands,
    run_commands,
    serve_commands,
    status_commands,
)
from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, EXIT_USAGE, cli
from tracker.config import ConfigError, load_settings, mask_url, scrub
from tracker.db.engine import DatabaseError
from tracker.db.migrate import MigrationError
from tracker.http.errors import Interrupted, RateLimitExceeded

log = logging.getLogger("tracker.cli")


def _secrets() -> tuple[str, ...]:
    try:
        return load_settings().secrets
    except Exception:
        return ()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn expected failures into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="tracker", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as error:  # one line, like every other error; the hint names the command
        command = error.ctx.command_path if error.ctx is not None else "tracker"
        click.echo(f"error: {error.format_message()} (see '{command} --help')", err=True)
        return error.exit_code
    except click.ClickException as error:
        error.message = scrub(error.message, _secrets())
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return EXIT_FAILED
    except ConfigError as error:
        click.echo(f"error: configuration: {error}", err=True)
        return EXIT_USAGE
    except (DatabaseError, MigrationError) as error:
        click.echo(f"error: {scrub(str(error), _secrets())}", err=True)
        return EXIT_FAILED
    except SQLAlchemyError as error:  # a database that went away mid-run: its first line, no SQL
        if "-v" in (argv or sys.argv) or "-vv" in (argv or sys.argv):
            log.exception("database error")
        original = getattr(error, "orig", None) or error
        detail = (str(original).strip().splitlines() or [type(original).__name__])[0]
        click.echo(f"error: database: {scrub(mask_url(detail), _secrets())}", err=True)
        return EXIT_FAILED
    except RateLimitExceeded as error:
        click.echo(f"stopped early (resumable): {error}", err=True)
        return EXIT_RESUMABLE
    except Interrupted:
        click.echo("interrupted; the next run resumes", err=True)
        return 0
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as error:  # unexpected: one line, the traceback only with -v
        if "-v" in (argv or sys.argv) or "-vv" in (argv or sys.argv):
            log.exception("unexpected error")
        click.echo(
            f"error: {scrub(f'{type(error).__name__}: {error}', _secrets())} (run with -v for details)",
            err=True,
        )
        return EXIT_FAILED
    return 0


def run() -> None:
    sys.exit(main())


__all__ = ["cli", "main", "run"]
