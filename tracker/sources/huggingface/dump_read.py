"""Reading a dump's `models.parquet` in record batches, with column projection, whatever its schema that day.

No schema is published and it drifts between days: a missing column is NULL for that day, an unknown one is
never read, `createdAt`/`lastModified` are timestamps on some days and ISO strings on others, `gated` exists
only on some days. A row without an `id` is counted and skipped. Memory stays flat: one batch at a time.

A dump has no `_id`: rows come out with `hub_id = ""`, for the store to match on the repo id. Lineage comes
from the `base_model:` tags (as the API collector parses them) and from `baseModels` (source `dump`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracker.sources.huggingface.columns import TIMESTAMP, NewModels, dump_hub_id, namespaces
from tracker.sources.huggingface.dump_lineage import parents_column, row_parents
from tracker.sources.huggingface.parse import (
    PLACEHOLDER_DATETIME,
    MalformedItem,
    Parent,
    RepoRow,
    _license,
    parse_hub_time,
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
# the four counters: compared by value (a later dump updates them by a statement, tracker.sources.huggingface.
# later_dump), not digested; (stored column, dump column)
COUNTERS = (
    ("downloads_30d", "downloads"),
    ("downloads_all_time", "downloadsAllTime"),
    ("likes", "likes"),
    ("trending_score", "trendingScore"),
)
_DIGESTED = tuple(name for name in COLUMNS if name not in {column for _, column in COUNTERS})
BATCH_ROWS = 15_000  # two batches in memory at most (read_ahead): the peak stays under 500 MB at 2M
_MAX_COUNT = 2**63 - 1
_GATED_VALUES = ("false", "auto", "manual", "true")
# what `str.strip()` strips (`str.isspace`), for pyarrow's `utf8_trim`: its own whitespace differs
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


@dataclass
class DumpBatch:
    """One batch of a dump: its models' repo ids (distinct) and digests; their rows, or all of them as columns
    (`models`), built when asked for (a later dump builds only the rows of models that changed)."""

    ids: list[str]
    digests: list[int | None]
    skipped: int  # rows without a usable id (or with unreadable values)
    values: dict[str, pa.Array] | None = None  # the batch's columns, one row per id (None: `of` rows)
    _rows: list[RepoRow] | None = None
    _models: NewModels | None = None
    _hub_ids: list[str] | None = None

    @classmethod
    def of(cls, rows: Sequence[RepoRow], skipped: int = 0) -> DumpBatch:
        """A batch of rows already built (their digests as the rows carry them)."""
        return cls([row.repo_id for row in rows], [row.digest for row in rows], skipped, None, list(rows))

    @property
    def rows(self) -> list[RepoRow]:
        """Every row of the batch (built once)."""
        if self._rows is None:
            assert self.values is not None
            self._rows = _rows(self.values, self.ids, self.digests)
        return self._rows

    @property
    def models(self) -> NewModels:
        """Every row of the batch as columns (built once)."""
        if self._models is None:
            if self.values is None:
                self._models = NewModels.of_rows(self.rows)
            else:
                self._models = _columns(self.values, self.ids, self.digests)
        return self._models

    @property
    def hub_ids(self) -> list[str]:
        """The placeholder keys of the batch's models (`dump_hub_id`), computed once."""
        if self._hub_ids is None:
            self._hub_ids = [dump_hub_id(repo_id) for repo_id in self.ids]
        return self._hub_ids

    def counters(self) -> dict[str, pa.Array]:
        """The batch's four counters as int64 arrays, by stored name (`COUNTERS`), of a batch read from a file
        (rows built already carry no digest: no later dump finds them listed as stored)."""
        assert self.values is not None
        return _counters(self.values)

    def rows_at(self, indices: Sequence[int]) -> list[RepoRow]:
        """The rows at `indices` (built for those only, unless the batch's rows are built)."""
        if self._rows is not None or len(indices) == len(self.ids):
            return [self.rows[index] for index in indices]
        assert self.values is not None
        kept = pa.array(indices, pa.int64())
        values = {name: column.take(kept) for name, column in self.values.items()}
        return _rows(
            values, [self.ids[index] for index in indices], [self.digests[index] for index in indices]
        )


