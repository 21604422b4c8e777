"""The daemon lock: one holder per database, refused with a message naming the lock, freed when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tracker.db.engine import Database
from tracker.scheduler.lock import DaemonLock, DaemonLockHeld, sqlite_lock_path

HOLDER = textwrap.dedent(
    """
    import sys, time
    from tracker.db.engine import Database
    from tracker.scheduler.lock import DaemonLock
    lock = DaemonLock(Database(sys.argv[1]))
    lock.acquire()
    print("locked", flush=True)
    time.sleep(120)
    """
)


def test_second_lock_on_the_same_database_is_refused_naming_the_lock(
    database: Database, database_url: str
) -> None:
    twin = Database(database_url)
    try:
        with DaemonLock(database):
            with pytest.raises(DaemonLockHeld) as refused:
                DaemonLock(twin).acquire()
            message = str(refused.value)
            if database.backend == "postgresql":
                assert "advisory lock" in message
            else:
                assert str(sqlite_lock_path(database)) in message
                assert f":{os.getpid()}" in message  # the holder's host:pid from the lock file
        with DaemonLock(twin) as lock:  # released: the twin may take it now
            assert lock.held
    finally:
        twin.dispose()


def test_lock_of_a_killed_holder_is_released(database: Database, database_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, database_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(DaemonLockHeld):
            DaemonLock(database).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    lock = DaemonLock(database)
    for _ in range(100):  # the server notices the dead connection a moment later
        try:
            lock.acquire()
            break
        except DaemonLockHeld:
            time.sleep(0.1)
    assert lock.held
    assert lock.check()
    lock.release()
    assert not lock.held
