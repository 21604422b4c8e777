"""Schema migrations through Alembic's API, on a `Database` (no prompts, no alembic.ini needed)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from tracker.db.engine import Database, DatabaseError
from tracker.db.lock import DatabaseLock

MIGRATION_WAIT_SECONDS = 600.0  # a first migration of a big database can take a while


class MigrationError(Exception):
    """A revision is unknown or a migration failed; the message says which."""


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("tracker.migrations")))
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return ",".join(heads)


def current_revision(database: Database) -> str | None:
    """The database's revision, or None for an empty (never migrated) database."""
    database.check()
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _run(database: Database, action: str, revision: str) -> None:
    database.check()
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        try:
            getattr(command, action)(config, revision)
        except CommandError as error:
            raise MigrationError(str(error)) from None


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate up to `revision` (default: the newest) and create the views when at head."""
    _run(database, "upgrade", revision)


def downgrade(database: Database, revision: str) -> None:
    """Migrate down to `revision` (`base` drops everything)."""
    _run(database, "downgrade", revision)


def ensure_schema(database: Database) -> bool:
    """Upgrade to head if needed; True when anything was migrated.

    Serialised by the `migrate` lock: two processes starting on a fresh database do not both create
    `alembic_version`; the second waits, then finds the schema at head."""
    head = head_revision()
    if current_revision(database) == head:
        return False
    lock = DatabaseLock(database, "migrate", what="another tracker process migrating the schema")
    lock.acquire(wait=MIGRATION_WAIT_SECONDS)
    try:
        if current_revision(database) == head:
            return False
        upgrade(database)
    finally:
        lock.release()
    return True


__all__ = [
    "DatabaseError",
    "MigrationError",
    "current_revision",
    "downgrade",
    "ensure_schema",
    "head_revision",
    "upgrade",
]
