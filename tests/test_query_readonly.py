"""Read-only queries enforced by the databases: what `tracker query` and the web view's SQL page refuse.

Every hostile statement must exit non-zero with one line, create nothing and leave a full dump of the
database unchanged (SQLite: the file's bytes and mtime too). Also: the statement timeout, the row cap, the
refusal when the PostgreSQL read-only role cannot be used, and output that never cuts values.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.shift_data import build_small
from tracker.analyses.queries import QueryError, QueryResult, run_query
from tracker.cli import main
from tracker.cli.app import AppContext
from tracker.cli.query_commands import _print_table
from tracker.db.engine import Database
from tracker.db.readonly import READER_ROLE

SQLITE_HOSTILE = [
    "ATTACH DATABASE '{folder}/attached.db' AS e",
    "VACUUM INTO '{folder}/copy.db'",
    "VACUUM",
    "PRAGMA journal_mode=DELETE",
    "PRAGMA query_only=OFF",
    "PRAGMA user_version=7",
    "SELECT load_extension('{folder}/nothing')",
    "REINDEX",
    "ANALYZE",
    "CREATE TEMP TABLE scratch (x INTEGER)",
    "BEGIN IMMEDIATE",
    "INSERT INTO accounts (platform, handle, handle_key) VALUES ('hf', 'x', 'x')",
]
POSTGRESQL_HOSTILE = [
    "COPY (SELECT 1) TO PROGRAM 'touch {folder}/touched'",
    "COPY accounts TO '{folder}/accounts.txt'",
    "SELECT pg_read_file('/etc/hostname')",
    "SELECT lo_import('/etc/hostname')",
    "SELECT pg_terminate_backend(pg_backend_pid())",
    "LOCK TABLE accounts",
    "ANALYZE",
    "ANALYZE accounts",
    "SELECT set_config('role', session_user, true)",
    "RESET ROLE",
    "SELECT query_to_xml('SELECT 1', true, false, '')",
    "INSERT INTO accounts (platform, handle, handle_key) VALUES ('hf', 'x', 'x')",
]


@pytest.fixture
def small(database: Database) -> Database:
    with database.session() as session:
        build_small(session)
    if database.backend == "sqlite":
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return database


@pytest.fixture
def folder() -> Iterator[Path]:
    """An empty folder the PostgreSQL server's OS user could write to, were it allowed."""
    path = Path(tempfile.mkdtemp(prefix="tracker-readonly-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def dump(database: Database) -> object:
    """Everything a statement could change: schema, rows, manual ANALYZE runs, large objects."""
    if database.backend == "sqlite":
        path = make_url(database.url).database
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return list(connection.iterdump()), connection.execute("PRAGMA journal_mode").fetchone()
        finally:
            connection.close()
    with database.engine.connect() as connection:
        relations = connection.execute(
            text(
                "SELECT relname, relkind FROM pg_class "
                "WHERE relnamespace = current_schema()::regnamespace ORDER BY relname"
            )
        ).all()
        rows = {
            name: sorted(map(repr, connection.execute(text(f'SELECT * FROM "{name}"')).all()))
            for name, kind in relations
            if kind == "r"
        }
        # manual ANALYZE runs only (autovacuum's are counted apart, so they cannot make this flaky)
        analyses = connection.execute(
            text("SELECT relname, analyze_count FROM pg_stat_user_tables ORDER BY relname")
        ).all()
        large_objects = connection.execute(text("SELECT count(*) FROM pg_largeobject_metadata")).scalar()
        return relations, rows, analyses, large_objects


def file_state(database: Database) -> object:
    if database.backend != "sqlite":
        return None
    path = Path(make_url(database.url).database)
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize("index", range(max(len(SQLITE_HOSTILE), len(POSTGRESQL_HOSTILE))))
def test_hostile_statements_are_refused_and_change_nothing(
    small: Database, database_url: str, folder: Path, capsys: pytest.CaptureFixture, index: int
) -> None:
    statements = SQLITE_HOSTILE if small.backend == "sqlite" else POSTGRESQL_HOSTILE
    if index >= len(statements):
        pytest.skip("fewer statements on this back end")
    statement = statements[index].format(folder=folder)
    before, before_file = dump(small), file_state(small)

    assert main(["--database-url", database_url, "query", statement]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert "refused" in err or "read-only" in err, err

    assert list(folder.iterdir()) == []
    assert dump(small) == before
    assert file_state(small) == before_file
    # the guard is gone from pooled connections: ordinary writes still work afterwards
    with small.session() as session:
        session.execute(text("UPDATE hf_models SET likes = likes"))


def test_refusals_name_what_was_refused(small: Database, folder: Path) -> None:
    if small.backend == "sqlite":
        with pytest.raises(QueryError, match=r"^refused: queries are read-only \(ATTACH .*attached\.db"):
            run_query(small, f"ATTACH DATABASE '{folder}/attached.db' AS e")
    else:
        with pytest.raises(QueryError, match="pg_execute_server_program"):
            run_query(small, f"COPY (SELECT 1) TO PROGRAM 'touch {folder}/touched'")


def test_session_state_does_not_outlive_the_statement(small: Database) -> None:
    if small.backend == "sqlite":
        run_query(small, "SELECT 1")
        with small.engine.connect() as connection:  # the pooled connection: no authorizer, writable
            connection.exec_driver_sql("CREATE TEMP TABLE scratch (x INTEGER)")
        return
    run_query(small, "SELECT pg_advisory_lock(42)")
    with small.engine.connect() as connection:
        held = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 42 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert connection.execute(held).scalar() == 0


def test_reads_work_under_the_guard(small: Database) -> None:
    result = run_query(small, "SELECT COUNT(*) FROM country_downloads_latest")
    assert result.rows == [(5,)] and result.truncated is False
    listing = "PRAGMA table_info(accounts)" if small.backend == "sqlite" else "SELECT * FROM pg_tables"
    assert run_query(small, listing).rows


def test_a_statement_past_the_timeout_is_stopped(small: Database) -> None:
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
        if small.backend == "sqlite"
        else "SELECT pg_sleep(30)"
    )
    with pytest.raises(QueryError, match=r"^stopped: the query ran longer than 0.3 s"):
        run_query(small, slow, timeout_seconds=0.3)
    assert run_query(small, "SELECT 1", timeout_seconds=0.3).rows[0][0] == 1


def test_the_timeout_setting_reaches_the_cli(
    small: Database, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text("[query]\ntimeout = 0.3\n")
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
        if small.backend == "sqlite"
        else "SELECT pg_sleep(30)"
    )
    assert main(["--database-url", database_url, "--config", str(config), "query", slow]) == 1
    assert "stopped: the query ran longer than 0.3 s" in capsys.readouterr().err


def test_the_row_cap_marks_a_truncated_result(small: Database) -> None:
    sql = "SELECT repo_id FROM hf_model_latest ORDER BY repo_id"
    everything = run_query(small, sql)
    assert len(everything.rows) > 2 and not everything.truncated
    capped = run_query(small, sql, max_rows=2)
    assert capped.rows == everything.rows[:2] and capped.truncated
    exact = run_query(small, sql, max_rows=len(everything.rows))
    assert exact.rows == everything.rows and not exact.truncated


@pytest.fixture
def outsider(database_url: str) -> Iterator[tuple[str, str]]:
    """A PostgreSQL login role that is neither a superuser nor a member of the read-only role."""
    if not database_url.startswith("postgresql"):
        pytest.skip("roles are a PostgreSQL matter")
    name = f"tracker_outsider_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN"))
    try:
        yield name, make_url(database_url).set(username=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :name"),
                {"name": name},
            )
            connection.execute(text(f"DROP ROLE IF EXISTS {name}"))
        admin.dispose()


