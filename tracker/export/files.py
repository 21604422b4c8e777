"""Writing each exported view as `DIR/<view>.parquet` and/or `DIR/<view>.csv`, streamed in batches.

Rows are read with a streaming cursor (a server-side cursor on PostgreSQL) `BATCH_ROWS` at a time and written
batch by batch, so memory stays flat whatever the number of models. Column types come from the values:
integers, floats, booleans, text, dates and timestamps (UTC); JSON arrays are written as JSON text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import text

from tracker.db.engine import Database
from tracker.db.models import HfDailyCountryTotal
from tracker.db.views import VIEWS
from tracker.export.card import write_card

FORMATS = ("parquet", "csv")
BATCH_ROWS = 10_000
DAILY_TOTALS = HfDailyCountryTotal.__tablename__
# Every documented view, then the exact daily roll-ups (a table, not a view).
EXPORTED = tuple(view.name for view in VIEWS) + (DAILY_TOTALS,)


class ExportError(Exception):
    """The export could not be written; the message is one line."""


@dataclass
class ExportedFile:
    name: str  # the view or table
    fmt: str
    path: Path
    rows: int


@dataclass
class ExportResult:
    out_dir: Path
    files: list[ExportedFile] = field(default_factory=list)
    schemas: dict[str, pa.Schema] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _arrow_type(values: Iterable[Any]) -> pa.DataType | None:
    kinds = {type(value) for value in values if value is not None}
    if not kinds:
        return None
    if kinds == {bool}:
        return pa.bool_()
    if kinds <= {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    if kinds == {dt.datetime}:
        return pa.timestamp("us", tz="UTC")
    if kinds == {dt.date}:
        return pa.date32()
    return pa.string()


def _schema(
    database: Database, name: str, columns: Sequence[str], first: Sequence[Sequence[Any]]
) -> pa.Schema:
    fields = []
    for index, column in enumerate(columns):
        kind = _arrow_type(row[index] for row in first)
        if kind is None:  # all NULL in the first batch: look for a value further on
            with database.read_only_session() as session:
                value = session.execute(
                    text(f'SELECT "{column}" FROM {name} WHERE "{column}" IS NOT NULL LIMIT 1')
                ).scalar()
            kind = _arrow_type([_plain(value)]) or pa.string()
        fields.append(pa.field(column, kind))
    return pa.schema(fields)


def _batch(schema: pa.Schema, rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    arrays = []
    for index, column in enumerate(schema):
        values = [row[index] for row in rows]
        if column.type == pa.string():
            values = [None if value is None else str(value) for value in values]
        elif column.type == pa.float64():
            values = [None if value is None else float(value) for value in values]
        arrays.append(pa.array(values, type=column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _write_one(
    database: Database, name: str, out_dir: Path, formats: Sequence[str], result: ExportResult
) -> None:
    temporary = {fmt: out_dir / f".{name}.{fmt}.tmp" for fmt in formats}
    writers: dict[str, Any] = {}
    rows_written = 0
    schema: pa.Schema | None = None
    try:
        with database.read_only_session() as session:
            connection = session.connection().execution_options(stream_results=True, yield_per=BATCH_ROWS)
            cursor = connection.execute(text(f"SELECT * FROM {name}"))
            columns = list(cursor.keys())
            for partition in cursor.partitions(BATCH_ROWS):
                rows = [tuple(_plain(value) for value in row) for row in partition]
                if schema is None:
                    schema = _schema(database, name, columns, rows)
                    writers = _open_writers(temporary, schema)
                batch = _batch(schema, rows)
                for writer in writers.values():
                    writer.write_batch(batch)
                rows_written += len(rows)
            if schema is None:  # an empty view: a file with its columns and no rows
                schema = pa.schema([pa.field(column, pa.string()) for column in columns])
                writers = _open_writers(temporary, schema)
        for writer in writers.values():
            writer.close()
        writers = {}
        for fmt, path in temporary.items():
            final = out_dir / f"{name}.{fmt}"
            os.replace(path, final)
            result.files.append(ExportedFile(name, fmt, final, rows_written))
        result.schemas[name] = schema
    finally:
        for writer in writers.values():
            writer.close()
        for path in temporary.values():
            path.unlink(missing_ok=True)


def _open_writers(paths: dict[str, Path], schema: pa.Schema) -> dict[str, Any]:
    writers: dict[str, Any] = {}
    for fmt, path in paths.items():
        if fmt == "parquet":
            writers[fmt] = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            writers[fmt] = pa_csv.CSVWriter(path, schema)
    return writers


def export(
    database: Database,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    progress: Callable[[str, int], None] | None = None,
) -> ExportResult:
    """Write every exported view in `formats` into `out_dir`, then the data card and datapackage.json."""
    wanted = [fmt.strip().lower() for fmt in formats if fmt.strip()]
    unknown = [fmt for fmt in wanted if fmt not in FORMATS]
    if unknown or not wanted:
        raise ExportError(f"unknown export format {', '.join(unknown) or '(none)'}: choose from parquet, csv")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot create {out_dir}: {error.strerror or error}") from None
    result = ExportResult(out_dir=out_dir)
    ordered = [fmt for fmt in FORMATS if fmt in wanted]
    for name in EXPORTED:
        try:
            _write_one(database, name, out_dir, ordered, result)
        except OSError as error:
            raise ExportError(f"cannot write {name} into {out_dir}: {error.strerror or error}") from None
        if progress is not None:
            progress(name, result.files[-1].rows)
    write_card(database, result)
    return result
