"""Rows as pyarrow columns: `RepoRow`'s fields, one array each, for writing a first dump's models without a
Python object per value (tracker.sources.huggingface.dump_read builds them, store.insert_new_models writes
them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from tracker.sources.huggingface.parse import Parent, RepoRow

TIMESTAMP = pa.timestamp("us", tz="UTC")
# the columns of NewModels (RepoRow's fields but hub_id, created_at_raw and parents) and their types
TYPES = {
    "repo_id": pa.string(),
    "author": pa.string(),
    "created_at": TIMESTAMP,
    "created_at_unknown": pa.bool_(),
    "last_modified": TIMESTAMP,
    "license": pa.string(),
    "gated": pa.string(),
    "private": pa.bool_(),
    "disabled": pa.bool_(),
    "tags": pa.list_(pa.string()),
    "downloads_30d": pa.int64(),
    "downloads_all_time": pa.int64(),
    "likes": pa.int64(),
    "trending_score": pa.int64(),
    "pipeline_tag": pa.string(),
    "library_name": pa.string(),
    "digest": pa.int64(),
}


@dataclass
class NewModels:
    """Rows as columns: `columns` maps each name of TYPES to a pyarrow array, `parents` the rows that have any
    (by position) to their parents."""

    columns: dict[str, pa.Array]
    parents: dict[int, list[Parent]]

    @classmethod
    def of_rows(cls, rows: Sequence[RepoRow]) -> NewModels:
        """Rows already built, as columns."""
        columns = {name: pa.array([getattr(row, name) for row in rows], kind) for name, kind in TYPES.items()}
        return cls(columns, {i: row.parents for i, row in enumerate(rows) if row.parents})

    def __len__(self) -> int:
        return len(self.columns["repo_id"])

    def take(self, indices: Sequence[int]) -> NewModels:
        """The rows at `indices`, in that order."""
        if list(indices) == list(range(len(self))):
            return self
        kept = pa.array(indices, pa.int64())
        return NewModels(
            {name: column.take(kept) for name, column in self.columns.items()},
            {at: self.parents[index] for at, index in enumerate(indices) if index in self.parents},
        )


def namespaces(repo_ids: pa.Array) -> pa.Array:
    """The part of each repo id before its first `/` (null for an id without one), as `id.split("/", 1)[0]`."""
    return pc.if_else(
        pc.match_substring(repo_ids, "/"),
        pc.list_element(pc.split_pattern(repo_ids, "/", max_splits=1), 0),
        pa.scalar(None, pa.string()),
    )
