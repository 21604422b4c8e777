"""`tracker export`: the documented views and daily roll-ups as Parquet/CSV files with a data card."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.app import EXIT_USAGE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.export import FORMATS, ExportError, export


@root.command("export")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the files.",
)
@click.option(
    "--format", "formats", default=",".join(FORMATS), show_default=True, help="Comma-separated: parquet, csv."
)
@pass_app
def export_command(app: AppContext, out_dir: Path, formats: str) -> None:
    """Write every documented view and the daily roll-ups as DIR/<view>.parquet and/or DIR/<view>.csv,
    with a data card (DIR/README.md, Hugging Face dataset-card format) and DIR/datapackage.json.

    Rows are streamed in batches, so memory stays flat on a database of any size; files of the same name
    are replaced.
    """
    wanted = [fmt.strip() for fmt in formats.split(",") if fmt.strip()]
    bad = [fmt for fmt in wanted if fmt not in FORMATS]
    if bad or not wanted:
        raise CliError(f"unknown format {', '.join(bad) or '(none)'}: choose from parquet, csv", EXIT_USAGE)
    try:
        result = export(
            app.database,
            out_dir,
            wanted,
            progress=lambda name, rows: click.echo(f"{name}: {rows:,} rows", err=True),
        )
    except ExportError as error:
        raise CliError(str(error)) from None
    for file in result.files:
        click.echo(str(file.path))
    click.echo(str(out_dir / "README.md"))
    click.echo(str(out_dir / "datapackage.json"))
