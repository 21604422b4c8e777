"""`tracker query`: run read-only SQL or a named query and print the result as a table, CSV or JSON."""

from __future__ import annotations

import decimal

import click
from rich.table import Table

from tracker.analyses.queries import (
    QueryError,
    QueryResult,
    as_csv,
    as_json,
    is_query_name,
    json_value,
    named_queries,
    named_query,
    run_query,
)
from tracker.cli.app import EXIT_USAGE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root


def _cell(value: object) -> str:
    return "" if value is None else str(json_value(value))


def _print_table(app: AppContext, result: QueryResult) -> None:
    """A terminal gets a table whose cells wrap, never cut; a pipe or file gets every value whole."""
    if app.console.is_terminal:
        table = Table(show_header=True, header_style="bold")
        for column in result.columns:
            table.add_column(column, overflow="fold")
        for row in result.rows:
            table.add_row(*(_cell(value) for value in row))
        app.console.print(table)
    else:
        _print_plain(result)
    shown = len(result.rows)
    more = f"; more rows were cut by --max-rows {shown}" if result.truncated else ""
    click.echo(f"({shown} row{'s' if shown != 1 else ''}{more})")


def _print_plain(result: QueryResult) -> None:
    """Columns padded to their widest value; line breaks inside values are written as \\n."""
    if not result.columns:
        return
    cells = [[_cell(value).replace("\n", "\\n").replace("\r", "\\r") for value in row] for row in result.rows]
    numeric = [
        all(
            isinstance(row[index], (int, float, decimal.Decimal)) or row[index] is None for row in result.rows
        )
        for index in range(len(result.columns))
    ]
    widths = [
        max([len(column), *(len(row[index]) for row in cells)]) for index, column in enumerate(result.columns)
    ]

    def line(values: list[str]) -> str:
        padded = (
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        )
        return "  ".join(padded).rstrip()

    click.echo(line(list(result.columns)))
    click.echo("  ".join("-" * width for width in widths))
    for row in cells:
        click.echo(line(row))


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
@click.option(
    "--max-rows", type=click.IntRange(min=0), metavar="N", help="Print at most N rows (default: all of them)."
)
@pass_app
def query(
    app: AppContext, sql_or_name: str | None, output_format: str, list_only: bool, max_rows: int | None
) -> None:
    """Run one read-only SQL statement, or a named query (see --list), and print its rows.

    The database refuses every write: on SQLite an authorizer allows reads only; on PostgreSQL the statement
    runs in a read-only transaction under the role tracker_reader, which may only read the tracker's tables
    and views (where that role cannot be used, nothing runs). Statements running longer than `[query]
    timeout` seconds (default 60) are stopped. Values are never cut: a terminal table wraps them, and piped
    output prints them whole.
    """
    if list_only:
        for named in named_queries():
            click.echo(f"{named.name}\n    {named.description}")
        return
    if not sql_or_name:
        raise CliError("give SQL or a query name (tracker query --list shows the names)", EXIT_USAGE)
    try:
        sql = named_query(sql_or_name).sql if is_query_name(sql_or_name) else sql_or_name
        timeout = float(app.settings.section("query").get("timeout", 60))
        result = run_query(app.database, sql, timeout_seconds=timeout, max_rows=max_rows)
    except QueryError as error:
        raise CliError(str(error)) from None
    if result.truncated and output_format != "table":
        click.echo(f"note: only the first {len(result.rows)} rows (--max-rows)", err=True)
    if output_format == "json":
        click.echo(as_json(result), nl=False)
    elif output_format == "csv":
        click.echo(as_csv(result), nl=False)
    else:
        _print_table(app, result)
