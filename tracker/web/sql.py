"""The SQL page's one call into the read-only runner of `tracker query`, and its CSV and JSON downloads."""

from __future__ import annotations

import csv
import io
import json

from tracker.analyses.queries import QueryError, QueryResult, json_value, run_query
from tracker.db.engine import Database

__all__ = ["QueryError", "QueryResult", "run_statement", "to_csv", "to_json"]


def run_statement(database: Database, sql: str, *, timeout_seconds: float, max_rows: int) -> QueryResult:
    """Run one statement read-only, stopped after `timeout_seconds`, keeping at most `max_rows` rows."""
    return run_query(database, sql, timeout_seconds=timeout_seconds, max_rows=max_rows)


# --- downloads ----------------------------------------------------------------------------------------


def to_csv(answer: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(answer.columns)
    for row in answer.rows:
        writer.writerow(["" if value is None else json_value(value) for value in row])
    return buffer.getvalue()


def to_json(answer: QueryResult) -> str:
    return json.dumps(answer.records(), indent=2, ensure_ascii=False, default=str) + "\n"
