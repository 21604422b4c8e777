"""Writing GitHub rows: batched upserts (INSERT ... ON CONFLICT on SQLite and PostgreSQL alike), renames
into `former_names`, one snapshot per repository per UTC day, contributors per repository per day.

Every function works inside the caller's session, so data and the run's checkpoint commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.db.models import (
    FormerName,
    GhAccount,
    GhContributor,
    GhRepo,
    GhRepoSnapshot,
    utcnow,
)

CHUNK = 500  # rows per INSERT: well under SQLite's bound-variable limit
TRACKING_RANK = {"registry": 3, "org": 2, "search": 1}


def upsert(
    session: Session,
    model: type,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    insert_only: Iterable[str] = (),
) -> None:
    """Insert `rows` (all with the same columns) or update the existing rows with the same `keys`.

    Columns in `insert_only` are written for new rows and left alone on existing ones."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    skip = set(keys) | set(insert_only)
    columns = [c for c in rows[0] if c not in skip]
    for start in range(0, len(rows), CHUNK):
        statement = insert(table).values(list(rows[start : start + CHUNK]))
        if columns:
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_={c: statement.excluded[c] for c in columns}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))
        session.execute(statement)


def _unique(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last row per id (one statement must not touch a row twice on PostgreSQL)."""
    return list({row["id"]: row for row in rows}.values())


def _record_renames(
    session: Session,
    entity: str,
    old_names: dict[int, str],
    rows: list[dict[str, Any]],
    column: str,
    today: dt.date,
) -> None:
    renamed = [
        {"entity": entity, "entity_id": str(row["id"]), "name": old_names[row["id"]], "replaced_on": today}
        for row in rows
        if row["id"] in old_names and old_names[row["id"]] != row[column]
    ]
    upsert(session, FormerName, renamed, ["entity", "entity_id", "name"], insert_only=["replaced_on"])


def save_accounts(session: Session, rows: Iterable[dict[str, Any]], today: dt.date, *, profile: bool) -> None:
    """Upsert accounts. `profile=True` rows are full profiles (stamped `profile_fetched_at`, not gone);
    identity-only rows (owners, contributors) never overwrite profile columns."""
    rows = _unique(rows)
    if not rows:
        return
    ids = [row["id"] for row in rows]
    old = dict(session.execute(select(GhAccount.id, GhAccount.login).where(GhAccount.id.in_(ids))).all())
    _record_renames(session, "gh_account", old, rows, "login", today)
    if profile:
        now = utcnow()
        rows = [{**row, "profile_fetched_at": now, "gone": False} for row in rows]
        upsert(session, GhAccount, rows, ["id"])
    else:
        rows = [{**row, "gone": False} for row in rows]
        upsert(session, GhAccount, rows, ["id"])


def mark_account_gone(session: Session, login: str) -> None:
    session.execute(update(GhAccount).where(GhAccount.login_key == login.lower()).values(gone=True))


def save_repos(
    session: Session, rows: Iterable[dict[str, Any]], today: dt.date, *, tracked_because: str | None
) -> None:
    """Upsert repositories seen today (listing, search or detail). Counts are written by `save_snapshots`.

    `tracked_because` keeps the strongest reason seen so far: registry > org > search."""
    rows = _unique(rows)
    if not rows:
        return
    ids = [row["id"] for row in rows]
    existing = {
        repo_id: (name, because)
        for repo_id, name, because in session.execute(
            select(GhRepo.id, GhRepo.full_name, GhRepo.tracked_because).where(GhRepo.id.in_(ids))
        ).all()
    }
    if tracked_because == "search":  # GitHub's search index lags behind renames: keep the name we know
        rows = [
            {**row, "full_name": existing[row["id"]][0]} if row["id"] in existing else row for row in rows
        ]
    _record_renames(session, "gh_repo", {k: v[0] for k, v in existing.items()}, rows, "full_name", today)
    out = []
    for row in rows:
        before = existing.get(row["id"], (None, None))[1]
        because = tracked_because
        if before and TRACKING_RANK.get(before, 0) >= TRACKING_RANK.get(because or "", 0):
            because = before
        out.append(
            {**row, "tracked_because": because, "first_seen_on": today, "last_seen_on": today, "gone": False}
        )
    upsert(session, GhRepo, out, ["id"], insert_only=["first_seen_on"])


def save_snapshots(session: Session, counts: dict[int, dict[str, int | None]], today: dt.date) -> None:
    """Today's counts: inline on `gh_repos` (with `metrics_on`) and one `gh_repo_snapshots` row per repo."""
    for repo_id, values in counts.items():
        session.execute(update(GhRepo).where(GhRepo.id == repo_id).values(**values, metrics_on=today))
    upsert(
        session,
        GhRepoSnapshot,
        [{"repo_id": repo_id, "captured_on": today, **values} for repo_id, values in counts.items()],
        ["repo_id", "captured_on"],
    )


def mark_repo_gone(session: Session, repo_id: int) -> None:
    session.execute(update(GhRepo).where(GhRepo.id == repo_id).values(gone=True))


def save_contributors(session: Session, repo_id: int, items: list[tuple[int, int]], today: dt.date) -> None:
    """Replace the repository's contributors for `today` with (account id, contributions) pairs."""
    session.execute(
        delete(GhContributor).where(GhContributor.repo_id == repo_id, GhContributor.captured_on == today)
    )
    merged: dict[int, int] = {}
    for account_id, contributions in items:
        merged[account_id] = merged.get(account_id, 0) + contributions
    upsert(
        session,
        GhContributor,
        [
            {"repo_id": repo_id, "account_id": account_id, "captured_on": today, "contributions": count}
            for account_id, count in merged.items()
        ],
        ["repo_id", "account_id", "captured_on"],
    )
