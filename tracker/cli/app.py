"""The `tracker` command group, its shared options and the application context commands receive.

Commands are thin: parse options, get settings and the database from `AppContext`, call a library function,
print. Expected failures raise `CliError` (or a library error mapped in `tracker.cli.main`) and become one
line on stderr with the contract's exit code: 0 done, 1 failed, 2 usage, 3 stopped early but resumable.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console

from tracker import __version__
from tracker.config import Settings, load_settings
from tracker.db.engine import Database
from tracker.logs import configure_logging

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RESUMABLE = 3


class CliError(click.ClickException):
    """An expected failure: printed as one line `error: ...` with `exit_code`."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@dataclass
class AppContext:
    """Settings and the database, opened on first use."""

    overrides: dict[str, Any] = field(default_factory=dict)
    verbose: int = 0
    _settings: Settings | None = None
    _database: Database | None = None
    console: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err_console: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.overrides)
            configure_logging(self.verbose, self._settings.log_json, self._settings.secrets)
            for warning in self._settings.warnings:
                logging.getLogger("tracker.config").warning("%s", warning)
        return self._settings

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.database_url)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()

    @property
    def show_progress(self) -> bool:
        """Progress bars only on a terminal; logs carry progress elsewhere."""
        return sys.stderr.isatty()


pass_app = click.make_pass_decorator(AppContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tracker")
@click.option(
    "--database-url",
    metavar="URL",
    help="SQLAlchemy database URL [env TRACKER_DATABASE_URL; default sqlite:///tracker.db].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="TOML config file [env TRACKER_CONFIG; default ./tracker.toml if present].",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv debug).")
@click.option("--log-json", is_flag=True, default=None, help="Log one JSON object per line.")
@click.pass_context
def cli(
    ctx: click.Context, database_url: str | None, config_file: str | None, verbose: int, log_json: bool | None
) -> None:
    """Track whether open-source AI's centre of gravity is moving to China, with evidence.

    Collects metadata from the Hugging Face Hub and GitHub into SQL (SQLite by default, PostgreSQL in
    production), attributes publishers to countries with provenance, and reports the shift.

    Exit codes: 0 done, 1 failed, 2 usage error, 3 stopped early but resumable (rate limit, lock held).
    """
    app = AppContext(
        overrides={"database_url": database_url, "config_file": config_file, "log_json": log_json},
        verbose=verbose,
    )
    ctx.obj = app
    ctx.call_on_close(app.close)
