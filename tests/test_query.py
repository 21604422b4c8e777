"""`tracker query`: read-only on both back ends, named queries, and every output format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import text

from tests.shift_data import Rows, build_small, cover_hub
from tracker.analyses.queries import QueryError, named_queries, run_query
from tracker.cli import main
from tracker.db.engine import Database

WRITES = [
    "INSERT INTO accounts (platform, handle, handle_key) VALUES ('hf', 'x', 'x')",
    "UPDATE hf_models SET downloads_30d = 0",
    "DELETE FROM hf_models",
    "DROP TABLE hf_model_snapshots",
    "DROP VIEW country_downloads_latest",
    "CREATE TABLE sneaky (x INTEGER)",
    "CREATE VIEW sneaky AS SELECT 1 AS x",
]


@pytest.fixture
def small(database: Database) -> Database:
    with database.session() as session:
        build_small(session)
    return database


def _counts(database: Database) -> tuple[int, int, int]:
    with database.session() as session:
        return (
            session.execute(text("SELECT COUNT(*) FROM hf_models")).scalar(),
            session.execute(text("SELECT SUM(downloads_30d) FROM hf_models")).scalar(),
            session.execute(text("SELECT COUNT(*) FROM accounts")).scalar(),
        )


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_by_the_database(small: Database, statement: str) -> None:
    before = _counts(small)
    with pytest.raises(QueryError, match="read-only"):
        run_query(small, statement)
    assert _counts(small) == before
    assert run_query(small, "SELECT COUNT(*) AS n FROM country_downloads_latest").rows[0][0] == 5


@pytest.mark.parametrize("statement", ["COMMIT; DELETE FROM hf_models", "SELECT 1; DELETE FROM hf_models"])
def test_a_second_statement_cannot_escape_the_read_only_transaction(small: Database, statement: str) -> None:
    before = _counts(small)
    with pytest.raises(QueryError):
        run_query(small, statement)
    assert _counts(small) == before


def test_every_named_query_runs_on_both_back_ends(small: Database) -> None:
    queries = named_queries()
    assert len(queries) >= 6
    for query in queries:
        assert query.description, f"{query.name} needs a comment header"
        result = run_query(small, query.sql)
        assert result.columns, query.name
    shares = run_query(
        small, "SELECT * FROM (" + next(q.sql for q in queries if q.name == "china_share_by_month") + ") s"
    )
    by_month = {row[0]: dict(zip(shares.columns, row, strict=True)) for row in shares.rows}
    assert float(by_month["2025-02"]["cn_pct"]) == 25.0  # one of four February models has a Chinese author
    assert float(by_month["2025-02"]["cn_attributed_pct"]) == round(100 / 3, 2)  # one of three attributed
    assert float(by_month["2025-02"]["coverage_pct"]) == 75.0
    assert by_month["2025-02"]["partial"] == 1  # no whole-Hub crawl in this database


def test_named_queries_mark_the_current_creation_month_partial(small: Database) -> None:
    today = dt.datetime.now(dt.timezone.utc)
    with small.session() as session:
        Rows(session).model("Qwen/this-month", today.date())
        cover_hub(session, None, today)  # a dump taken now: every month until now was collected
    sql = next(q.sql for q in named_queries() if q.name == "china_share_by_month")
    result = run_query(small, sql)
    partial = {row[0]: row[result.columns.index("partial")] for row in result.rows}
    assert partial[today.strftime("%Y-%m")] == 1  # the current month is never complete
    assert partial["2025-02"] == 0 and partial["2025-01"] == 0


def test_cli_formats_answer_the_views(
    small: Database, database_url: str, capsys: pytest.CaptureFixture
) -> None:
    sql = "SELECT country, downloads_30d, share FROM country_downloads_latest ORDER BY downloads_30d DESC"
    assert main(["--database-url", database_url, "query", sql, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0] == {"country": "US", "downloads_30d": 3000, "share": pytest.approx(3000 / 5100)}
    assert {record["country"] for record in records} == {"US", "CN", None, "FR", "HK"}

    assert main(["--database-url", database_url, "query", sql, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["country", "downloads_30d", "share"]
    assert rows[1][:2] == ["US", "3000"] and ["", "500"] == rows[3][:2]

    assert main(["--database-url", database_url, "query", "downloads_by_country"]) == 0
    table = capsys.readouterr().out
    assert "3000" in table and "58.82" in table and "(5 rows)" in table


def test_cli_lists_named_queries(database_url: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["--database-url", database_url, "query", "--list"]) == 0
    out = capsys.readouterr().out
    for query in named_queries():
        assert query.name in out


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("DELETE FROM hf_models", "read-only"),
        ("SELEC nothing", "error: "),
        ("no_such_query", "no named query"),
        ("SELECT * FROM no_such_table", "no_such_table"),
    ],
)
def test_cli_errors_are_one_line_with_a_non_zero_exit(
    database_url: str, capsys: pytest.CaptureFixture, argument: str, message: str
) -> None:
    assert main(["--database-url", database_url, "query", argument]) != 0
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
