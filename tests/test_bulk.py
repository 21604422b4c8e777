"""Bulk writes of many rows (tracker.db.bulk), on both back ends."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy import text

from tracker.db.bulk import insert_columns, read_rows
from tracker.db.engine import Database


def test_columns_go_in_whole_and_come_back_in_lists_of_the_size_asked(database: Database) -> None:
    """insert_columns writes every row (on SQLite a slice at a time, so more rows than one slice), values and
    nulls as given; read_rows gives them back in lists of at most `size` rows."""
    count = 4_567
    names = [f"org/model-{i}" for i in range(count)]
    numbers = [None if i % 7 == 0 else i * 1_000_003 for i in range(count)]
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i % 400) for i in range(count)]
    with database.session() as session:
        connection = session.connection()
        connection.execute(
            text("CREATE TEMPORARY TABLE bulk_probe (name VARCHAR(40), number BIGINT, day DATE)")
        )
        insert_columns(
            connection,
            "bulk_probe",
            {
                "name": pa.array(names, pa.string()),
                "number": pa.array(numbers, pa.int64()),
                "day": pa.array(days, pa.date32()),
            },
        )
        lists = list(read_rows(connection, "SELECT name, number, day FROM bulk_probe ORDER BY number", 1_000))
    assert [len(rows) for rows in lists] == [1_000] * 4 + [567]
    found = sorted((name, number, str(day)[:10]) for rows in lists for name, number, day in rows)
    assert found == sorted(zip(names, numbers, (str(day) for day in days), strict=True))
