"""Publisher-level tables: top publishers by downloads, and new derivatives by root publisher per month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text

from tracker.db.engine import Database


@dataclass(frozen=True)
class PublisherRow:
    publisher: str
    name: str | None
    country: str | None
    models: int
    downloads_30d: int
    likes: int
    share: float | None  # of all 30-day downloads


@dataclass(frozen=True)
class RootPublisherShare:
    root: str | None  # the root namespace (lower case); None when the root is not yet known
    country: str | None
    derivatives: int
    share: float


@dataclass(frozen=True)
class RootPublisherMonth:
    month: str
    total: int
    top: list[RootPublisherShare]


def top_publishers(database: Database, limit: int = 15) -> list[PublisherRow]:
    """The publishers with the most 30-day downloads (from publisher_models_latest)."""
    with database.read_only_session() as session:
        total = float(
            session.execute(text("SELECT SUM(downloads_30d) FROM publisher_models_latest")).scalar() or 0
        )
        rows = session.execute(
            text(
                "SELECT publisher, publisher_name, country, models, downloads_30d, likes "
                "FROM publisher_models_latest ORDER BY downloads_30d DESC, models DESC, publisher LIMIT :limit"
            ),
            {"limit": limit},
        ).all()
    return [
        PublisherRow(
            publisher=row[0] or "(none)",
            name=row[1],
            country=row[2],
            models=int(row[3]),
            downloads_30d=int(row[4] or 0),
            likes=int(row[5] or 0),
            share=(int(row[4] or 0) / total) if total else None,
        )
        for row in rows
    ]


def derivatives_by_root_publisher(
    database: Database, today: dt.date, months: int = 12, top: int = 8
) -> list[RootPublisherMonth]:
    """For each of the last `months` complete months: the root namespaces with the most new derivatives."""
    current = today.strftime("%Y-%m")
    with database.read_only_session() as session:
        rows = session.execute(
            text(
                "SELECT month, root_author, MAX(root_country), SUM(derivatives) "
                "FROM monthly_derivatives_by_root_publisher WHERE month < :current "
                "GROUP BY month, root_author"
            ),
            {"current": current},
        ).all()
    by_month: dict[str, list[tuple[str | None, str | None, int]]] = {}
    for month, root, country, count in rows:
        by_month.setdefault(month, []).append((root, country, int(count or 0)))
    result = []
    for month in sorted(by_month)[-months:]:
        entries = by_month[month]
        total = sum(count for _, _, count in entries)
        ranked = sorted(entries, key=lambda entry: (-entry[2], entry[0] or ""))[:top]
        result.append(
            RootPublisherMonth(
                month=month,
                total=total,
                top=[
                    RootPublisherShare(root, country, count, count / total) for root, country, count in ranked
                ],
            )
        )
    return result
