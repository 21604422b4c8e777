"""Bulk reads and writes of many rows in one statement, on the caller's connection and transaction.

SQLAlchemy's executemany converts every value through its types and the ORM's bulk paths slower still; at
hundreds of thousands of rows that dominates. These helpers convert through the column types once per
value with the types' own bind processors (so stored values are exactly what SQLAlchemy would store) and
hand the rows to the driver: `COPY` on PostgreSQL, `executemany` on SQLite. Keys for lookups travel as one
array (`= ANY(...)`) or one JSON array (`json_each`), never as thousands of parameters. Values already in the
driver's form (the Hub store's edges, a dump's staging tables) go in by binary `COPY` (`copy_values`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, text


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
