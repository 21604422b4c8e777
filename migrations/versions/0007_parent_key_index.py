"""An index on the lower-case parent id of base-model edges: the dump's lineage step finds a changed model's
derivatives through it (parent ids are matched case-insensitively).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_hf_model_parents_parent_key", "hf_model_parents", [sa.text("lower(parent_repo_id)")])


def downgrade() -> None:
    op.drop_index("ix_hf_model_parents_parent_key", "hf_model_parents")
