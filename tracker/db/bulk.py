"""Bulk reads and writes of many rows in one statement, on the caller's connection and transaction.

SQLAlchemy's executemany converts every value through its types and the ORM's bulk paths slower still; at
hundreds of thousands of rows that dominates. These helpers convert through the column types once per
value with the types' own bind processors (so stored values are exactly what SQLAlchemy would store) and
hand the rows to the driver: `COPY` on PostgreSQL, `executemany` on SQLite. Keys for lookups travel as one
array (`= ANY(...)`) or one JSON array (`json_each`), never as thousands of parameters. Values already in the
driver's form (the Hub store's edges, a dump's staging tables) go in by binary `COPY` (`copy_values`);
columns built by pyarrow (a first dump's models) as CSV written by pyarrow (`insert_columns`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Table, text
from sqlalchemy.exc import DBAPIError


def rows_with_keys(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    key: str,
    values: Sequence[Any],
    **equal: Any,
) -> list[Any]:
    """Rows of `table` (only `columns`) whose `key` is one of `values` and whose other columns equal `equal`."""
    if not values:
        return []
    where = " AND ".join(f"{name} = :{name}" for name in equal)
    if connection.dialect.name == "postgresql":
        condition, keys = f"{key} = ANY(:keys)", list(values)
    else:
        condition, keys = f"{key} IN (SELECT value FROM json_each(:keys))", json.dumps(list(values))
    statement = f"SELECT {', '.join(columns)} FROM {table.name} WHERE {condition}" + (
        f" AND {where}" if where else ""
    )
    return connection.execute(text(statement), {"keys": keys, **equal}).all()


def read_rows(connection: Connection, query: str, size: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `query` (SQL without parameters) in lists of `size`, as the driver gives them: on PostgreSQL
    from a server-side cursor, so memory holds one list at a time. No SQLAlchemy row objects: at two million
    rows they took three times as long as the driver's."""
    driver = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="tracker_read_rows") if postgres else driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(query)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert `rows` (values in the order of `columns`, as Python values) into `table`."""
    processors = [
        (index, processor)
        for index, name in enumerate(columns)
        if (processor := table.c[name].type.bind_processor(connection.dialect)) is not None
    ]

    def convert(row: Sequence[Any]) -> Sequence[Any]:
        values = list(row)
        for index, processor in processors:
            if values[index] is not None:
                values[index] = processor(values[index])
        return values

    converted = map(convert, rows) if processors else rows
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in converted:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in columns)
            cursor.executemany(
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", converted
            )
    finally:
        cursor.close()


def copy_values(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert `rows` of values the driver takes as they are into `table` (any table, temporary ones too):
    binary `COPY` on PostgreSQL, where `types` are the columns' type names, `executemany` on SQLite.

    psycopg's binary form wraps an integer too large for its column around: only for values that fit."""
    if not rows:
        return
    listed = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({listed}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(types))
            for values in rows:
                copy.write_row(values)
        return
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({listed}) VALUES ({', '.join('?' * len(columns))})", list(rows)
    )


def _naive_utc(column: pa.Array) -> pa.Array:
    """Timestamps as microseconds without a zone (UTC), as SQLAlchemy's UTC type stores them."""
    return column.cast(pa.timestamp("us")) if pa.types.is_timestamp(column.type) else column


def _sqlite_values(column: pa.Array) -> list[Any]:
    """A column as SQLAlchemy's SQLite types store it: times as `YYYY-MM-DD HH:MM:SS.ffffff`, dates as ISO
    text, flags as 0/1."""
    kind = column.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        column = _naive_utc(column).cast(pa.string())
    elif pa.types.is_boolean(kind):
        column = column.cast(pa.int8())
    return column.to_pylist()  # type: ignore[no-any-return]


_SQLITE_ROWS = 2_000  # rows converted to Python values at a time for SQLite


def insert_columns(connection: Connection, table: str, columns: Mapping[str, pa.Array]) -> None:
    """Insert the rows of pyarrow `columns` (name -> array, all of one length) into `table`: on PostgreSQL as
    CSV that pyarrow writes (no Python object per value), `COPY ... (FORMAT csv)`; on SQLite by
    `executemany`. Values out of their column's range get the server's error, never another value."""
    names = list(columns)
    if not names or not len(columns[names[0]]):
        return
    listed = ", ".join(names)
    if connection.dialect.name == "postgresql":
        import psycopg

        buffer = io.BytesIO()
        batch = pa.record_batch([_naive_utc(column) for column in columns.values()], names=names)
        pa_csv.write_csv(batch, buffer, pa_csv.WriteOptions(include_header=False))
        try:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table} ({listed}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getbuffer())
        except psycopg.Error as error:  # raised by the driver directly: wrapped as SQLAlchemy would
            raise DBAPIError.instance(None, None, error, psycopg.Error) from error
        return
    statement = f"INSERT INTO {table} ({listed}) VALUES ({', '.join('?' * len(names))})"
    count = len(columns[names[0]])
    for start in range(0, count, _SQLITE_ROWS):  # a slice at a time: the Python values are the memory
        values = [_sqlite_values(column.slice(start, _SQLITE_ROWS)) for column in columns.values()]
        connection.exec_driver_sql(statement, list(zip(*values, strict=True)))


def lower(column: pa.Array) -> pa.Array:
    """`str.lower` of each string, by pyarrow when the strings are ASCII (its Unicode lowering differs)."""
    if pc.all(pc.string_is_ascii(column)).as_py() is not False:
        return pc.ascii_lower(column)
    return pa.array([None if value is None else value.lower() for value in column.to_pylist()], pa.string())
