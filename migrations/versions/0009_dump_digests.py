"""A digest of each model's row as the last dump that wrote it listed it (`hf_models.dump_digest`), so a later
dump finds the models it lists unchanged without building their rows (NULL for rows the API wrote last).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hf_models", sa.Column("dump_digest", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("hf_models", "dump_digest")
