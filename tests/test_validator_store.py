"""`http_validators`: what a conditional request needs is kept while the URL is requested, pruned after 30 days."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from tracker.db.engine import Database
from tracker.db.models import HttpValidator, utcnow
from tracker.http.client import StoredResponse
from tracker.sources.validator_store import DatabaseValidatorStore


def age(database: Database, url: str, days: int) -> None:
    then = utcnow() - dt.timedelta(days=days)
    with database.session() as session:
        session.execute(
            update(HttpValidator).where(HttpValidator.url == url).values(fetched_at=then, used_at=then)
        )


def test_validators_of_urls_not_requested_in_30_days_are_pruned(database: Database) -> None:
    store = DatabaseValidatorStore(database)
    for url in ("/gone", "/old-but-asked", "/fresh"):
        store.save(url, StoredResponse('"etag"', None, "[]", None))
    age(database, "/gone", 31)
    age(database, "/old-but-asked", 31)
    assert store.load("/old-but-asked") is not None  # answered 304 today: still in use

    assert store.prune() == 1
    with database.session() as session:
        kept = set(session.scalars(select(HttpValidator.url)))
    assert kept == {"/old-but-asked", "/fresh"}
    assert store.prune() == 0
