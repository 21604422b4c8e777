"""The Hub's daily metadata dumps: which dumps were ingested, and models no longer listed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hf_dumps",
        sa.Column("commit_id", sa.String(length=64), nullable=False),
        sa.Column("repo", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("committed_at", sa.DateTime(), nullable=False),
        sa.Column("dump_on", sa.Date(), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("models", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("commit_id", name=op.f("pk_hf_dumps")),
    )
    op.create_index("ix_hf_dumps_dump_on", "hf_dumps", ["dump_on"])
    with op.batch_alter_table("hf_models") as batch:
        batch.add_column(sa.Column("unlisted_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hf_models") as batch:
        batch.drop_column("unlisted_on")
    op.drop_index("ix_hf_dumps_dump_on", table_name="hf_dumps")
    op.drop_table("hf_dumps")
