"""The SQL page's one call into the read-only runner of `tracker query`, and its CSV and JSON downloads."""

from __future__ import annotations

import csv
import inspect
import io
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from tracker.analyses.queries import QueryError, json_value, run_query
from tracker.db.engine import Database

__all__ = ["QueryError", "SqlAnswer", "run_statement", "to_csv", "to_json"]


@dataclass(frozen=True)
class SqlAnswer:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows than the row cap; only the first `max_rows` are here

    def records(self) -> list[dict[str, Any]]:
        return [{c: json_value(v) for c, v in zip(self.columns, row, strict=True)} for row in self.rows]


def run_statement(database: Database, sql: str, *, timeout_seconds: float, max_rows: int) -> SqlAnswer:
    """Run one statement read-only, stopped after `timeout_seconds`, keeping at most `max_rows` rows."""
    if _RUNNER_BOUNDS:
        result = run_query(database, sql, timeout_seconds=timeout_seconds, max_rows=max_rows)
        return SqlAnswer(list(result.columns), list(result.rows), bool(getattr(result, "truncated", False)))
    return _bounded_legacy_run(database, sql, timeout_seconds, max_rows)


# --- until run_query enforces the timeout and row cap itself (delete this part once it does) -------------

_RUNNER_BOUNDS = "timeout_seconds" in inspect.signature(run_query).parameters
_deadline = threading.local()
_bounded_engines: set[int] = set()


def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    seconds = getattr(_deadline, "seconds", None)
    if isinstance(dbapi_connection, sqlite3.Connection):
        if seconds is None:
            dbapi_connection.set_progress_handler(None, 0)
        else:
            ends = time.monotonic() + seconds
            dbapi_connection.set_progress_handler(lambda: int(time.monotonic() > ends), 10_000)
    else:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int((seconds or 0) * 1000)}")
        dbapi_connection.commit()


def _bounded_legacy_run(database: Database, sql: str, timeout_seconds: float, max_rows: int) -> SqlAnswer:
    if id(database.engine) not in _bounded_engines:
        event.listen(database.engine, "checkout", _on_checkout)
        _bounded_engines.add(id(database.engine))
    _deadline.seconds = timeout_seconds
    try:
        result = run_query(database, sql)
    except QueryError as error:
        text = str(error).lower()
        if "interrupted" in text or "statement timeout" in text or "canceling statement" in text:
            raise QueryError(f"stopped by the statement timeout ({timeout_seconds:g} s)") from None
        raise
    finally:
        _deadline.seconds = None
    return SqlAnswer(list(result.columns), list(result.rows[:max_rows]), len(result.rows) > max_rows)


# --- downloads ----------------------------------------------------------------------------------------


def to_csv(answer: SqlAnswer) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(answer.columns)
    for row in answer.rows:
        writer.writerow(["" if value is None else json_value(value) for value in row])
    return buffer.getvalue()


def to_json(answer: SqlAnswer) -> str:
    return json.dumps(answer.records(), indent=2, ensure_ascii=False, default=str) + "\n"
