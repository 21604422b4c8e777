"""`read_dump` (checks and conversions by pyarrow for whole batches) reads drifting and hostile files exactly as
the per-value reference in tests/dump_reference.py does, field by field and type by type."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.dump_data import Variant, dump_days, models_of, parquet_bytes
from tests.dump_reference import reference_read_dump
from tracker.sources.huggingface.dump_read import DumpBatch, read_ahead, read_dump
from tracker.sources.huggingface.parse import Parent

UTC = dt.timezone.utc
_BIG = 2**63
_COUNTS: list[Any] = [0, 3, -1, 2**63 - 1, None, 7, -(2**62), 12, 5, 1, 0, 2]
_FLOATS: list[Any] = [
    1.5,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    float(_BIG),
    float(_BIG - 1024),
    1e30,
    -3.2,
    None,
    2.0,
    0.99,
]
_IDS: list[Any] = [
    "a/one", "  a/two  ", "", "   ", None, "x" * 301, " " + "y" * 300 + " ", "\x1c a/three \u3000", "a/one",
    "solo", "a/\u00e9t\u00e9", "a/two",
]  # fmt: skip
_TEXTS: list[Any] = [
    "  someone ", "", "   ", None, "\u00e9" * 250, "b" * 201, "x", "\x85 y \x1f", "z", " MixedCase ", "q", "w",
]  # fmt: skip
_TIMES: list[Any] = [
    "2024-05-05T05:05:05.000Z", "2022-03-02T23:29:04.000Z", "2024-01-01T10:00:00+02:00", " 2024-01-01 ",
    "garbage", "", None, "2024-02-30T00:00:00Z", "2023-07-01T12:00:00", "2019-01-01T00:00:00.123456Z",
    "2024-05-05T05:05:05.000Z", "20240505",
]  # fmt: skip
_GATED: list[Any] = [
    "false",
    "MANUAL",
    " auto",
    "Auto",
    "yes",
    None,
    "true",
    "TRUE",
    "",
    "manual",
    "auto",
    "false",
]
_TAGS: list[Any] = [
    ["license:mit", "base_model:finetune:a/two", "base_model:quantized:a/two"],
    ["license:", "license:" + "l" * 150, "base_model:a/one", "base_model:adapter:https://huggingface.co/b/c"],
    None,
    [],
    ["base_model:a/one", None, "license:apache-2.0"],
    ["base_model:merge:bad repo!", "base_model:x:y:z", "base_model:a/one"],
    ["LICENSE:mit", "license:gpl", "license:mit"],
    [None],
    ["base_model:solo", "base_model:finetune:solo"],
    ["base_model:a/one"],
    ["text"],
    ["license:cc-by-4.0"],
]
_BASE_MODELS: list[Any] = [
    {"relation": "finetune", "models": [{"_id": "0", "id": "a/two"}, {"_id": "1", "id": " c/d "}]},
    {"relation": "weird", "models": [{"_id": "0", "id": "a/one"}, {"_id": "1", "id": "A/ONE"}]},
    None,
    {"relation": "merge", "models": []},
    {"relation": None, "models": None},
    {"relation": "adapter", "models": [{"_id": "0", "id": None}, {"_id": "1", "id": "   "}, {"_id": "2", "id": "e/f"}]},
    None,
    {"relation": "quantized", "models": [{"_id": "0", "id": "g/" + "h" * 400}]},
    {"relation": "finetune", "models": [{"_id": "0", "id": "SOLO"}, {"_id": "1", "id": "i/j"}]},
    None,
    {"relation": "finetune", "models": [{"_id": "0", "id": "k/l"}]},
    None,
]  # fmt: skip
_BASE_TYPE = pa.struct(
    [("relation", pa.string()), ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())])))]
)


def _hostile(kind: str) -> pa.Table:
    """One of several hostile days: the same twelve rows in other types, or with columns missing."""
    stamps = [
        dt.datetime(2024, 7, 1, 22, 30, 5, 123000, tzinfo=UTC) + dt.timedelta(days=i) for i in range(12)
    ]
    stamps[1], stamps[6] = dt.datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC), None
    stamps[3], stamps[4] = dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    stamps[5] = dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    columns: dict[str, pa.Array] = {
        "id": pa.array(_IDS, pa.string()),
        "author": pa.array(_TEXTS, pa.string()),
        "createdAt": pa.array(_TIMES, pa.string()),
        "lastModified": pa.array(stamps, pa.timestamp("ms", tz="UTC")),
        "downloads": pa.array(_COUNTS, pa.int64()),
        "downloadsAllTime": pa.array(_FLOATS, pa.float64()),
        "likes": pa.array([c if c is None else c % 2**32 for c in _COUNTS], pa.uint32()),
        "trendingScore": pa.array(_FLOATS, pa.float32()),
        "pipeline_tag": pa.array([t and t * 10 for t in _TEXTS], pa.string()),
        "library_name": pa.array(_TEXTS, pa.large_string()),
        "tags": pa.array(_TAGS, pa.list_(pa.string())),
        "baseModels": pa.array(_BASE_MODELS, _BASE_TYPE),
        "gated": pa.array(_GATED, pa.string()),
    }
    if kind == "other types":
        columns.update(
            id=pa.array(_IDS, pa.large_string()).dictionary_encode(),
            author=pa.array(range(12), pa.int64()),
            createdAt=pa.array(stamps[:3] + [None] * 3 + stamps[6:], pa.timestamp("ns", tz="Europe/Paris")),
            lastModified=pa.array(_TIMES, pa.large_string()),
            downloads=pa.array([str(c) for c in _COUNTS], pa.string()),
            downloadsAllTime=pa.array([i % 2 == 0 for i in range(12)], pa.bool_()),
            likes=pa.array([c if c is None else c % 2**64 for c in _COUNTS], pa.uint64()),
            trendingScore=pa.array([None] * 12, pa.null()),
            pipeline_tag=pa.array(_TEXTS, pa.string()).dictionary_encode(),
            tags=pa.array([str(t) for t in _TAGS], pa.string()),
            baseModels=pa.array([str(b) if b else None for b in _BASE_MODELS], pa.string()),
            gated=pa.array([i % 3 == 0 if i % 4 else None for i in range(12)], pa.bool_()),
        )
    elif kind == "loose tags":
        columns.update(
            createdAt=pa.array([s and s.replace(tzinfo=None) for s in stamps], pa.timestamp("us")),
            downloadsAllTime=pa.array(stamps[:4] + [None] + stamps[5:], pa.timestamp("s", tz="+05:30")),
            lastModified=pa.array([s and s.date() for s in stamps], pa.date32()),
            downloads=pa.array(_COUNTS, pa.int64()),
            gated=pa.array(_GATED, pa.large_string()),
        )
        columns["tags"] = pa.array(
            [[1, 2], [3], None, [], [4], [], [], [], [], [], [], []], pa.large_list(pa.int64())
        )
    elif kind == "missing columns":
        columns = {name: columns[name] for name in ("id", "tags", "likes")}
    elif kind == "no ids":
        columns = {name: value for name, value in columns.items() if name != "id"}
    return pa.table(columns)


def _same(actual: Any, expected: Any) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True; an aware time equals any zone's)."""
    if isinstance(expected, list):
        return type(actual) is list and len(actual) == len(expected) and all(map(_same, actual, expected))
    if dataclasses.is_dataclass(expected):
        return type(actual) is type(expected) and all(
            _same(getattr(actual, f.name), getattr(expected, f.name)) for f in dataclasses.fields(expected)
        )
    if isinstance(expected, dt.datetime):
        return type(actual) is type(expected) and actual == expected and actual.tzinfo is expected.tzinfo
    return type(actual) is type(expected) and actual == expected


