"""A small thread-safe cache whose entries expire, for the few reads that cost more than a page may."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

DERIVATIVES_TTL_SECONDS = 900.0  # collections run daily; a quarter of an hour old is fresh enough


class ExpiringCache:
    def __init__(self, ttl_seconds: float, max_entries: int = 2048) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (time.monotonic(), value)
        return value
