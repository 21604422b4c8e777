"""Named locks on one database that the operating system or the database server releases when the holder dies.

One mechanism for every lock the tracker takes: one daemon per database (`daemon`), one collection per
source (`collect.<source>`), one migration at a time (`migrate`).

PostgreSQL: a session-level advisory lock on a dedicated connection (the server drops it with the
connection), keyed by a stable 31-bit number derived from the lock's name so an operator finds it in
`pg_locks`; the holder's connection carries `application_name = 'tracker <host>:<pid>'` so a refusal names
it. SQLite: an `flock` on `<real database path>.<name>.lock` beside the database (symlinks resolved, so two
paths to one file share one lock; the kernel drops it with the process); the holder writes its `host:pid` in.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
import zlib
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from tracker.db.engine import Database, DatabaseError, describe_error

POLL_SECONDS = 0.2


class LockHeld(Exception):
    """Another process holds the lock; the message is one line naming the lock and its holder when known."""


def owner_label() -> str:
    """`host:pid` of this process, as written into lock files and `scheduler_jobs`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def advisory_key(name: str) -> int:
    """The PostgreSQL advisory lock key of lock `name` (`daemon` keeps the key it always had)."""
    return zlib.crc32(f"tracker.{name}".encode()) & 0x7FFFFFFF


def sqlite_database_path(database: Database) -> Path | None:
    """The real path of an SQLite database file (None for an in-memory database, which no other process sees)."""
    name = make_url(database.url).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    return Path(name).resolve()


def sqlite_lock_path(database: Database, name: str = "daemon") -> Path | None:
    """The file of lock `name` beside an SQLite database, named from the database's real path."""
    path = sqlite_database_path(database)
    return path.with_name(f"{path.name}.{name}.lock") if path else None


class DatabaseLock:
    """Lock `name` of one database; use as a context manager or call `acquire` and `release`.

    `what` says in refusals who normally holds it (e.g. "another tracker daemon (or `tracker run`)")."""

    held_error: type[LockHeld] = LockHeld

    def __init__(self, database: Database, name: str, *, what: str = "another tracker process") -> None:
        self.database = database
        self.lock_name = name
        self.what = what
        self.key = advisory_key(name)
        self._connection: Connection | None = None
        self._file: IO[str] | None = None
        self._inode: int | None = None

    @property
    def name(self) -> str:
        """What the lock is, for messages: the advisory lock key or the lock file."""
        if self.database.backend == "postgresql":
            return f"PostgreSQL advisory lock {self.key} ({self.lock_name}) on {self.database.display_url}"
        path = sqlite_lock_path(self.database, self.lock_name)
        return f"lock file {path}" if path else "in-memory database (no lock needed)"

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to `wait` seconds for its holder to let go; else raise `held_error`."""
        if self.held:
            return
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                if self.database.backend == "postgresql":
                    self._acquire_advisory()
                else:
                    self._acquire_file()
                return
            except LockHeld:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(POLL_SECONDS)

    def _refused(self, holder: str | None) -> LockHeld:
        who = f" (held by {holder})" if holder else ""
        return self.held_error(f"{self.what} holds the {self.name}{who}")

    def _acquire_advisory(self) -> None:
        try:
            connection = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as error:
            raise DatabaseError(describe_error(error, self.database.display_url)) from None
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            if not got.scalar():
                holder = connection.execute(
                    text(
                        "SELECT a.pid, a.application_name FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.objid = :key AND l.granted "
                        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"key": self.key},
                ).first()
                label = None
                if holder is not None:
                    label = (
                        holder.application_name.removeprefix("tracker ") if holder.application_name else ""
                    )
                    label = f"{label or 'a client'}, server backend pid {holder.pid}"
                raise self._refused(label)
            connection.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": f"tracker {owner_label()}"},
            )
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def _acquire_file(self) -> None:
        path = sqlite_lock_path(self.database, self.lock_name)
        if path is None:
            self._file = open(os.devnull, "a")  # noqa: SIM115 - held for the holder's lifetime
            return
        handle = open(path, "a+")  # noqa: SIM115 - held for the holder's lifetime
        try:
            # flock (not lockf): per open file, so even a second lock in the same process is refused.
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise self._refused(holder) from None
        if os.fstat(handle.fileno()).st_ino != _inode(path):  # deleted between open and flock: retry
            handle.close()
            self._acquire_file()
            return
        handle.seek(0)
        handle.truncate()
        handle.write(owner_label() + "\n")
        handle.flush()
        self._file = handle
        self._inode = os.fstat(handle.fileno()).st_ino

    def check(self) -> bool:
        """True while the lock is still ours: a PostgreSQL lock is lost with its connection, an SQLite lock
        when its file was deleted or replaced (another process could then lock a new file of that name)."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                return False
        if self._file is None:
            return False
        path = sqlite_lock_path(self.database, self.lock_name)
        return path is None or _inode(path) == self._inode

    def release(self) -> None:
        """Give the lock back (also happens by itself when the process dies)."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except Exception:  # the connection is gone, and the lock with it
                pass
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            try:
                if self._file.name != os.devnull:
                    self._file.seek(0)
                    self._file.truncate()
                    fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None
                self._inode = None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> Any:
        self.release()
        return None


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None