def _assert_columns_are_the_rows(batch: DumpBatch) -> None:
    """The batch as columns (how a first dump's models go in) holds the values of its rows, field by field."""
    columns, rows = batch.models.columns, batch.rows
    for name, column in columns.items():
        values = column.to_pylist()
        if name == "parents":  # the column's lists of structs, as the rows' Parent lists
            values = [[Parent(**item) for item in value] if value else [] for value in values]
        for row, value in zip(rows, values, strict=True):
            expected = getattr(row, name)
            if isinstance(expected, dt.datetime):  # pyarrow's datetimes are the same instants in UTC
                assert value == expected, (row.repo_id, name, value, expected)
            else:
                assert _same(value, expected), (row.repo_id, name, value, expected)


def _assert_read_as_reference(path: Path, batch_rows: int) -> None:
    new = list(read_dump(path, batch_rows=batch_rows))
    old = list(reference_read_dump(path, batch_rows=batch_rows))
    assert [batch.skipped for batch in new] == [batch.skipped for batch in old]
    assert [len(batch.rows) for batch in new] == [len(batch.rows) for batch in old]
    for new_batch, old_batch in zip(new, old, strict=True):
        _assert_columns_are_the_rows(new_batch)
        for actual, expected in zip(new_batch.rows, old_batch.rows, strict=True):
            assert actual.digest is not None and expected.digest is None  # the reference computes none
            for field in dataclasses.fields(expected):
                if field.name == "digest":
                    continue
                assert _same(getattr(actual, field.name), getattr(expected, field.name)), (
                    expected.repo_id,
                    field.name,
                    getattr(actual, field.name),
                    getattr(expected, field.name),
                )


