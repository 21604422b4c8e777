"""Rows as pyarrow columns: `RepoRow`'s fields, one array each, for writing a first dump's models without a
Python object per value (tracker.sources.huggingface.dump_read builds them, store.insert_new_models writes
them); and the placeholder key of a model known only from a dump."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from tracker.sources.huggingface.parse import Parent, RepoRow

TIMESTAMP = pa.timestamp("us", tz="UTC")
# a row's parents in listed order (RepoRow.parents)
PARENTS = pa.list_(
    pa.struct(
        [
            ("repo_id", pa.string()),
            ("relation", pa.string()),
            ("position", pa.int32()),
            ("source", pa.string()),
        ]
    )
)
# the columns of NewModels (RepoRow's fields but hub_id and created_at_raw) and their types
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
    "parents": PARENTS,
}
DUMP_PREFIX = "dump:"


def dump_hub_id(repo_id: str) -> str:
    """The placeholder key of a model known only from a dump (which has no `_id`): 40 characters at most."""
    return DUMP_PREFIX + hashlib.sha1(repo_id.encode()).hexdigest()[:35]


@dataclass
class NewModels:
    """Rows as columns: `columns` maps each name of TYPES to a pyarrow array."""

    columns: dict[str, pa.Array]

    @classmethod
    def of_rows(cls, rows: Sequence[RepoRow]) -> NewModels:
        """Rows already built, as columns."""
        columns = {
            name: pa.array([getattr(row, name) for row in rows], kind)
            for name, kind in TYPES.items()
            if name != "parents"
        }
        parents = parent_lists({i: row.parents for i, row in enumerate(rows) if row.parents}, len(rows))
        return cls({**columns, "parents": parents})

    def __len__(self) -> int:
        return len(self.columns["repo_id"])

    def with_parents(self) -> pa.Array:
        """Which rows have parents (booleans)."""
        return pc.fill_null(pc.greater(pc.list_value_length(self.columns["parents"]), 0), False)

    def filter(self, mask: pa.Array) -> NewModels:
        """The rows where `mask` is true."""
        return NewModels({name: column.filter(mask) for name, column in self.columns.items()})


def parent_lists(parents: dict[int, list[Parent]], rows: int) -> pa.Array:
    """A PARENTS column of `rows` rows from the parents of the rows that have any (by position)."""
    return pa.array(
        [
            [(p.repo_id, p.relation, p.position, p.source) for p in parents[i]] if i in parents else None
            for i in range(rows)
        ],
        PARENTS,
    )


def namespaces(repo_ids: pa.Array) -> pa.Array:
    """The part of each repo id before its first `/` (null for an id without one), as `id.split("/", 1)[0]`."""
    return pc.if_else(
        pc.match_substring(repo_ids, "/"),
        pc.list_element(pc.split_pattern(repo_ids, "/", max_splits=1), 0),
        pa.scalar(None, pa.string()),
    )
