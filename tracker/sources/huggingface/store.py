"""Writing parsed Hub items: one batch of upserts per page, on SQLite and PostgreSQL alike.

Rows are keyed by the Hub's `_id`, so a renamed repo keeps its row (its old name goes to `former_names`).
Latest metrics are written inline (`metrics_on` = the run date) and as the day's snapshot; a second run on
the same day updates that snapshot instead of adding one. Base-model edges of every stored model are
replaced by the ones just parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.db.models import (
    CollectorState,
    FormerName,
    HfDataset,
    HfDatasetSnapshot,
    HfModel,
    HfModelParent,
    HfModelSnapshot,
    utcnow,
)
from tracker.sources.huggingface.parse import RepoRow

_METRICS = ("downloads_30d", "downloads_all_time", "likes", "trending_score")
_SHARED = (
    "repo_id",
    "author",
    "author_key",
    "created_at",
    "created_at_unknown",
    "last_modified",
    "license",
    "gated",
    "private",
    "disabled",
    "tags",
    *_METRICS,
    "metrics_on",
    "last_seen_on",
)
_MODEL_ONLY = ("pipeline_tag", "library_name")


def _insert(session: Session, table: Table) -> Any:
    """`INSERT` with the back end's `ON CONFLICT` support."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _upsert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str], update: Sequence[str]
) -> None:
    if not rows:
        return
    statement = _insert(session, table)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    session.execute(statement, list(rows))


def _item_values(row: RepoRow, run_date: dt.date, model: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "hub_id": row.hub_id,
        "repo_id": row.repo_id,
        "author": row.author,
        "author_key": row.author.lower() if row.author else None,
        "created_at": row.created_at,
        "created_at_unknown": row.created_at_unknown,
        "last_modified": row.last_modified,
        "license": row.license,
        "gated": row.gated,
        "private": row.private,
        "disabled": row.disabled,
        "tags": row.tags,
        "downloads_30d": row.downloads_30d,
        "downloads_all_time": row.downloads_all_time,
        "likes": row.likes,
        "trending_score": row.trending_score,
        "metrics_on": run_date,
        "first_seen_on": run_date,
        "last_seen_on": run_date,
    }
    if model:
        values["pipeline_tag"] = row.pipeline_tag
        values["library_name"] = row.library_name
    return values


def store_repos(session: Session, kind: str, rows: Sequence[RepoRow], run_date: dt.date) -> int:
    """Upsert one page of models or datasets (distinct `_id`s), their snapshots, names and edges."""
    if not rows:
        return 0
    model = kind == "models"
    item, snapshot = (HfModel, HfModelSnapshot) if model else (HfDataset, HfDatasetSnapshot)
    entity = "hf_model" if model else "hf_dataset"
    hub_ids = [row.hub_id for row in rows]

    known = dict(session.execute(select(item.hub_id, item.repo_id).where(item.hub_id.in_(hub_ids))).all())
    renamed = [
        {"entity": entity, "entity_id": row.hub_id, "name": known[row.hub_id], "replaced_on": run_date}
        for row in rows
        if row.hub_id in known and known[row.hub_id] != row.repo_id
    ]
    _upsert(session, FormerName.__table__, renamed, ("entity", "entity_id", "name"), ())

    columns = _SHARED + (_MODEL_ONLY if model else ())
    _upsert(
        session,
        item.__table__,
        [_item_values(row, run_date, model) for row in rows],
        ("hub_id",),
        columns,
    )
    ids = dict(session.execute(select(item.hub_id, item.id).where(item.hub_id.in_(hub_ids))).all())

    key = "model_id" if model else "dataset_id"
    _upsert(
        session,
        snapshot.__table__,
        [
            {key: ids[row.hub_id], "captured_on": run_date, **{m: getattr(row, m) for m in _METRICS}}
            for row in rows
        ],
        (key, "captured_on"),
        _METRICS,
    )
    if model:
        session.execute(delete(HfModelParent).where(HfModelParent.child_id.in_(list(ids.values()))))
        edges = [
            {
                "child_id": ids[row.hub_id],
                "parent_repo_id": parent.repo_id,
                "relation": parent.relation,
                "position": parent.position,
                "source": parent.source,
            }
            for row in rows
            for parent in row.parents
        ]
        if edges:
            session.execute(HfModelParent.__table__.insert(), edges)
    return len(rows)


def read_state(session: Session, key: str) -> dict[str, Any] | None:
    """A value from `collector_state`."""
    value = session.get(CollectorState, key)
    return dict(value.value) if value is not None else None


def write_state(session: Session, key: str, value: dict[str, Any]) -> None:
    """Set a `collector_state` value inside the caller's transaction."""
    _upsert(
        session,
        CollectorState.__table__,
        [{"key": key, "value": value, "updated_at": utcnow()}],
        ("key",),
        ("value", "updated_at"),
    )
