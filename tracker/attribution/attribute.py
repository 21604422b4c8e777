"""Country attribution over everything collected: publishers, accounts, GitHub users and lineage roots.

Precedence for a publisher: 1. manual override (`tracker publishers set`), 2. the registry, 3. the parsed profile
location of a linked GitHub account (only when the registry leaves the country empty, not when it says `-`),
4. unknown. Accounts linked to a publisher take its country; a GitHub user or organisation that no publisher
claims gets the country of its own profile location. Hugging Face accounts without a publisher stay unknown.
Every result carries its basis, a confidence and the method. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tracker.attribution.lineage import LineageSummary, compute_roots
from tracker.attribution.locations import LocationMatch, parse_location
from tracker.attribution.rollups import refresh_daily_totals
from tracker.db.engine import Database
from tracker.db.models import Account, GhAccount, HfModel, Publisher, utcnow

log = logging.getLogger(__name__)

MANUAL, REGISTRY, LOCATION, UNKNOWN = "manual", "registry", "location", "unknown"
CHUNK = 5000


@dataclass(frozen=True)
class Resolution:
    country: str | None
    basis: str | None
    confidence: float | None
    method: str

    def values(self) -> dict[str, object]:
        return {
            "country": self.country,
            "country_basis": self.basis,
            "country_confidence": self.confidence,
            "country_method": self.method,
        }


@dataclass
class AttributionSummary:
    accounts: int = 0  # account rows after attribution
    attributed: int = 0  # of them with a country
    models_with_root: int = 0
    publishers: int = 0
    publishers_by_method: dict[str, int] = field(default_factory=dict)
    github_accounts_scanned: int = 0
    github_accounts_located: int = 0
    accounts_changed: int = 0
    lineage: LineageSummary = field(default_factory=LineageSummary)
    totals_day: dt.date | None = None  # the day whose hf_daily_country_totals were refreshed


@functools.lru_cache(maxsize=100_000)
def _parse(location: str) -> LocationMatch | None:
    return parse_location(location)


def resolve_publisher(publisher: Publisher, locations: list[tuple[str, str | None]]) -> Resolution:
    """The country of one publisher from its override, registry entry or linked GitHub profiles' locations."""
    if publisher.override_country or publisher.override_basis:
        return Resolution(publisher.override_country, f"manual: {publisher.override_basis}", 1.0, MANUAL)
    if publisher.registry_country:
        return Resolution(
            publisher.registry_country, f"registry: {publisher.registry_basis or ''}".strip(), 1.0, REGISTRY
        )
    if publisher.registry_no_infer:
        return Resolution(
            None, f"registry: unknown on purpose; {publisher.registry_basis or ''}".strip("; "), None, UNKNOWN
        )
    matches = [(login, _parse(location)) for login, location in locations if location]
    found = [(login, match) for login, match in matches if match is not None]
    countries = {match.country for _, match in found}
    if len(countries) == 1:
        login, best = max(found, key=lambda item: item[1].confidence)
        return Resolution(
            best.country, f"GitHub profile of {login}: {best.evidence}", best.confidence, LOCATION
        )
    if len(countries) > 1:
        listed = ", ".join(f"{login}={match.country}" for login, match in found)
        return Resolution(None, f"linked GitHub profiles disagree ({listed})", None, UNKNOWN)
    return Resolution(None, "no registry country and no parsable GitHub profile location", None, UNKNOWN)


def _differs(row: object, resolution: Resolution) -> bool:
    return any(getattr(row, name) != value for name, value in resolution.values().items())


def _attribute_publishers(session: Session, summary: AttributionSummary) -> None:
    publishers = session.scalars(select(Publisher).order_by(Publisher.id)).all()
    linked = session.execute(
        select(Account.publisher_id, GhAccount.login, GhAccount.location)
        .join(GhAccount, GhAccount.login_key == Account.handle_key)
        .where(Account.platform == "github", Account.publisher_id.is_not(None))
        .order_by(GhAccount.login)
    ).all()
    locations: dict[int, list[tuple[str, str | None]]] = {}
    for publisher_id, login, location in linked:
        locations.setdefault(publisher_id, []).append((login, location))
    methods: Counter[str] = Counter()
    now = utcnow()
    for publisher in publishers:
        resolution = resolve_publisher(publisher, locations.get(publisher.id, []))
        methods[resolution.method] += 1
        if _differs(publisher, resolution):
            for name, value in resolution.values().items():
                setattr(publisher, name, value)
        accounts = session.execute(
            select(
                Account.id,
                Account.country,
                Account.country_basis,
                Account.country_confidence,
                Account.country_method,
            ).where(Account.publisher_id == publisher.id)
        ).all()
        changes = [
            {"id": row.id, **resolution.values(), "attributed_at": now}
            for row in accounts
            if _differs(row, resolution)
        ]
        if changes:
            session.execute(update(Account), changes)
            summary.accounts_changed += len(changes)
    summary.publishers = len(publishers)
    summary.publishers_by_method = dict(methods)
    session.flush()


