"""Country attribution over everything collected (placeholder interface; the attribution work fills it)."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.db.engine import Database


@dataclass
class AttributionSummary:
    accounts: int = 0
    attributed: int = 0
    models_with_root: int = 0


def run_attribution(database: Database) -> AttributionSummary:
    """Resolve countries for publishers, accounts and lineage roots. Idempotent."""
    return AttributionSummary()
