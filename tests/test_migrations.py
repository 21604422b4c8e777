"""Migrations: upgrade to head and back to base on both back ends; models and migrations agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tracker.db import migrate
from tracker.db.engine import Database
from tracker.db.models import Base
from tracker.db.views import VIEWS, VIEWS_BY_NAME


def test_upgrade_creates_every_table_and_view_then_downgrade_removes_them(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    assert migrate.current_revision(database) is None
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision()
    inspector = inspect(database.engine)
    assert set(Base.metadata.tables) <= set(inspector.get_table_names())
    assert {view.name for view in VIEWS} == set(inspector.get_view_names())

    migrate.downgrade(database, "base")
    inspector = inspect(database.engine)
    assert migrate.current_revision(database) is None
    assert set(inspector.get_table_names()) <= {"alembic_version"}
    assert inspector.get_view_names() == []
    database.dispose()


def test_upgrade_twice_is_a_no_op(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    assert migrate.ensure_schema(database) is True
    assert migrate.ensure_schema(database) is False
    database.dispose()


def test_models_and_migrations_agree(database: Database) -> None:
    def ignore_views(obj, name, type_, reflected, compare_to):  # noqa: ANN001
        return not (type_ == "table" and name in VIEWS_BY_NAME)

    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": ignore_views}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_views_answer_on_an_empty_database(database: Database) -> None:
    from sqlalchemy import text

    with database.engine.connect() as connection:
        for view in VIEWS:
            result = connection.execute(text(f"SELECT * FROM {view.name}"))
            assert list(result.keys()) == list(view.columns), view.name
            assert result.fetchall() == [] or view.name.startswith("country_")