def _freshness(row: Any) -> tuple[bool, float, int]:
    """Sort key: live accounts after gone ones, then by profile fetch time, then by id."""
    fetched = row.profile_fetched_at.timestamp() if row.profile_fetched_at else 0.0
    return (not row.gone, fetched, row.id)


def _attribute_github_users(session: Session, summary: AttributionSummary) -> None:
    """Every collected GitHub account no publisher claims: its own profile location, in chunks (flat memory)."""
    last_key = None
    now = utcnow()
    while True:
        # Chunks of whole logins: a login reused by several account ids (renames) is decided in one place.
        keys_query = select(GhAccount.login_key).group_by(GhAccount.login_key).order_by(GhAccount.login_key)
        if last_key is not None:
            keys_query = keys_query.where(GhAccount.login_key > last_key)
        chunk_keys = session.scalars(keys_query.limit(CHUNK)).all()
        if not chunk_keys:
            return
        last_key = chunk_keys[-1]
        rows = session.execute(
            select(
                GhAccount.id,
                GhAccount.login,
                GhAccount.login_key,
                GhAccount.location,
                GhAccount.gone,
                GhAccount.profile_fetched_at,
            ).where(GhAccount.login_key.in_(chunk_keys))
        ).all()
        summary.github_accounts_scanned += len(rows)
        chosen: dict[str, Any] = {}
        for row in sorted(rows, key=_freshness):
            chosen[row.login_key] = row  # the freshest profile of each login comes last
        chunk = list(chosen.values())
        keys = {row.login_key for row in chunk}
        existing = {
            row.handle_key: row
            for row in session.execute(
                select(
                    Account.id,
                    Account.handle_key,
                    Account.publisher_id,
                    Account.country,
                    Account.country_basis,
                    Account.country_confidence,
                    Account.country_method,
                ).where(Account.platform == "github", Account.handle_key.in_(keys))
            )
        }
        inserts: dict[str, dict[str, object]] = {}
        updates: dict[int, dict[str, object]] = {}
        for row in chunk:
            current = existing.get(row.login_key)
            if current is not None and current.publisher_id is not None:
                continue  # the publisher decides
            match = _parse(row.location) if row.location else None
            if match is not None:
                summary.github_accounts_located += 1
                resolution = Resolution(
                    match.country, f"GitHub profile location: {match.evidence}", match.confidence, LOCATION
                )
            else:
                resolution = Resolution(None, None, None, UNKNOWN)
            if current is None:
                if match is not None:
                    inserts[row.login_key] = {
                        "platform": "github",
                        "handle": row.login,
                        "handle_key": row.login_key,
                        **resolution.values(),
                        "attributed_at": now,
                    }
            elif _differs(current, resolution):
                updates[current.id] = {"id": current.id, **resolution.values(), "attributed_at": now}
        if inserts:
            session.execute(insert(Account), list(inserts.values()))
        if updates:
            session.execute(update(Account), list(updates.values()))
        summary.accounts_changed += len(inserts) + len(updates)
        session.flush()


def run_attribution(database: Database, *, lineage: bool = True) -> AttributionSummary:
    """Resolve countries for publishers, accounts and (unless `lineage` is false: a caller that kept them up
    to date itself) lineage roots, and roll the newest day up again. Idempotent.

    Without `lineage` (after a backfill, whose dumps rolled their own days up with the roots they kept up to
    date), the newest day is rolled up again only when an account's country changed."""
    summary = AttributionSummary()
    with database.session() as session:
        _attribute_publishers(session, summary)
        _attribute_github_users(session, summary)
    if lineage:
        summary.lineage = compute_roots(database)
    if lineage or summary.accounts_changed:
        with database.session() as session:
            summary.totals_day = refresh_daily_totals(session)
    with database.read_only_session() as session:
        summary.accounts = session.scalar(select(func.count()).select_from(Account)) or 0
        summary.attributed = (
            session.scalar(select(func.count()).select_from(Account).where(Account.country.is_not(None))) or 0
        )
        summary.models_with_root = (
            session.scalar(
                select(func.count()).select_from(HfModel).where(HfModel.root_author_key.is_not(None))
            )
            or 0
        )
    log.info(
        "attribution: %d publishers %s, %d accounts (%d with a country), %d GitHub profiles located, "
        "%d models with a root",
        summary.publishers,
        summary.publishers_by_method,
        summary.accounts,
        summary.attributed,
        summary.github_accounts_located,
        summary.models_with_root,
    )
    return summary
