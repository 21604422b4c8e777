"""Cheaper dump writes: an index on the lower-case parent id of base-model edges (the dump's lineage step finds
a changed model's derivatives through it; parent ids match case-insensitively), and on PostgreSQL room in
each page of hf_models for a row's next version (fillfactor), so a dump's update of every row is a HOT update
that leaves the indexes alone. A table already filled gets the room as its pages are rewritten.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = 60


def upgrade() -> None:
    op.create_index("ix_hf_model_parents_parent_key", "hf_model_parents", [sa.text("lower(parent_repo_id)")])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE hf_models SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE hf_models RESET (fillfactor)")
    op.drop_index("ix_hf_model_parents_parent_key", "hf_model_parents")
