"""`tracker db ...`: schema migrations."""

from __future__ import annotations

import click

from tracker.cli.app import AppContext, pass_app
from tracker.cli.app import cli as root
from tracker.db import migrate


@root.group("db")
def db_group() -> None:
    """Create and migrate the database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@pass_app
def upgrade(app: AppContext, revision: str) -> None:
    """Migrate the schema up to REVISION (default: head, the newest). Creates the views at head."""
    database = app.database
    before = migrate.current_revision(database)
    migrate.upgrade(database, revision)
    after = migrate.current_revision(database)
    if before == after:
        click.echo(f"{database.display_url}: already at {after}")
    else:
        click.echo(f"{database.display_url}: upgraded {before or 'empty'} -> {after}")


@db_group.command("downgrade")
@click.argument("revision")
@pass_app
def downgrade(app: AppContext, revision: str) -> None:
    """Migrate the schema down to REVISION (`base` removes every table). Never prompts."""
    database = app.database
    before = migrate.current_revision(database)
    migrate.downgrade(database, revision)
    after = migrate.current_revision(database)
    click.echo(f"{database.display_url}: downgraded {before or 'empty'} -> {after or 'base'}")


@db_group.command("current")
@pass_app
def current(app: AppContext) -> None:
    """Print the database's schema revision and whether it is the newest."""
    revision = migrate.current_revision(app.database)
    head = migrate.head_revision()
    state = "head" if revision == head else f"behind head {head}" if revision else f"empty; head is {head}"
    click.echo(f"{revision or 'none'} ({state})")
