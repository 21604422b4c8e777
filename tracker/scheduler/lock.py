"""Exactly one daemon per database: a lock the operating system or the database releases when the process dies.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the daemon's lifetime (the
server drops it with the connection). SQLite: an `flock` on `<database file>.daemon.lock` beside the
database (the kernel drops it with the process). A second daemon gets `DaemonLockHeld` naming the lock.
"""

from __future__ import annotations

import fcntl
import os
import socket
import zlib
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from tracker.db.engine import Database, DatabaseError, describe_error

# One key per database (advisory locks are scoped to the database they are taken in): a stable 31-bit
# number derived from a name, so an operator can find it in pg_locks.
ADVISORY_LOCK_KEY = zlib.crc32(b"tracker.daemon") & 0x7FFFFFFF


class DaemonLockHeld(Exception):
    """Another daemon holds this database's lock; the message names the lock (and the holder when known)."""


def owner_label() -> str:
    """`host:pid` of this process, as written into the lock file and `scheduler_jobs`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def sqlite_lock_path(database: Database) -> Path | None:
    """The lock file of an SQLite database (None for an in-memory database, which no other process sees)."""
    name = make_url(database.url).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    return Path(name).resolve().with_name(Path(name).name + ".daemon.lock")


class DaemonLock:
    """The daemon lock of one database; use as a context manager or call `acquire` and `release`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._connection: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def name(self) -> str:
        """What the lock is, for messages: the advisory lock key or the lock file."""
        if self.database.backend == "postgresql":
            return f"PostgreSQL advisory lock {ADVISORY_LOCK_KEY} on {self.database.display_url}"
        path = sqlite_lock_path(self.database)
        return f"lock file {path}" if path else "in-memory database (no lock needed)"

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> None:
        """Take the lock or raise `DaemonLockHeld` at once (never waits)."""
        if self.held:
            return
        if self.database.backend == "postgresql":
            self._acquire_advisory()
        else:
            self._acquire_file()

    def _acquire_advisory(self) -> None:
        try:
            connection = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as error:
            raise DatabaseError(describe_error(error, self.database.display_url)) from None
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            if not got.scalar():
                holder = connection.execute(
                    text(
                        "SELECT a.client_addr, a.pid, a.application_name FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.objid = :key AND l.granted "
                        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"key": ADVISORY_LOCK_KEY},
                ).first()
                who = f" (held by server backend pid {holder.pid})" if holder else ""
                raise DaemonLockHeld(f"another tracker daemon (or `tracker run`) holds the {self.name}{who}")
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def _acquire_file(self) -> None:
        path = sqlite_lock_path(self.database)
        if path is None:
            self._file = open(os.devnull, "a")  # noqa: SIM115 - held for the daemon's lifetime
            return
        handle = open(path, "a+")  # noqa: SIM115 - held for the daemon's lifetime
        try:
            # flock (not lockf): per open file, so even a second lock in the same process is refused.
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            who = f" (held by {holder})" if holder else ""
            raise DaemonLockHeld(
                f"another tracker daemon (or `tracker run`) holds the {self.name}{who}"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(owner_label() + "\n")
        handle.flush()
        self._file = handle

    def check(self) -> bool:
        """True while the lock is still ours (a PostgreSQL lock is lost with its connection)."""
        if self._connection is None:
            return self._file is not None
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def release(self) -> None:
        """Give the lock back (also happens by itself when the process dies)."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
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

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> Any:
        self.release()
        return None
