"""`tracker collect ...`: one subcommand per source (registered by the modules collect_<source>.py)."""

from __future__ import annotations

from tracker.cli.app import cli as root


@root.group("collect")
def collect_group() -> None:
    """Collect metadata from a source into the database (one dated snapshot per item per UTC day)."""