@pytest.mark.parametrize(
    "kind", ["strings and floats", "other types", "loose tags", "missing columns", "no ids"]
)
@pytest.mark.parametrize("batch_rows", [5, 12, 1000])
def test_hostile_files_read_as_the_per_value_reference(tmp_path: Path, kind: str, batch_rows: int) -> None:
    path = tmp_path / "models.parquet"
    pq.write_table(_hostile(kind), path, row_group_size=7)
    _assert_read_as_reference(path, batch_rows)


def test_the_hostile_values_read_as_documented(tmp_path: Path) -> None:
    path = tmp_path / "models.parquet"
    pq.write_table(_hostile("strings and floats"), path)
    (batch,) = read_dump(path)
    rows = {row.repo_id: row for row in batch.rows}
    assert batch.skipped == 4 and list(rows) == [
        "a/one",
        "a/two",
        "y" * 300,
        "a/three",
        "solo",
        "a/\u00e9t\u00e9",
    ]
    one, two, long, three = rows["a/one"], rows["a/two"], rows["y" * 300], rows["a/three"]
    assert one.author == "z" and one.created_at == dt.datetime(2023, 7, 1, 12, tzinfo=UTC)  # the last a/one
    assert (one.downloads_30d, one.downloads_all_time, one.likes, one.trending_score) == (5, None, 5, None)
    assert [(p.repo_id, p.relation, p.source) for p in one.parents] == [
        ("solo", "finetune", "tag"),
        ("i/j", "finetune", "dump"),
    ]
    assert (two.created_at, two.downloads_all_time, two.trending_score) == (
        dt.datetime(2024, 5, 5, tzinfo=UTC),
        0,
        0,
    )
    assert two.gated == "false" and two.license == "cc-by-4.0"
    assert (long.downloads_30d, long.downloads_all_time, long.likes, long.trending_score) == (
        None,
        _BIG - 1024,
        0,
        None,
    )
    assert long.license == "gpl" and long.gated == "true" and long.created_at is None
    assert three.author == "y" and three.created_at is None and three.license is None
    assert three.parents[0].repo_id == "g/" + "h" * 298 and rows["solo"].author == "MixedCase"


@pytest.mark.parametrize("batch_rows", [7, 1000])
def test_the_served_days_read_as_the_per_value_reference(tmp_path: Path, batch_rows: int) -> None:
    path = tmp_path / "models.parquet"
    for served in dump_days():
        path.write_bytes(served.day.content)
        _assert_read_as_reference(path, batch_rows)
    path.write_bytes(parquet_bytes(models_of(2), Variant(created_as_text=True, rows_without_id=3)))
    _assert_read_as_reference(path, batch_rows)


def _reader_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "dump-reader"]


def test_reading_ahead_gives_the_same_batches_and_stops_with_its_caller(tmp_path: Path) -> None:
    """`read_ahead` (the next batch read in a thread) yields `read_dump`'s batches in order; a caller that stops
    after one batch, or fails, leaves no reading thread behind."""
    path = tmp_path / "models.parquet"
    path.write_bytes(parquet_bytes(models_of(1, count=50), Variant()))
    ahead = [[row.repo_id for row in batch.rows] for batch in read_ahead(path, batch_rows=7)]
    assert ahead == [[row.repo_id for row in batch.rows] for batch in read_dump(path, batch_rows=7)]
    assert len(ahead) == 8
    reading = read_ahead(path, batch_rows=7)
    first = next(reading)
    reading.close()
    assert first.rows and not _reader_threads()
    with pytest.raises(RuntimeError, match="the writer failed"):
        for _ in read_ahead(path, batch_rows=7):
            raise RuntimeError("the writer failed")
    assert not _reader_threads()


def test_an_error_while_reading_ahead_reaches_the_caller(tmp_path: Path) -> None:
    """A file that cannot be read raises in the caller, as `read_dump` raises, after the batches before it."""
    path = tmp_path / "models.parquet"
    path.write_bytes(b"PAR1 this is not a parquet file PAR1")
    with pytest.raises(pa.ArrowInvalid) as direct:
        list(read_dump(path))
    with pytest.raises(pa.ArrowInvalid) as ahead:
        list(read_ahead(path))
    assert str(ahead.value) == str(direct.value)
    assert not _reader_threads()


