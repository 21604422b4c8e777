"""`tracker report`: write the summary report (Markdown, HTML with charts, JSON) and record it."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.app import EXIT_USAGE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.reports import FORMATS, ReportError, write_report


@root.command("report")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the files [default: reports/YYYY-MM-DD under the working directory].",
)
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    help="Comma-separated formats to write: md, html, json.",
)
@pass_app
def report(app: AppContext, out_dir: Path | None, formats: str) -> None:
    """Analyse the database and write report.md, report.html and report.json (replacing older ones)."""
    wanted = [fmt.strip() for fmt in formats.split(",") if fmt.strip()]
    bad = [fmt for fmt in wanted if fmt not in FORMATS]
    if bad or not wanted:
        raise CliError(f"unknown format {', '.join(bad) or '(none)'}: choose from md, html, json", EXIT_USAGE)
    try:
        result = write_report(app.database, app.settings, out_dir, wanted)
    except ReportError as error:
        raise CliError(str(error)) from None
    for path in result.paths:
        click.echo(str(path))
    click.echo(f"verdict: {result.verdict}")
