"""Reading a dump's `models.parquet` in record batches, with column projection, whatever its schema that day.

No schema is published and it drifts between days: a missing column is NULL for that day, an unknown one is
never read, `createdAt`/`lastModified` are timestamps on some days and ISO strings on others, `gated` exists
only on some days. A row without an `id` is counted and skipped. Memory stays flat: one batch at a time.

A dump has no `_id`: rows come out with `hub_id = ""`, for the store to match on the repo id. Lineage comes
from the `base_model:` tags (as the API collector parses them) and from `baseModels` (source `dump`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracker.sources.huggingface.parse import (
    PLACEHOLDER_DATETIME,
    RELATIONS,
    UNKNOWN_RELATION,
    MalformedItem,
    Parent,
    RepoRow,
    _license,
    parse_hub_time,
    parse_lineage,
)

COLUMNS = (
    "id",
    "author",
    "createdAt",
    "lastModified",
    "downloads",
    "downloadsAllTime",
    "likes",
    "trendingScore",
    "pipeline_tag",
    "library_name",
    "tags",
    "baseModels",
    "gated",
)
BATCH_ROWS = 20_000
_MAX_COUNT = 2**63 - 1


@dataclass
class DumpBatch:
    rows: list[RepoRow]
    skipped: int  # rows without a usable id (or with unreadable values)


_UTC = dt.timezone.utc
_ZONE_UTC = ZoneInfo("UTC")  # what pyarrow gives timestamps with tz="UTC" (ZoneInfo instances are cached)


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        zone = value.tzinfo
        if zone is _UTC:
            return value
        if zone is None or zone is _ZONE_UTC:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)
    try:
        return parse_hub_time(value if isinstance(value, str) else str(value), "time")
    except MalformedItem:
        return None


def _count(value: Any) -> int | None:
    if type(value) is int:
        return value if 0 <= value <= _MAX_COUNT else None
    if isinstance(value, float) and value == value and 0 <= value <= _MAX_COUNT:
        return int(value)
    return None


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] or None


def _gated(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("false", "auto", "manual", "true"):
        return value.lower()
    return None


def _parents(repo_id: str, lineage_tags: list[str] | None, base_models: Any) -> list[Parent]:
    """`base_model:` tags first (as the API collector reads them), then parents only `baseModels` names.
    `lineage_tags`: the row's tags, or only those starting with `base_model:` (found for a whole batch)."""
    if not lineage_tags and not base_models:
        return []
    parents = parse_lineage(repo_id, lineage_tags, {}) if lineage_tags else []
    if not isinstance(base_models, dict) or not base_models.get("models"):
        return parents
    relation = base_models.get("relation")
    relation = relation if relation in RELATIONS else UNKNOWN_RELATION
    seen = {parent.repo_id.lower(): index for index, parent in enumerate(parents)}
    for model in base_models["models"] or ():
        name = model.get("id") if isinstance(model, dict) else None
        if not isinstance(name, str) or not name.strip() or name.lower() == repo_id.lower():
            continue
        name = name.strip()
        index = seen.get(name.lower())
        if index is None:
            seen[name.lower()] = len(parents)
            parents.append(Parent(name[:300], relation, len(parents), "dump"))
        elif parents[index].relation == UNKNOWN_RELATION and relation != UNKNOWN_RELATION:
            old = parents[index]
            parents[index] = Parent(old.repo_id, relation, old.position, old.source)
    return parents


def _tags_with_prefix(tags: pa.Array, prefix: str) -> dict[int, list[str]]:
    """For each row (by index) with tags starting with `prefix`, those tags in order, found by pyarrow for the
    whole batch (`tags` is a list<string> column)."""
    flat = pc.list_flatten(tags)
    matches = pc.starts_with(flat, prefix)
    found: dict[int, list[str]] = {}
    for row, tag in zip(
        pc.filter(pc.list_parent_indices(tags), matches).to_pylist(),
        pc.filter(flat, matches).to_pylist(),
        strict=True,
    ):
        found.setdefault(row, []).append(tag)
    return found


def _is_string_list(kind: pa.DataType) -> bool:
    return (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    )


def _column(batch: pa.RecordBatch, name: str) -> list[Any]:
    index = batch.schema.get_field_index(name)
    if index < 0:
        return [None] * batch.num_rows
    column = batch.column(index)
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        # The same instants as naive UTC: pyarrow converts zoned timestamps one by one in Python (3x slower);
        # `_time` reads a naive value as UTC.
        column = column.cast(pa.timestamp(column.type.unit))
    return column.to_pylist()


def read_dump(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[DumpBatch]:
    """The file's models as rows, one batch at a time (repeated repo ids within a batch kept once)."""
    file = pq.ParquetFile(path)
    columns = [name for name in COLUMNS if name in set(file.schema_arrow.names)]
    for batch in file.iter_batches(batch_size=batch_rows, columns=columns):
        values = {name: _column(batch, name) for name in COLUMNS}
        index = batch.schema.get_field_index("tags")
        tags_checked = index >= 0 and _is_string_list(batch.schema.field(index).type)
        # a list<string> column's lineage and licence tags are found by pyarrow for the whole batch; tags of
        # another type are checked and read row by row below
        lineage_tags = _tags_with_prefix(batch.column(index), "base_model:") if tags_checked else {}
        licenses = _tags_with_prefix(batch.column(index), "license:") if tags_checked else {}
        rows: dict[str, RepoRow] = {}
        skipped = 0
        for i in range(batch.num_rows):
            repo_id = values["id"][i]
            if not isinstance(repo_id, str) or not repo_id.strip() or len(repo_id.strip()) > 300:
                skipped += 1
                continue
            repo_id = repo_id.strip()
            tags = values["tags"][i]
            if (
                tags is not None
                and not tags_checked
                and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags))
            ):
                tags = None
            author = _text(values["author"][i], 200) or (repo_id.split("/", 1)[0] if "/" in repo_id else None)
            created = _time(values["createdAt"][i])
            rows[repo_id] = RepoRow(
                hub_id="",
                repo_id=repo_id,
                author=author,
                created_at=None if created == PLACEHOLDER_DATETIME else created,
                created_at_unknown=created == PLACEHOLDER_DATETIME,
                created_at_raw=created,
                last_modified=_time(values["lastModified"][i]),
                license=_license(licenses.get(i) if tags_checked else tags, {}),
                gated=_gated(values["gated"][i]),
                private=None,
                disabled=None,
                tags=tags,
                downloads_30d=_count(values["downloads"][i]),
                downloads_all_time=_count(values["downloadsAllTime"][i]),
                likes=_count(values["likes"][i]),
                trending_score=_count(values["trendingScore"][i]),
                pipeline_tag=_text(values["pipeline_tag"][i], 100),
                library_name=_text(values["library_name"][i], 100),
                parents=_parents(
                    repo_id, lineage_tags.get(i) if tags_checked else tags, values["baseModels"][i]
                ),
            )
        yield DumpBatch(list(rows.values()), skipped)
