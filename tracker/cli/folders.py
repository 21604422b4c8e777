"""Folders a long-running command writes to, checked before it starts: one clear line, not a trace later."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from tracker.cli.app import EXIT_FAILED, CliError
from tracker.config import Settings


def sqlite_folder(database_url: str) -> Path | None:
    """The folder of an SQLite database file (None for PostgreSQL or an in-memory database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).expanduser().absolute().parent


def require_writable_folders(settings: Settings, reports_dir: Path | None = None) -> None:
    """`CliError` (exit 1) naming the first folder that is missing, not a folder, or read-only: the SQLite
    database's folder (with its lock file) and the reports folder (created when missing, so its nearest
    existing parent must be writable)."""
    database_folder = sqlite_folder(settings.database_url)
    if database_folder is not None:
        _check(database_folder, "database folder", must_exist=True)
    _check(
        Path(reports_dir or settings.reports_dir).expanduser().absolute(), "reports folder", must_exist=False
    )


def _check(folder: Path, what: str, *, must_exist: bool) -> None:
    existing = folder
    if not must_exist:
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
    if not existing.exists():
        raise CliError(f"the {what} {folder} does not exist", EXIT_FAILED)
    if not existing.is_dir():
        raise CliError(f"the {what} {folder} is not a folder ({existing} is a file)", EXIT_FAILED)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CliError(f"the {what} {existing} is read-only (cannot write there)", EXIT_FAILED)
