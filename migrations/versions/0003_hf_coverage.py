"""Whole-Hub coverage windows: which creation times a completed crawl or a dump collected in full.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hf_coverage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("covered_from", sa.DateTime(), nullable=True),
        sa.Column("covered_to", sa.DateTime(), nullable=False),
        sa.Column("hub_models", sa.BigInteger(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hf_coverage")),
    )
    op.create_index("ix_hf_coverage_source_covered_to", "hf_coverage", ["source", "covered_to"])


def downgrade() -> None:
    op.drop_index("ix_hf_coverage_source_covered_to", table_name="hf_coverage")
    op.drop_table("hf_coverage")
