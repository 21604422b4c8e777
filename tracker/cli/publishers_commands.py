"""`tracker publishers ...`: the publisher registry (import, list, manual overrides)."""

from __future__ import annotations

import click

from tracker.attribution import registry
from tracker.cli.app import EXIT_USAGE, AppContext, CliError, pass_app
from tracker.cli.app import cli as root
from tracker.db.migrate import ensure_schema


@root.group("publishers")
def publishers_group() -> None:
    """The publisher registry: who publishes what, from which country, and why."""


@publishers_group.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--shipped", is_flag=True, help="Import the registry shipped with tracker.")
@pass_app
def import_command(app: AppContext, file: str | None, shipped: bool) -> None:
    """Import FILE.csv (header hf_org,github_org,country,name,kind,basis[,publisher]) or --shipped.

    Without either, the file named by TRACKER_REGISTRY (or `[publishers] registry` in the TOML) is imported.

    An empty country means "infer it", `-` means "unknown on purpose". A file with any bad row (unknown
    codes, control characters such as NUL, names over 300 or bases over 2,000 characters) is rejected whole
    (exit 1, every bad line listed); importing the same file twice changes nothing; manual decisions
    (`tracker publishers set`) are never overwritten, nor are the handles they hold moved.
    """
    if file and shipped:
        raise CliError("give FILE.csv or --shipped, not both", EXIT_USAGE)
    path = registry.shipped_registry_path() if shipped else file or app.settings.registry_path
    if path is None:
        raise CliError(
            "give FILE.csv or --shipped (or set TRACKER_REGISTRY / [publishers] registry)", EXIT_USAGE
        )
    ensure_schema(app.database)
    try:
        summary = registry.import_registry(app.database, path)
    except registry.RegistryError as error:
        for line in error.errors:
            click.echo(f"{error.source}: {line}", err=True)
        raise CliError(f"{error.source}: {len(error.errors)} bad row(s); nothing imported") from None
    click.echo(
        f"{path}: {summary.publishers} publishers ({summary.publishers_created} new, "
        f"{summary.publishers_updated} updated), accounts {summary.accounts_created} new, "
        f"{summary.accounts_updated} updated" + ("" if summary.changed else " - nothing changed")
    )
    if summary.accounts_kept:
        click.echo(
            f"{summary.accounts_kept} handle(s) kept with the publisher a manual decision holds them for"
        )
    click.echo("run `tracker attribute` to resolve countries")


@publishers_group.command("list")
@click.option("--country", metavar="CC", help="Only publishers of this ISO country code (e.g. CN).")
@pass_app
def list_command(app: AppContext, country: str | None) -> None:
    """Publishers with their country (as resolved by the last attribution, else the registry) and basis."""
    ensure_schema(app.database)
    rows = registry.list_publishers(app.database, country)
    click.echo(f"{'publisher':<24} {'country':<7} {'method':<12} {'handles':<48} basis")
    for row in rows:
        click.echo(
            f"{row.slug:<24} {row.country or '-':<7} {row.method:<12} {row.handles:<48} {row.basis or ''}"
        )
    click.echo(f"{len(rows)} publisher(s)")


@publishers_group.command("set")
@click.argument("handle")
@click.option("--country", required=True, metavar="CC", help="ISO 3166-1 alpha-2 code, or - for unknown.")
@click.option("--basis", required=True, help="Why (a source, a decision).")
@click.option(
    "--platform", type=click.Choice(["hf", "github"]), help="Create the account on this platform if unknown."
)
@pass_app
def set_command(app: AppContext, handle: str, country: str, basis: str, platform: str | None) -> None:
    """Record a manual country for HANDLE's publisher; later imports and inference never overwrite it."""
    ensure_schema(app.database)
    try:
        publisher = registry.set_override(app.database, handle, country, basis, platform)
    except registry.UnknownHandle as error:
        raise CliError(str(error), EXIT_USAGE) from None
    except ValueError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    click.echo(
        f"{handle}: publisher {publisher.slug} set to {publisher.override_country or 'unknown'} (manual)"
    )
    click.echo("run `tracker attribute` to apply it everywhere")
