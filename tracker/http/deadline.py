"""An overall deadline per request: a watchdog thread cuts the connection of a request that outlives it.

`requests` only has per-operation timeouts (connect, and each read of the socket), so a server that trickles
its status line or headers a byte at a time holds a request for ever. The watchdog learns which connection
each watched thread uses (through the connection pools of the session's adapters) and shuts its socket down
when the deadline passes or the stop event is set; the blocked read then fails at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool

POLL_SECONDS = 0.1


@dataclass
class _Watch:
    due: float
    connection: Any = None


class RequestWatchdog:
    """Watches the requests of one `requests.Session`: `with watchdog.watch(seconds): session.get(...)`."""

    def __init__(self, session: requests.Session, stop: threading.Event) -> None:
        self.stop = stop
        self._watches: dict[int, _Watch] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        for prefix in ("http://", "https://"):
            manager = getattr(session.adapters.get(prefix), "poolmanager", None)
            if manager is not None and hasattr(manager, "pool_classes_by_scheme"):
                manager.pool_classes_by_scheme = {
                    "http": _tracking(HTTPConnectionPool, self._track),
                    "https": _tracking(HTTPSConnectionPool, self._track),
                }

    @contextlib.contextmanager
    def watch(self, seconds: float) -> Iterator[None]:
        """Cut this thread's connection if the block has not ended within `seconds` or `stop` is set."""
        ident = threading.get_ident()
        with self._lock:
            self._watches[ident] = _Watch(time.monotonic() + seconds)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-deadline", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._watches.pop(ident, None)

    def _track(self, connection: Any) -> None:
        with self._lock:
            watch = self._watches.get(threading.get_ident())
            if watch is not None:
                watch.connection = connection

    def _run(self) -> None:
        while True:
            time.sleep(POLL_SECONDS)
            with self._lock:
                if not self._watches:
                    self._thread = None
                    return
                due = [
                    watch.connection
                    for watch in self._watches.values()
                    if watch.connection is not None and (self.stop.is_set() or time.monotonic() > watch.due)
                ]
            for connection in due:
                _cut(connection)


def _cut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _tracking(base: type[HTTPConnectionPool], track: Callable[[Any], None]) -> type[HTTPConnectionPool]:
    class TrackingPool(base):  # type: ignore[valid-type, misc]
        def _get_conn(self, timeout: float | None = None) -> Any:
            connection = super()._get_conn(timeout)
            track(connection)
            return connection

    TrackingPool.__name__ = f"Tracking{base.__name__}"
    return TrackingPool