_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_MICROS = {"s": 1_000_000, "ms": 1_000, "us": 1}
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
    if isinstance(value, str) and value.lower() in _GATED_VALUES:
        return value.lower()
    return None


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


def _licenses(tags: pa.Array) -> dict[int, str]:
    """Each row's licence as `_license` reads it from its tags (the first `license:` tag with a value, up to 100
    characters), for a list<string> column."""
    flat = pc.list_flatten(tags)
    matches = pc.and_(pc.starts_with(flat, "license:"), pc.greater(pc.utf8_length(flat), len("license:")))
    rows = pc.filter(pc.list_parent_indices(tags), matches).to_pylist()
    values = pc.utf8_slice_codeunits(pc.filter(flat, matches), len("license:"), len("license:") + 100)
    return dict(zip(reversed(rows), reversed(values.to_pylist()), strict=True))  # the first of a row's wins


def _is_string_list(kind: pa.DataType) -> bool:
    return (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and _is_string(kind.value_type)


def _is_string(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _null(column: pa.Array) -> pa.Scalar:
    return pa.scalar(None, column.type)


def _text_array(column: pa.Array, limit: int) -> pa.Array:
    """`_text` of each value, as a string array; by pyarrow for a string column."""
    if not _is_string(column.type):
        return pa.array([_text(value, limit) for value in column.to_pylist()], pa.string())
    cut = pc.utf8_slice_codeunits(pc.utf8_trim(column, _WHITESPACE), 0, limit).cast(pa.string())
    return pc.if_else(pc.equal(pc.binary_length(cut), 0), _null(cut), cut)


def _texts(column: pa.Array, limit: int) -> list[str | None]:
    return _text_array(column, limit).to_pylist()  # type: ignore[no-any-return]


def _count_array(column: pa.Array) -> pa.Array:
    """`_count` of each value, as an int64 array; by pyarrow for an integer or float32/64 column."""
    kind = column.type
    if pa.types.is_integer(kind):
        keep = (
            pc.less_equal(column, pa.scalar(_MAX_COUNT, kind))
            if kind == pa.uint64()
            else pc.greater_equal(column, 0)
        )
    elif kind in (
        pa.float32(),
        pa.float64(),
    ):  # NaN compares false; no float lies between 2**63 - 1 and 2**63
        keep = pc.and_(pc.greater_equal(column, 0.0), pc.less(column, 2.0**63))
    else:
        return pa.array([_count(value) for value in column.to_pylist()], pa.int64())
    kept = pc.if_else(keep, column, _null(column))
    return pc.cast(kept, options=pc.CastOptions(target_type=pa.int64(), allow_float_truncate=True))


def _counts(column: pa.Array) -> list[int | None]:
    return _count_array(column).to_pylist()  # type: ignore[no-any-return]


def _times(column: pa.Array) -> list[dt.datetime | None]:
    """`_time` of each value; a timestamp column's from its microseconds since the epoch (a zone changes the
    display, not the instant), 4x faster than pyarrow's datetimes marked UTC one by one."""
    kind = column.type
    if not pa.types.is_timestamp(kind) or kind.unit == "ns":  # ns values come as pandas Timestamps, if any
        return [_time(value) for value in column.to_pylist()]
    micros = pc.multiply_checked(column.cast(pa.int64()), _MICROS[kind.unit]).to_pylist()
    return [None if value is None else _EPOCH + dt.timedelta(0, 0, value) for value in micros]


_MICROSECOND = dt.timedelta(microseconds=1)


def _micros(column: pa.Array) -> pa.Array:
    """`_time` of each value as microseconds since the epoch (an int64 array)."""
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.unit != "ns":
        return pc.multiply_checked(column.cast(pa.int64()), _MICROS[kind.unit])
    return pa.array(
        [None if value is None else (value - _EPOCH) // _MICROSECOND for value in _times(column)], pa.int64()
    )


def _gated_array(column: pa.Array) -> pa.Array:
    """`_gated` of each value, as a string array; by pyarrow for a boolean or string column (`ascii_lower`
    suffices: no non-ASCII character lowers to a letter of these words)."""
    kind = column.type
    if pa.types.is_boolean(kind):
        return pc.if_else(column, pa.scalar("true"), pa.scalar("false"))
    if not _is_string(kind):
        return pa.array([_gated(value) for value in column.to_pylist()], pa.string())
    lowered = pc.ascii_lower(column).cast(pa.string())
    keep = pc.is_in(lowered, value_set=pa.array(_GATED_VALUES, pa.string()))
    return pc.if_else(keep, lowered, _null(lowered))


def _gateds(column: pa.Array) -> list[str | None]:
    return _gated_array(column).to_pylist()  # type: ignore[no-any-return]


def _checked_tags(value: Any) -> list[str] | None:
    return value if isinstance(value, list) and all(isinstance(tag, str) for tag in value) else None


def _ids(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The ids stripped, and which are usable (a string of 1 to 300 characters once stripped)."""
    if _is_string(column.type):
        stripped = pc.utf8_trim(column, _WHITESPACE)
        length = pc.utf8_length(stripped)
        usable = pc.fill_null(pc.and_(pc.greater(length, 0), pc.less_equal(length, 300)), False)
        return stripped, usable
    # not strings: no value is a usable id (a dictionary of strings is decoded before)
    return pa.nulls(len(column), pa.string()), pa.array([False] * len(column))


def _batch_columns(batch: pa.RecordBatch) -> dict[str, pa.Array]:
    """Every column of COLUMNS, a missing one as nulls, dictionaries decoded."""
    columns = {}
    for name in COLUMNS:
        index = batch.schema.get_field_index(name)
        column = batch.column(index) if index >= 0 else pa.nulls(batch.num_rows)
        columns[name] = column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
    return columns


@dataclass
class _Lineage:
    """What a batch's tags and `baseModels` give each row (by position)."""

    tags: pa.Array  # list<string>: the column itself, or the lists that are lists of strings
    lineage_tags: dict[int, list[str]] | None  # None: found when asked for (a list<string> column)
    licenses: dict[int, str]
    base_models: pa.Array

    def parents(self, ids: Sequence[str]) -> dict[int, list[Parent]]:
        """The parents of the rows that have any, row by row."""
        lineage_tags = self.lineage_tags
        if lineage_tags is None:
            lineage_tags = _tags_with_prefix(self.tags, "base_model:")
        present = pc.is_valid(self.base_models)
        with_base = dict(
            zip(
                pc.indices_nonzero(present).to_pylist(),
                pc.filter(self.base_models, present).to_pylist(),
                strict=True,
            )
        )
        found = {}
        for i in sorted(lineage_tags.keys() | with_base.keys()):
            if parents := row_parents(ids[i], lineage_tags.get(i), with_base.get(i)):
                found[i] = parents
        return found

    def parents_column(self, ids: pa.Array) -> pa.Array:
        """The PARENTS column of the batch, for the whole batch at once."""
        return parents_column(ids, self.tags, self.base_models)


def _lineage(values: dict[str, pa.Array]) -> _Lineage:
    tag_column = values["tags"]
    if _is_string_list(tag_column.type):
        # a list<string> column's tags are not checked one by one, its licence tags are found by pyarrow for
        # the whole batch
        return _Lineage(tag_column, None, _licenses(tag_column), values["baseModels"])
    tag_lists = [None if value is None else _checked_tags(value) for value in tag_column.to_pylist()]
    lineage_tags = {i: value for i, value in enumerate(tag_lists) if value}
    licenses = {i: _license(value, {}) for i, value in lineage_tags.items()}
    return _Lineage(pa.array(tag_lists, pa.list_(pa.string())), lineage_tags, licenses, values["baseModels"])


_PLACEHOLDER_MICROS = (PLACEHOLDER_DATETIME - _EPOCH) // _MICROSECOND


def _columns(values: dict[str, pa.Array], ids: Sequence[str], digests: Sequence[int | None]) -> NewModels:
    """A batch's columns (`id` stripped and usable, one row per id) as the rows `_rows` builds, by pyarrow."""
    repo_ids = values["id"].cast(pa.string())
    lineage = _lineage(values)
    created = _micros(values["createdAt"])
    unknown = pc.fill_null(pc.equal(created, _PLACEHOLDER_MICROS), False)
    count = len(repo_ids)
    columns = {
        "repo_id": repo_ids,
        "author": pc.coalesce(_text_array(values["author"], 200), namespaces(repo_ids)),
        "created_at": pc.if_else(unknown, pa.scalar(None, pa.int64()), created).cast(TIMESTAMP),
        "created_at_unknown": unknown,
        "last_modified": _micros(values["lastModified"]).cast(TIMESTAMP),
        "license": pa.array([lineage.licenses.get(i) for i in range(count)], pa.string()),
        "gated": _gated_array(values["gated"]),
        "private": pa.nulls(count, pa.bool_()),  # the dumps do not say
        "disabled": pa.nulls(count, pa.bool_()),
        "tags": lineage.tags,
        **_counters(values),
        "pipeline_tag": _text_array(values["pipeline_tag"], 100),
        "library_name": _text_array(values["library_name"], 100),
        "digest": pa.array(digests, pa.int64()),
        "parents": lineage.parents_column(repo_ids),
    }
    return NewModels(columns)


def _counters(values: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """The four counters of a batch's columns, by stored name."""
    return {field: _count_array(values[name]) for field, name in COUNTERS}


def _rows(values: dict[str, pa.Array], ids: Sequence[str], digests: Sequence[int | None]) -> list[RepoRow]:
    """The rows of a batch's columns (`id` stripped and usable), one per id, with their digests."""
    lineage = _lineage(values)
    parents = lineage.parents(ids)
    converted = zip(
        ids,
        _texts(values["author"], 200),
        _times(values["createdAt"]),
        _times(values["lastModified"]),
        _gateds(values["gated"]),
        lineage.tags.to_pylist(),
        *(_counts(values[name]) for name in ("downloads", "downloadsAllTime", "likes", "trendingScore")),
        _texts(values["pipeline_tag"], 100),
        _texts(values["library_name"], 100),
        digests,
        strict=True,
    )
    rows: list[RepoRow] = []
    for i, (repo_id, author, created, modified, gated, tags, *counts, pipeline, library, digest) in enumerate(
        converted
    ):
        unknown = created == PLACEHOLDER_DATETIME
        author = author or (repo_id.split("/", 1)[0] if "/" in repo_id else None)
        # by position, in RepoRow's order (hub_id, ..., created_at, created_at_unknown, created_at_raw, ...,
        # private, disabled, tags, the four counts, ...): a third faster than by keyword, for every row
        rows.append(RepoRow(
            "", repo_id, author, None if unknown else created, unknown, created, modified, lineage.licenses.get(i),
            gated, None, None, tags, *counts, pipeline, library, parents.get(i, []), digest,
        ))  # fmt: skip
    return rows


_FIELD, _ITEM = "\x1e", "\x1f"  # separators of a row's values and of a list's items in what is digested


def _as_text(column: pa.Array) -> pa.Array:
    """A string per value that tells apart any two values `_rows` could read differently (nulls stay null)."""
    kind = column.type
    if pa.types.is_string(kind):
        return column
    if pa.types.is_timestamp(kind):  # as a number: formatting a time is slow (the unit is in the signature)
        return column.cast(pa.int64()).cast(pa.string())
    if pa.types.is_struct(kind):
        fields = [_as_text(pc.struct_field(column, index)) for index in range(kind.num_fields)]
        joined = pc.binary_join_element_wise(*fields, _ITEM, null_handling="replace", null_replacement="\x00")
        return pc.if_else(pc.is_valid(column), joined, pa.scalar(None, pa.string()))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        items = type(column).from_arrays(column.offsets, _as_text(column.values), mask=pc.is_null(column))
        lengths = pc.list_value_length(column).cast(pa.string())
        # a list with a null item joins to null: its length still tells it apart
        joined = pc.binary_join(items, _ITEM)
        return pc.binary_join_element_wise(
            lengths, joined, _FIELD, null_handling="replace", null_replacement=""
        )
    try:  # numbers, flags, dates, nulls, large strings
        return column.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # any other type: slowly, value by value
        return pa.array([None if value is None else repr(value) for value in column.to_pylist()], pa.string())


def _digests(values: dict[str, pa.Array]) -> list[int | None]:
    """For each row, a 64-bit digest of every value `_rows` reads but the four counters, and of the columns'
    types: two rows with the same digest give the same row but for their counters (a later dump updates only
    the counters of a stored row whose digest it matches)."""
    signature = pa.scalar(";".join(f"{name}:{values[name].type}" for name in _DIGESTED))
    joined = pc.binary_join_element_wise(
        signature,
        *(_as_text(values[name]) for name in _DIGESTED),
        _FIELD,
        null_handling="replace",
        null_replacement="\x00",
    )
    digest = hashlib.blake2b
    return [
        int.from_bytes(digest(value, digest_size=8).digest(), "little", signed=True)
        for value in joined.cast(pa.binary()).to_pylist()
    ]


def read_dump(path: Path, batch_rows: int = BATCH_ROWS, *, build: bool = True) -> Iterator[DumpBatch]:
    """The file's models one batch at a time (repeated repo ids within a batch kept once, the last), each with
    its digest. `build`: build the batch's columns while reading (a first dump's, `DumpBatch.models`)."""
    # pre_buffer=False: pyarrow would otherwise hold the column chunks of a whole row group (about 90 MB of
    # the peak at 2M models)
    file = pq.ParquetFile(path, pre_buffer=False)
    columns = [name for name in COLUMNS if name in set(file.schema_arrow.names)]
    for batch in file.iter_batches(batch_size=batch_rows, columns=columns):
        values = _batch_columns(batch)
        stripped, usable = _ids(values["id"])
        skipped = batch.num_rows - pc.sum(usable).as_py() if batch.num_rows else 0
        if skipped:
            values = {name: pc.filter(column, usable) for name, column in values.items()}
            stripped = pc.filter(stripped, usable)
        ids = stripped.to_pylist()
        last = {repo_id: index for index, repo_id in enumerate(ids)}
        if len(last) < len(ids):
            kept = pa.array(list(last.values()), pa.int64())
            values = {name: column.take(kept) for name, column in values.items()}
            stripped, ids = stripped.take(kept), list(last)
        values["id"] = stripped
        read = DumpBatch(ids, _digests(values), skipped, values)
        if build:  # built here, in the reading thread
            read.models  # noqa: B018
            read.hub_ids  # noqa: B018
        yield read


_END = object()


def read_ahead(path: Path, batch_rows: int = BATCH_ROWS, *, build: bool = True) -> Iterator[DumpBatch]:
    """`read_dump`'s batches, the next one read in a thread while the caller writes this one.

    Writing waits on PostgreSQL's server, which releases the GIL: reading the next batch meanwhile puts the
    machine's second core to work. The thread starts a batch only once the caller took the one before, so at
    most two batches are in memory. An error while reading is raised to the caller; a caller that stops
    early stops the thread."""
    ready: queue.Queue[object] = queue.Queue()
    taken = threading.Semaphore(1)  # the thread may read one batch ahead of the caller's
    done = threading.Event()

    def read() -> None:
        try:
            batches = read_dump(path, batch_rows, build=build)
            while True:
                while not taken.acquire(timeout=0.1):
                    if done.is_set():
                        return
                if done.is_set():
                    return
                batch = next(batches, _END)
                ready.put(batch)
                if batch is _END:
                    return
        except BaseException as error:  # handed to the caller, raised there
            ready.put(error)

    thread = threading.Thread(target=read, name="dump-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            taken.release()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        done.set()
        thread.join()
