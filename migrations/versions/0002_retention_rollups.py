"""Snapshot retention: exact daily roll-ups of the whole Hub by author and root-model country.

`hf_daily_country_totals` keeps the monthly download and like figures exact while `hf_model_snapshots`
holds rows only for new, active or changed models (docs/scale.md).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hf_daily_country_totals",
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("root_country", sa.String(length=2), nullable=False),
        sa.Column("models", sa.Integer(), nullable=False),
        sa.Column("downloads_30d", sa.BigInteger(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "captured_on", "country", "root_country", name=op.f("pk_hf_daily_country_totals")
        ),
    )


def downgrade() -> None:
    op.drop_table("hf_daily_country_totals")