def test_without_the_read_only_role_nothing_runs(
    small: Database, outsider: tuple[str, str], capsys: pytest.CaptureFixture
) -> None:
    name, url = outsider
    assert main(["--database-url", url, "query", "SELECT COUNT(*) FROM accounts"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and READER_ROLE in err and "refused" in err

    with small.engine.begin() as connection:
        connection.execute(text(f"GRANT {READER_ROLE} TO {name}"))
        accounts = connection.execute(text("SELECT COUNT(*) FROM accounts")).scalar()
    assert (
        main(["--database-url", url, "query", "SELECT COUNT(*) AS n FROM accounts", "--format", "csv"]) == 0
    )
    assert capsys.readouterr().out.splitlines() == ["n", str(accounts)]
    # a member cannot leave the role inside a statement either
    assert main(["--database-url", url, "query", "SELECT set_config('role', session_user, true)"]) == 1
    assert "set_config" in capsys.readouterr().err


def test_piped_output_never_cuts_values(
    small: Database, database_url: str, capsys: pytest.CaptureFixture
) -> None:
    long_text = "x" * 150 + "-end"
    sql = f"SELECT '{long_text}' AS label, 123456789012345678 AS big, 0.12345678901234566 AS fraction"
    assert main(["--database-url", database_url, "query", sql]) == 0
    out = capsys.readouterr().out
    assert long_text in out and "123456789012345678" in out and "0.12345678901234566" in out
    assert "…" not in out


def test_a_terminal_table_wraps_numbers_instead_of_cutting_them() -> None:
    buffer = io.StringIO()
    app = AppContext(console=Console(file=buffer, force_terminal=True, width=30, highlight=False))
    result = QueryResult(
        columns=["name", "big"], rows=[("abcdefghijklmnopqrstuvwxyz", 123456789012345678901234)]
    )
    _print_table(app, result)
    shown = buffer.getvalue()
    assert "…" not in shown
    assert re.sub(r"\D", "", re.sub(r"\x1b\[[0-9;]*m", "", shown)) == "123456789012345678901234"


@pytest.fixture
def owned_database(backend: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(role, URL): an empty database owned by a login role that is no superuser and may not create roles."""
    if backend != "postgresql":
        pytest.skip("roles are a PostgreSQL matter")
    admin_url = make_url(request.getfixturevalue("pg_server_url"))
    suffix = uuid.uuid4().hex[:8]
    role, name = f"tracker_owner_{suffix}", f"{admin_url.database}_o{suffix}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER {role}'))
    try:
        yield role, admin_url.set(database=name, username=role).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_a_plain_owner_migrates_and_queries_once_an_administrator_grants_the_role(
    owned_database: tuple[str, str], request: pytest.FixtureRequest, capsys: pytest.CaptureFixture
) -> None:
    role, url = owned_database
    request.getfixturevalue("pg_migrated")  # the read-only role exists in the cluster (roles are shared)
    assert main(["--database-url", url, "db", "upgrade"]) == 0  # what it may not do is skipped, not fatal
    capsys.readouterr()
    assert main(["--database-url", url, "query", "SELECT COUNT(*) FROM accounts"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"GRANT {READER_ROLE}" in err

    admin = create_engine(request.getfixturevalue("pg_server_url"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"GRANT {READER_ROLE} TO {role}"))
    admin.dispose()
    assert (
        main(["--database-url", url, "query", "SELECT COUNT(*) AS n FROM hf_model_latest", "--format", "csv"])
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["n", "0"]
    # the owner's own privileges stay out of reach: the role may not analyze the owner's tables
    assert main(["--database-url", url, "query", "ANALYZE accounts"]) == 1
