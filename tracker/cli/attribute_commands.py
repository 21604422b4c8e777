"""`tracker attribute`: resolve countries for publishers, accounts, contributors and lineage roots."""

from __future__ import annotations

import click

from tracker.attribution.attribute import run_attribution
from tracker.cli.app import AppContext, pass_app
from tracker.cli.app import cli as root
from tracker.db.migrate import ensure_schema


@root.command("attribute")
@pass_app
def attribute(app: AppContext) -> None:
    """Attribute every publisher, account, GitHub user and model root to a country, with its basis.

    Precedence: manual override > registry > parsed GitHub profile location > unknown. Runs at the end of
    every collection too; running it again changes nothing.
    """
    ensure_schema(app.database)
    summary = run_attribution(app.database)
    methods = ", ".join(f"{method} {count}" for method, count in sorted(summary.publishers_by_method.items()))
    click.echo(f"publishers: {summary.publishers} ({methods or 'none'})")
    click.echo(
        f"accounts: {summary.accounts} ({summary.attributed} with a country); GitHub profiles scanned "
        f"{summary.github_accounts_scanned}, located {summary.github_accounts_located}; changed {summary.accounts_changed}"
    )
    lineage = summary.lineage
    click.echo(
        f"models: {summary.models_with_root} with a root namespace; {lineage.models} with a parent, "
        f"{lineage.mixed_merges} mixed-country merges, {lineage.in_cycles} in cycles, {lineage.updated} updated"
    )