def test_reading_ahead_reads_one_batch_ahead_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """While the caller holds a batch, the thread reads the next one and no more (memory: two batches)."""
    from tracker.sources.huggingface import dump_read

    produced: list[int] = []

    def counting(path: Path, batch_rows: int, build: bool = True) -> Iterator[dump_read.DumpBatch]:
        for number in range(10):
            produced.append(number)
            yield dump_read.DumpBatch.of([])

    monkeypatch.setattr(dump_read, "read_dump", counting)
    reading = read_ahead(tmp_path / "unused.parquet")
    next(reading)
    time.sleep(0.3)  # time for a thread that read further ahead to show it
    assert produced == [0, 1]
    next(reading)
    time.sleep(0.3)
    assert produced == [0, 1, 2]
    assert len(list(reading)) == 8


def _digests_of(path: Path, batch_rows: int = 1000) -> dict[str, tuple[int | None, tuple[Any, ...]]]:
    """Each model's digest and counters, as a later dump reads them."""
    found = {}
    for batch in read_dump(path, batch_rows=batch_rows, build=False):
        counters = list(zip(*(column.to_pylist() for column in batch.counters().values()), strict=True))
        found.update(zip(batch.ids, zip(batch.digests, counters, strict=True), strict=True))
    return found


COUNTER_CHANGES = ("downloads", "downloadsAllTime", "likes", "trendingScore")


@pytest.mark.parametrize(
    "change",
    ["author", "createdAt", "lastModified", *COUNTER_CHANGES, "pipeline_tag", "library_name", "tags",
     "tag order", "no tags", "baseModels", "relation", "gated", "a count's type"],
)  # fmt: skip
def test_a_models_digest_moves_with_any_value_it_is_read_from_but_its_counters(
    tmp_path: Path, change: str
) -> None:
    """A later dump updates only the counters of a model whose digest the stored row carries: a change of any
    other value (or of a column's type) read into the row moves it; a change of a counter moves only the counter
    read (a count's type alone moves nothing); a model listed as it was keeps both, whatever its batch."""
    listed = models_of(3, count=30)
    changed = [dict(row) for row in listed]
    row = changed[3]  # a derivative: it has base models
    edits: dict[str, Any] = {
        "author": lambda: row.update(author="other"),
        "createdAt": lambda: row.update(createdAt=row["createdAt"] + dt.timedelta(milliseconds=1)),
        "lastModified": lambda: row.update(lastModified=row["lastModified"] + dt.timedelta(seconds=1)),
        "downloads": lambda: row.update(downloads=row["downloads"] + 1),
        "downloadsAllTime": lambda: row.update(downloadsAllTime=row["downloadsAllTime"] + 1),
        "likes": lambda: row.update(likes=row["likes"] + 1),
        "trendingScore": lambda: row.update(trendingScore=row["trendingScore"] + 1),
        "pipeline_tag": lambda: row.update(pipeline_tag="text-to-image"),
        "library_name": lambda: row.update(library_name=None),
        "tags": lambda: row.update(tags=[*row["tags"], "new"]),
        "tag order": lambda: row.update(tags=row["tags"][::-1]),
        "no tags": lambda: row.update(tags=[]),
        "baseModels": lambda: row.update(
            baseModels={**row["baseModels"], "models": [{"_id": "y", "id": "a/b"}]}
        ),
        "relation": lambda: row.update(baseModels={**row["baseModels"], "relation": "merge"}),
        "gated": lambda: row.update(gated="auto"),
    }
    before, after = tmp_path / "before.parquet", tmp_path / "after.parquet"
    before.write_bytes(parquet_bytes(listed, Variant()))
    if change == "a count's type":  # the same numbers as floats
        table = pq.read_table(before)
        index = table.schema.get_field_index("likes")
        pq.write_table(table.set_column(index, "likes", table["likes"].cast(pa.float64())), after)
        moved = set()
    else:
        edits[change]()
        after.write_bytes(parquet_bytes(changed[::-1], Variant()))  # other batches, other positions
        moved = {row["id"]}
    old, new = _digests_of(before), _digests_of(after, batch_rows=7)
    assert old.keys() == new.keys() and None not in {digest for digest, _ in old.values()}
    digest_moved = {repo_id for repo_id in old if old[repo_id][0] != new[repo_id][0]}
    counters_moved = {repo_id for repo_id in old if old[repo_id][1] != new[repo_id][1]}
    if change in COUNTER_CHANGES:
        assert (digest_moved, counters_moved) == (set(), moved)
    else:
        assert (digest_moved, counters_moved) == (moved, set())
