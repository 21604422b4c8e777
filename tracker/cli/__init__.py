"""The `tracker` command line: a thin layer over the library (one module per command group)."""

from __future__ import annotations

import re
import sys
import traceback

import click
from sqlalchemy.exc import SQLAlchemyError

from tracker.cli import (  # noqa: F401  (importing a module registers its commands)
    attribute_commands,
    backfill_commands,
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
from tracker.config import ConfigError, known_secrets, load_settings, mask_url, scrub
from tracker.db.engine import DatabaseError
from tracker.db.migrate import MigrationError
from tracker.http.errors import Interrupted, RateLimitExceeded


def _secrets() -> tuple[str, ...]:
    try:
        return (*load_settings().secrets, *known_secrets())
    except Exception:
        return known_secrets()


def _verbose(argv: list[str]) -> bool:
    """Whether any -v form was given (-v, -vv, -vvv, --verbose), before or after the command."""
    return any(arg == "--verbose" or re.fullmatch(r"-v+", arg) for arg in argv)


def _traceback(argv: list[str]) -> None:
    if _verbose(argv):
        click.echo(scrub(traceback.format_exc().rstrip(), _secrets()), err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn expected failures into one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
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
    except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C where no stop handler is installed
        click.echo("stopped: interrupted (a collection resumes on its next run)", err=True)
        return EXIT_RESUMABLE
    except ConfigError as error:
        click.echo(f"error: configuration: {error}", err=True)
        return EXIT_USAGE
    except (DatabaseError, MigrationError) as error:
        click.echo(f"error: {scrub(str(error), _secrets())}", err=True)
        return EXIT_FAILED
    except SQLAlchemyError as error:  # a database that went away mid-run: its first line, no SQL
        _traceback(args)
        original = getattr(error, "orig", None) or error
        detail = (str(original).strip().splitlines() or [type(original).__name__])[0]
        click.echo(f"error: database: {scrub(mask_url(detail), _secrets())}", err=True)
        return EXIT_FAILED
    except RateLimitExceeded as error:
        click.echo(f"stopped early (resumable): {error}", err=True)
        return EXIT_RESUMABLE
    except Interrupted:  # a stop request that no command turned into its own summary
        click.echo("stopped: interrupted; the next run resumes", err=True)
        return EXIT_RESUMABLE
    except OSError as error:  # a missing or read-only file or folder: name it, no trace
        _traceback(args)
        click.echo(f"error: {scrub(describe_os_error(error), _secrets())}", err=True)
        return EXIT_FAILED
    except Exception as error:  # unexpected: one line, the traceback only with -v
        _traceback(args)
        click.echo(
            f"error: {scrub(f'{type(error).__name__}: {error}', _secrets())} (run with -v for details)",
            err=True,
        )
        return EXIT_FAILED
    return 0


def describe_os_error(error: OSError) -> str:
    """`what: path` for an OS error (`Permission denied: /data/reports`), one line."""
    what = error.strerror or str(error) or type(error).__name__
    path = error.filename if error.filename is not None else ""
    return f"{what}: {path}" if path else f"{what} ({type(error).__name__})"


def run() -> None:
    sys.exit(main())


__all__ = ["cli", "main", "run"]
