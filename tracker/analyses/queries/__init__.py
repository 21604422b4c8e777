"""Named queries shipped with the package (one `.sql` file each) and the read-only runner behind `tracker query`.

A named query's file starts with `--` comment lines describing it; its name is the file name without `.sql`.
Statements run on a connection guarded by `tracker.db.readonly` (an authorizer on SQLite, a read-only
transaction under the `tracker_reader` role on PostgreSQL), so the database itself refuses writes; they go to
the driver as written (no bind-parameter parsing) and one statement at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy.exc import DBAPIError

from tracker.db.engine import Database
from tracker.db.readonly import ReadOnlyRefused, StatementTimeout, read_only_dbapi

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class QueryError(Exception):
    """A query could not run; the message is one line."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    sql: str


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False  # True when `max_rows` cut the result short

    def records(self) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts (decimals become floats, dates ISO strings)."""
        return [
            {column: json_value(value) for column, value in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]


def as_csv(result: QueryResult) -> str:
    """The rows as CSV with a header line (NULL as an empty field), as `tracker query --format csv` prints."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if value is None else json_value(value) for value in row])
    return buffer.getvalue()


def as_json(result: QueryResult) -> str:
    """The rows as a JSON array of objects, as `tracker query --format json` prints."""
    return json.dumps(result.records(), indent=2, ensure_ascii=False, default=str) + "\n"


def json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        # PostgreSQL sums integers as numeric: keep whole numbers whole, as SQLite does.
        return int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _parse(name: str, sql: str) -> NamedQuery:
    description = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        description.append(line[2:].strip())
    return NamedQuery(name=name, description=" ".join(part for part in description if part), sql=sql.strip())


def named_queries() -> list[NamedQuery]:
    """Every shipped named query, sorted by name."""
    folder = resources.files(__name__)
    return sorted(
        (
            _parse(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir()
            if entry.name.endswith(".sql")
        ),
        key=lambda query: query.name,
    )


def is_query_name(text: str) -> bool:
    """True when `text` looks like a query name rather than SQL."""
    return bool(_NAME.match(text.strip()))


def named_query(name: str) -> NamedQuery:
    for query in named_queries():
        if query.name == name:
            return query
    raise QueryError(f"no named query {name!r}; `tracker query --list` shows them")


def _one_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    message = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    lowered = message.lower()
    if "readonly database" in lowered or "read-only transaction" in lowered:
        return f"refused: queries are read-only ({message})"
    if "permission denied" in lowered or "must be superuser" in lowered or "must be a superuser" in lowered:
        return f"refused: queries are read-only ({message})"
    if "multiple commands" in lowered or "one statement at a time" in lowered:
        return "refused: one SQL statement at a time"
    return message


def run_query(
    database: Database, sql: str, *, timeout_seconds: float | None = None, max_rows: int | None = None
) -> QueryResult:
    """Run one SQL statement read-only and return its columns and at most `max_rows` rows.

    The database refuses every write (see `tracker.db.readonly`); a statement still running after
    `timeout_seconds` is stopped. Every failure raises `QueryError` with a one-line message.
    """
    if not sql.strip():
        raise QueryError("empty query")
    if max_rows is not None and max_rows < 0:
        raise QueryError("max_rows must be 0 or more")
    truncated = False
    try:
        with read_only_dbapi(database, timeout_seconds) as connection:
            cursor = connection.cursor()
            try:
                if database.backend == "postgresql":
                    # A prepared statement cannot hold several commands, so "COMMIT; DELETE ..." cannot
                    # escape the read-only transaction.
                    cursor.execute(sql, prepare=True)
                else:
                    cursor.execute(sql)  # sqlite3 runs one statement only
                if cursor.description is None:
                    columns, rows = [], []
                else:
                    columns = [column[0] for column in cursor.description]
                    if max_rows is None:
                        rows = [tuple(row) for row in cursor.fetchall()]
                    else:
                        rows = [tuple(row) for row in cursor.fetchmany(max_rows + 1)]
                        truncated = len(rows) > max_rows
                        rows = rows[:max_rows]
            finally:
                cursor.close()
    except (ReadOnlyRefused, StatementTimeout) as error:
        raise QueryError(str(error)) from None
    except DBAPIError as error:
        raise QueryError(_one_line(error)) from None
    except Exception as error:  # the raw driver raises its own classes
        module = type(error).__module__
        if module.startswith(("sqlite3", "psycopg")):
            raise QueryError(_one_line(error)) from None
        raise
    return QueryResult(columns=columns, rows=rows, truncated=truncated)
