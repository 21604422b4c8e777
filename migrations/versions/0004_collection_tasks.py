"""Collection tasks: each task of a run with its outcome, failure reason and typed checkpoint (the run
rows' own checkpoint column goes); `http_validators.used_at` for pruning.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collection_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("collector", sa.String(length=40), nullable=False),
        sa.Column("task", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["collection_runs.id"],
            name=op.f("fk_collection_tasks_run_id_collection_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_tasks")),
    )
    op.create_index("ix_collection_tasks_collector_task", "collection_tasks", ["collector", "task", "id"])
    op.create_index(op.f("ix_collection_tasks_run_id"), "collection_tasks", ["run_id"])
    with op.batch_alter_table("collection_runs") as batch_op:  # checkpoints now live on the tasks
        batch_op.drop_column("checkpoint")
    op.add_column("http_validators", sa.Column("used_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("http_validators", "used_at")
    with op.batch_alter_table("collection_runs") as batch_op:
        batch_op.add_column(sa.Column("checkpoint", sa.JSON(), nullable=True))
    op.drop_index(op.f("ix_collection_tasks_run_id"), table_name="collection_tasks")
    op.drop_index("ix_collection_tasks_collector_task", table_name="collection_tasks")
    op.drop_table("collection_tasks")
