"""`tracker query`: run read-only SQL or a named query and print the result as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys

import click
from rich.table import Table

from tracker.analyses.queries import (
    QueryError,
    QueryResult,
    is_query_name,
    json_value,
    named_queries,
    named_query,
    run_query,
)
from tracker.cli.app import EXIT_USAGE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root


def _print_table(app: AppContext, result: QueryResult) -> None:
    table = Table(show_header=True, header_style="bold")
    for column in result.columns:
        table.add_column(column)
    for row in result.rows:
        table.add_row(*("" if value is None else str(json_value(value)) for value in row))
    app.console.print(table)
    click.echo(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")


def _print_csv(result: QueryResult) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if value is None else json_value(value) for value in row])


@root.command("query")
@click.argument("sql_or_name", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--list", "list_only", is_flag=True, help="List the named queries shipped with the package.")
@pass_app
def query(app: AppContext, sql_or_name: str | None, output_format: str, list_only: bool) -> None:
    """Run one read-only SQL statement, or a named query (see --list), and print its rows.

    The database refuses writes (PostgreSQL read-only transaction, SQLite query_only).
    """
    if list_only:
        for named in named_queries():
            click.echo(f"{named.name}\n    {named.description}")
        return
    if not sql_or_name:
        raise CliError("give SQL or a query name (tracker query --list shows the names)", EXIT_USAGE)
    try:
        sql = named_query(sql_or_name).sql if is_query_name(sql_or_name) else sql_or_name
        result = run_query(app.database, sql)
    except QueryError as error:
        raise CliError(str(error)) from None
    if output_format == "json":
        click.echo(json.dumps(result.records(), indent=2, ensure_ascii=False))
    elif output_format == "csv":
        _print_csv(result)
    else:
        _print_table(app, result)
