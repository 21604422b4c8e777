"""One collection per source per database: the `collect.<source>` lock of `tracker.db.lock`.

Every collection takes it, whoever starts it (`tracker collect`, `tracker run`, the daemon); a second one
is refused at once with `SourceBusy` naming the holder, or waits up to `wait` seconds for it to finish.
"""

from __future__ import annotations

from tracker.db.engine import Database
from tracker.db.lock import DatabaseLock, LockHeld


class SourceBusy(LockHeld):
    """Another collection of the same source runs on this database (exit code 3: try again later)."""


class SourceLock(DatabaseLock):
    """The lock of one source's collections on one database."""

    held_error = SourceBusy

    def __init__(self, database: Database, source: str) -> None:
        super().__init__(database, f"collect.{source}", what=f"another {source} collection")
