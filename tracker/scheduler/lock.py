"""Exactly one daemon per database: the `daemon` lock of `tracker.db.lock` (advisory lock or lock file).

`tracker run` takes it too. Each collection also takes its source's own lock (`tracker.collection.lock`),
so a `tracker collect` started by hand during a daemon job is refused rather than racing it.
"""

from __future__ import annotations

from tracker.db.engine import Database
from tracker.db.lock import DatabaseLock, LockHeld, owner_label, sqlite_lock_path


class DaemonLockHeld(LockHeld):
    """Another daemon holds this database's lock; the message names the lock (and the holder when known)."""


class DaemonLock(DatabaseLock):
    """The daemon lock of one database."""

    held_error = DaemonLockHeld

    def __init__(self, database: Database) -> None:
        super().__init__(database, "daemon", what="another tracker daemon (or `tracker run`)")


__all__ = ["DaemonLock", "DaemonLockHeld", "owner_label", "sqlite_lock_path"]
