"""PostgreSQL: the NOLOGIN role `tracker_reader` that user-written SQL runs under (SELECT only).

Roles are cluster-wide, so the role is created only when missing; grants are per database. The migrating
user becomes a member (needed to `SET ROLE` when it is not a superuser). A superuser session could leave the
role again inside one statement with `set_config('role', ...)` or SQL-running functions, so where the
migrating user may, those functions are revoked from PUBLIC in this database (the database owner keeps
`set_config`). Every step needs privileges a plain user may lack: then it is skipped with a notice and
`tracker query` refuses to run until an administrator completes it. SQLite: nothing to do.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "tracker_reader"
ROLE_SWITCHING_FUNCTIONS = (
    "pg_catalog.set_config(text, text, boolean)",
    "pg_catalog.query_to_xml(text, boolean, boolean, text)",
    "pg_catalog.query_to_xmlschema(text, boolean, boolean, text)",
    "pg_catalog.query_to_xml_and_xmlschema(text, boolean, boolean, text)",
    "pg_catalog.ts_stat(text)",
    "pg_catalog.ts_stat(text, text)",
    "pg_catalog.ts_rewrite(tsquery, text)",
)


def _guarded(statement: str) -> str:
    """Run `statement` in a DO block that turns a missing privilege into a notice."""
    return f"""
DO $$
BEGIN
    {statement}
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'tracker: skipped (%): {statement.splitlines()[0][:60].replace("'", "''")}', SQLERRM;
END
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        _guarded(
            f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN CREATE ROLE {ROLE} NOLOGIN; END IF;"
        )
    )
    op.execute(
        _guarded(
            f"IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') AND NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') "
            f"THEN EXECUTE format('GRANT {ROLE} TO %I', current_user); END IF;"
        )
    )
    revoke = " ".join(
        f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC;" for function in ROLE_SWITCHING_FUNCTIONS
    )
    op.execute(
        _guarded(
            "IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN "
            f"{revoke} IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pg_database_owner') THEN "
            f"GRANT EXECUTE ON FUNCTION {ROLE_SWITCHING_FUNCTIONS[0]} TO pg_database_owner; END IF; END IF;"
        )
    )
    # SELECT on the tables (and the views, recreated after every migration) is granted by
    # tracker.db.readonly.grant_reader once the schema is at head.


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    grant = " ".join(
        f"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC;" for function in ROLE_SWITCHING_FUNCTIONS
    )
    op.execute(
        _guarded(f"IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN {grant} END IF;")
    )
    op.execute(
        _guarded(
            f"IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN "
            f"EXECUTE format('REVOKE SELECT ON ALL TABLES IN SCHEMA %I FROM {ROLE}', current_schema()); END IF;"
        )
    )
    # The role itself stays: roles are cluster-wide and other databases may use it.
