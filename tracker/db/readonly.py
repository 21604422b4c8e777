"""Read-only access enforced by the databases themselves, for SQL that users write (`tracker query`, web view).

SQLite: an authorizer allows reading only (no ATTACH, VACUUM, writing PRAGMAs, `load_extension`, DDL or DML)
and `PRAGMA query_only` refuses anything that would still open a write transaction (e.g. REINDEX, which asks
the authorizer nothing); a progress handler aborts after the deadline. Both are removed before the
connection goes back to the pool.

PostgreSQL: a read-only transaction under `SET LOCAL ROLE tracker_reader`, a NOLOGIN role that migration 0006
creates and that may only SELECT the tracker's tables and views, with `SET LOCAL statement_timeout`. The
connection is discarded afterwards, so nothing a statement leaves in the session (locks, cursors, prepared
statements) outlives it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, text

from tracker.db.engine import Database

READER_ROLE = "tracker_reader"

# Pragmas that only report something (their value-setting form, `PRAGMA x = y`, stays refused).
_READ_PRAGMAS = frozenset(
    {
        "application_id", "collation_list", "compile_options", "data_version", "database_list", "encoding",
        "foreign_keys", "freelist_count", "function_list", "journal_mode", "module_list", "page_count",
        "page_size", "pragma_list", "schema_version", "table_list", "user_version",
    }
)  # fmt: skip
# Pragmas whose argument names what to read (a table or an index), not a new value.
_READ_PRAGMAS_WITH_ARGUMENT = frozenset(
    {
        "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check", "table_list",
    }
)  # fmt: skip
_REFUSED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})
_SQLITE_ACTIONS = {
    getattr(sqlite3, name): name.removeprefix("SQLITE_").replace("_", " ")
    for name in (
        "SQLITE_CREATE_INDEX", "SQLITE_CREATE_TABLE", "SQLITE_CREATE_TEMP_INDEX", "SQLITE_CREATE_TEMP_TABLE",
        "SQLITE_CREATE_TEMP_TRIGGER", "SQLITE_CREATE_TEMP_VIEW", "SQLITE_CREATE_TRIGGER", "SQLITE_CREATE_VIEW",
        "SQLITE_DELETE", "SQLITE_DROP_INDEX", "SQLITE_DROP_TABLE", "SQLITE_DROP_TEMP_INDEX",
        "SQLITE_DROP_TEMP_TABLE", "SQLITE_DROP_TEMP_TRIGGER", "SQLITE_DROP_TEMP_VIEW", "SQLITE_DROP_TRIGGER",
        "SQLITE_DROP_VIEW", "SQLITE_INSERT", "SQLITE_PRAGMA", "SQLITE_READ", "SQLITE_SELECT",
        "SQLITE_TRANSACTION", "SQLITE_UPDATE", "SQLITE_ATTACH", "SQLITE_DETACH", "SQLITE_ALTER_TABLE",
        "SQLITE_REINDEX", "SQLITE_ANALYZE", "SQLITE_CREATE_VTABLE", "SQLITE_DROP_VTABLE", "SQLITE_FUNCTION",
        "SQLITE_SAVEPOINT", "SQLITE_RECURSIVE",
    )
}  # fmt: skip
# VACUUM (also `VACUUM INTO`) attaches its target first, so refusing ATTACH refuses it.
_SQLITE_READS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
_PROGRESS_EVERY = 1000  # SQLite VM instructions between deadline checks


class ReadOnlyRefused(Exception):
    """The database refused a statement, or read-only access cannot be guaranteed; one line."""


class StatementTimeout(Exception):
    """The statement ran past its deadline and was stopped by the database."""


class ReadOnlyGuard:
    """What a guarded connection learned while a statement ran (the refused action, server warnings)."""

    def __init__(self) -> None:
        self.refused: str | None = None
        self.warnings: list[str] = []
        self.deadline: float | None = None

    @property
    def timed_out(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


def _sqlite_authorizer(guard: ReadOnlyGuard) -> Any:
    def authorize(
        action: int, first: str | None, second: str | None, _db: str | None, _via: str | None
    ) -> int:
        if action in _SQLITE_READS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (second or "").lower() not in _REFUSED_FUNCTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            pragma = (first or "").lower()
            if pragma in _READ_PRAGMAS_WITH_ARGUMENT or (pragma in _READ_PRAGMAS and second is None):
                return sqlite3.SQLITE_OK
        what = _SQLITE_ACTIONS.get(action, f"action {action}")
        detail = second if action == sqlite3.SQLITE_FUNCTION else first
        guard.refused = f"{what} {detail}".strip() if detail else what
        return sqlite3.SQLITE_DENY

    return authorize


@contextlib.contextmanager
def _guard_sqlite(dbapi: sqlite3.Connection, guard: ReadOnlyGuard) -> Iterator[None]:
    dbapi.execute("PRAGMA query_only = ON")
    dbapi.set_authorizer(_sqlite_authorizer(guard))
    if guard.deadline is not None:
        dbapi.set_progress_handler(lambda: 1 if guard.timed_out else 0, _PROGRESS_EVERY)
    try:
        yield
    finally:
        dbapi.set_authorizer(None)
        dbapi.set_progress_handler(None, 0)
        dbapi.rollback()
        dbapi.execute("PRAGMA query_only = OFF")


@contextlib.contextmanager
def _guard_postgresql(dbapi: Any, guard: ReadOnlyGuard, timeout_seconds: float | None) -> Iterator[None]:
    import psycopg  # the PostgreSQL driver; imported here so SQLite-only installs never need it

    dbapi.add_notice_handler(
        lambda notice: (
            guard.warnings.append(notice.message_primary)
            if notice.severity_nonlocalized == "WARNING"
            else None
        )
    )
    with dbapi.cursor() as cursor:
        cursor.execute("SET TRANSACTION READ ONLY")
        try:
            cursor.execute(f"SET LOCAL ROLE {READER_ROLE}")
        except psycopg.Error as error:
            detail = str(error).strip().splitlines()[0]
            raise ReadOnlyRefused(
                f"refused: cannot switch to the read-only role {READER_ROLE} ({detail}); run `tracker db upgrade` "
                f"as a user that may create roles, or GRANT {READER_ROLE} TO the connecting user"
            ) from None
        if timeout_seconds is not None:
            cursor.execute(f"SET LOCAL statement_timeout = {max(1, round(timeout_seconds * 1000))}")
    yield
    # A superuser session could leave the role with set_config('role', ...); migration 0006 revokes that
    # function from non-owners, and this check refuses the rows should a statement still manage it.
    with dbapi.cursor() as cursor:
        cursor.execute("SELECT current_user")
        role = cursor.fetchone()[0]
    if role != READER_ROLE:
        raise ReadOnlyRefused(f"refused: the statement left the read-only role {READER_ROLE}")
    if guard.warnings:
        raise ReadOnlyRefused(f"refused: {guard.warnings[0]}")


@contextlib.contextmanager
def read_only_dbapi(database: Database, timeout_seconds: float | None = None) -> Iterator[Any]:
    """A DB-API connection on which the database refuses every write, for one user-written statement.

    Raises `ReadOnlyRefused` when the guard cannot be set up (or a statement slipped past it) and
    `StatementTimeout` when the database stopped the statement at the deadline.
    """
    guard = ReadOnlyGuard()
    if timeout_seconds is not None:
        guard.deadline = time.monotonic() + timeout_seconds
    connection = database.engine.connect()
    discard = database.backend != "sqlite"
    try:
        dbapi = connection.connection.dbapi_connection
        if database.backend == "sqlite":
            guarded = _guard_sqlite(dbapi, guard)
        else:
            guarded = _guard_postgresql(dbapi, guard, timeout_seconds)
        try:
            with guarded:
                yield dbapi
        except Exception as error:
            raise _translate(error, guard, timeout_seconds) from None
    except BaseException:
        discard = True
        raise
    finally:
        if discard:
            connection.invalidate()
        connection.close()


def _translate(error: Exception, guard: ReadOnlyGuard, timeout_seconds: float | None) -> Exception:
    if isinstance(error, (ReadOnlyRefused, StatementTimeout)):
        return error
    name = type(error).__name__
    message = str(error).strip().splitlines()[0] if str(error).strip() else name
    if name == "QueryCanceled" or (isinstance(error, sqlite3.OperationalError) and message == "interrupted"):
        if timeout_seconds is not None:
            return StatementTimeout(
                f"stopped: the query ran longer than {timeout_seconds:g} s (setting [query] timeout)"
            )
    if guard.refused or message == "not authorized":
        return ReadOnlyRefused(f"refused: queries are read-only ({guard.refused or message} is not allowed)")
    return error


def grant_reader(connection: Connection) -> None:
    """Let the read-only role SELECT every table and view of the schema (PostgreSQL; where the role exists).

    Called after the views are (re)created, so new tables and views are readable too.
    """
    if connection.dialect.name != "postgresql":
        return
    connection.execute(
        text(
            f"""
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO {READER_ROLE}', current_schema());
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'tracker: cannot grant SELECT to {READER_ROLE} (%)', SQLERRM;
END
$$"""
        )
    )
