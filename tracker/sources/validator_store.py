"""The database-backed `ValidatorStore`: ETag, Last-Modified, body and next link of the last 200 per URL.

Kept in `http_validators` so a 304 (free on GitHub) can be answered with the stored body. URLs never carry
tokens (authentication travels in headers). A URL not requested for `KEEP_DAYS` is pruned (`prune`), so
the table follows what is collected now, not everything ever requested. Each save is its own short transaction: a validator saved before
the data it describes is harmless, because a later 304 hands back the same body and the data gets written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from tracker.db.engine import Database
from tracker.db.models import HttpValidator, utcnow
from tracker.http.client import StoredResponse

MAX_URL_LENGTH = 2000  # the column's size; longer URLs are simply not cached
KEEP_DAYS = 30
TOUCH_AFTER = dt.timedelta(hours=12)  # `used_at` is refreshed at most this often (one write per URL per day)


class DatabaseValidatorStore:
    """`ValidatorStore` over the `http_validators` table (both back ends)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def load(self, url: str) -> StoredResponse | None:
        if len(url) > MAX_URL_LENGTH:
            return None
        with self.database.session() as session:
            row = session.scalars(select(HttpValidator).where(HttpValidator.url == url)).first()
            if row is None:
                return None
            now = utcnow()
            if row.used_at is None or row.used_at < now - TOUCH_AFTER:
                row.used_at = now
            return StoredResponse(row.etag, row.last_modified, row.body, row.link_next)

    def save(self, url: str, stored: StoredResponse) -> None:
        if len(url) > MAX_URL_LENGTH or (stored.next_url and len(stored.next_url) > MAX_URL_LENGTH):
            return
        with self.database.session() as session:
            row = session.get(HttpValidator, url)
            if row is None:
                row = HttpValidator(url=url)
                session.add(row)
            row.etag = stored.etag[:300] if stored.etag else None
            row.last_modified = stored.last_modified[:100] if stored.last_modified else None
            row.body = stored.body
            row.link_next = stored.next_url
            row.fetched_at = row.used_at = utcnow()

    def prune(self, days: int = KEEP_DAYS) -> int:
        """Delete the validators of URLs not requested in `days` days; returns how many."""
        cutoff = utcnow() - dt.timedelta(days=days)
        with self.database.session() as session:
            used = func.coalesce(HttpValidator.used_at, HttpValidator.fetched_at)
            return session.execute(delete(HttpValidator).where(used < cutoff)).rowcount or 0
