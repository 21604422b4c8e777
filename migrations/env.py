"""Alembic environment: runs migrations on the connection `tracker.db.migrate` hands over, or on
TRACKER_DATABASE_URL when Alembic is run directly. Views are dropped before migrating and recreated
from `tracker.db.views` once the schema is at head (they hold no data, see that module)."""

from __future__ import annotations

from alembic import context
from alembic.script import ScriptDirectory

from tracker.config import load_settings
from tracker.db.engine import make_engine
from tracker.db.models import Base
from tracker.db.views import VIEWS_BY_NAME, create_views, drop_views

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001 - Alembic's hook signature
    """Views are managed outside revisions; keep them out of autogenerate comparisons."""
    return not (type_ == "table" and name in VIEWS_BY_NAME)


def _at_head(connection) -> bool:  # noqa: ANN001
    heads = set(ScriptDirectory.from_config(config).get_heads())
    current = set(context.get_context().get_current_heads())
    return current == heads


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(load_settings().database_url)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        drop_views(connection)
        context.run_migrations()
        if _at_head(connection):
            create_views(connection)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
