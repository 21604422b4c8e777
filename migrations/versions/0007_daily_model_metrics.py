"""The view `daily_model_metrics` (a point per roll-up day): no table changes.

Views are recreated from `tracker.db.views` whenever a migration brings the schema to head
(`migrations/env.py`); a database already at 0006 would otherwise never get the new view, so this revision
only moves the head.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the views are created again at head."""


def downgrade() -> None:
    """Nothing to change: the views are created again at head."""
