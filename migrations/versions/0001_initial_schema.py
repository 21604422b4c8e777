"""Initial schema: publishers and accounts, Hugging Face and GitHub items with daily snapshots, runs,
HTTP validators, reports and the daemon's job table.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 13:24:50.221892
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "collection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collector", sa.String(length=40), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("waits", sa.Float(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("not_modified", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_runs")),
    )
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collection_runs_collector_started_at", ["collector", "started_at"], unique=False
        )

    op.create_table(
        "collector_state",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_collector_state")),
    )
    op.create_table(
        "former_names",
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("replaced_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", "name", name=op.f("pk_former_names")),
    )
    op.create_table(
        "gh_accounts",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("login_key", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("company", sa.String(length=300), nullable=True),
        sa.Column("blog", sa.Text(), nullable=True),
        sa.Column("public_repos", sa.Integer(), nullable=True),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("profile_fetched_at", sa.DateTime(), nullable=True),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gh_accounts")),
    )
    with op.batch_alter_table("gh_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gh_accounts_login"), ["login"], unique=False)
        batch_op.create_index(batch_op.f("ix_gh_accounts_login_key"), ["login_key"], unique=False)

    op.create_table(
        "hf_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.String(length=40), nullable=False),
        sa.Column("repo_id", sa.String(length=300), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("author_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("created_at_unknown", sa.Boolean(), nullable=False),
        sa.Column("last_modified", sa.DateTime(), nullable=True),
        sa.Column("license", sa.String(length=100), nullable=True),
        sa.Column("gated", sa.String(length=10), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("downloads_30d", sa.BigInteger(), nullable=True),
        sa.Column("downloads_all_time", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("trending_score", sa.Integer(), nullable=True),
        sa.Column("metrics_on", sa.Date(), nullable=True),
        sa.Column("first_seen_on", sa.Date(), nullable=True),
        sa.Column("last_seen_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hf_datasets")),
        sa.UniqueConstraint("hub_id", name=op.f("uq_hf_datasets_hub_id")),
    )
    with op.batch_alter_table("hf_datasets", schema=None) as batch_op:
        batch_op.create_index("ix_hf_datasets_author_key", ["author_key"], unique=False)
        batch_op.create_index("ix_hf_datasets_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_hf_datasets_repo_id"), ["repo_id"], unique=False)

    op.create_table(
        "hf_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.String(length=40), nullable=False),
        sa.Column("repo_id", sa.String(length=300), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("author_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("created_at_unknown", sa.Boolean(), nullable=False),
        sa.Column("last_modified", sa.DateTime(), nullable=True),
        sa.Column("pipeline_tag", sa.String(length=100), nullable=True),
        sa.Column("library_name", sa.String(length=100), nullable=True),
        sa.Column("license", sa.String(length=100), nullable=True),
        sa.Column("gated", sa.String(length=10), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("downloads_30d", sa.BigInteger(), nullable=True),
        sa.Column("downloads_all_time", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("trending_score", sa.Integer(), nullable=True),
        sa.Column("metrics_on", sa.Date(), nullable=True),
        sa.Column("first_seen_on", sa.Date(), nullable=True),
        sa.Column("last_seen_on", sa.Date(), nullable=True),
        sa.Column("root_repo_id", sa.String(length=300), nullable=True),
        sa.Column("root_author_key", sa.String(length=200), nullable=True),
        sa.Column("root_mixed", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hf_models")),
        sa.UniqueConstraint("hub_id", name=op.f("uq_hf_models_hub_id")),
    )
    with op.batch_alter_table("hf_models", schema=None) as batch_op:
        batch_op.create_index("ix_hf_models_author_key", ["author_key"], unique=False)
        batch_op.create_index("ix_hf_models_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_hf_models_repo_id"), ["repo_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hf_models_root_author_key"), ["root_author_key"], unique=False)

    op.create_table(
        "http_validators",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("etag", sa.String(length=300), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("link_next", sa.String(length=2000), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_http_validators")),
    )
    op.create_table(
        "publishers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("registry_country", sa.String(length=2), nullable=True),
        sa.Column("registry_basis", sa.Text(), nullable=True),
        sa.Column("registry_no_infer", sa.Boolean(), nullable=False),
        sa.Column("override_country", sa.String(length=2), nullable=True),
        sa.Column("override_basis", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("country_basis", sa.Text(), nullable=True),
        sa.Column("country_confidence", sa.Float(), nullable=True),
        sa.Column("country_method", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publishers")),
        sa.UniqueConstraint("slug", name=op.f("uq_publishers_slug")),
    )
    with op.batch_alter_table("publishers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publishers_country"), ["country"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=False),
        sa.Column("formats", sa.String(length=50), nullable=False),
        sa.Column("verdict", sa.String(length=30), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_report_date"), ["report_date"], unique=False)

    op.create_table(
        "scheduler_jobs",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("daemon", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_scheduler_jobs")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("handle_key", sa.String(length=200), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("country_basis", sa.Text(), nullable=True),
        sa.Column("country_confidence", sa.Float(), nullable=True),
        sa.Column("country_method", sa.String(length=20), nullable=True),
        sa.Column("attributed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["publishers.id"],
            name=op.f("fk_accounts_publisher_id_publishers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("platform", "handle_key", name=op.f("uq_accounts_platform_handle_key")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_publisher_id"), ["publisher_id"], unique=False)

    op.create_table(
        "gh_repos",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("owner_login", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=100), nullable=True),
        sa.Column("license", sa.String(length=100), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=True),
        sa.Column("fork", sa.Boolean(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("forks", sa.Integer(), nullable=True),
        sa.Column("watchers", sa.Integer(), nullable=True),
        sa.Column("open_issues", sa.Integer(), nullable=True),
        sa.Column("metrics_on", sa.Date(), nullable=True),
        sa.Column("tracked_because", sa.String(length=20), nullable=True),
        sa.Column("first_seen_on", sa.Date(), nullable=True),
        sa.Column("last_seen_on", sa.Date(), nullable=True),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["gh_accounts.id"], name=op.f("fk_gh_repos_owner_id_gh_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gh_repos")),
    )
    with op.batch_alter_table("gh_repos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gh_repos_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gh_repos_full_name"), ["full_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_gh_repos_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "hf_dataset_snapshots",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("downloads_30d", sa.BigInteger(), nullable=True),
        sa.Column("downloads_all_time", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("trending_score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["hf_datasets.id"],
            name=op.f("fk_hf_dataset_snapshots_dataset_id_hf_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "captured_on", name=op.f("pk_hf_dataset_snapshots")),
    )
    with op.batch_alter_table("hf_dataset_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_hf_dataset_snapshots_captured_on", ["captured_on"], unique=False)

    op.create_table(
        "hf_model_parents",
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_repo_id", sa.String(length=300), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["hf_models.id"],
            name=op.f("fk_hf_model_parents_child_id_hf_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("child_id", "parent_repo_id", name=op.f("pk_hf_model_parents")),
    )
    with op.batch_alter_table("hf_model_parents", schema=None) as batch_op:
        batch_op.create_index("ix_hf_model_parents_parent_repo_id", ["parent_repo_id"], unique=False)

    op.create_table(
        "hf_model_snapshots",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("downloads_30d", sa.BigInteger(), nullable=True),
        sa.Column("downloads_all_time", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("trending_score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["hf_models.id"],
            name=op.f("fk_hf_model_snapshots_model_id_hf_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "captured_on", name=op.f("pk_hf_model_snapshots")),
    )
    with op.batch_alter_table("hf_model_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_hf_model_snapshots_captured_on", ["captured_on"], unique=False)

    op.create_table(
        "gh_contributors",
        sa.Column("repo_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["gh_accounts.id"],
            name=op.f("fk_gh_contributors_account_id_gh_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["gh_repos.id"], name=op.f("fk_gh_contributors_repo_id_gh_repos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("repo_id", "account_id", "captured_on", name=op.f("pk_gh_contributors")),
    )
    with op.batch_alter_table("gh_contributors", schema=None) as batch_op:
        batch_op.create_index("ix_gh_contributors_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_gh_contributors_captured_on", ["captured_on"], unique=False)

    op.create_table(
        "gh_repo_snapshots",
        sa.Column("repo_id", sa.BigInteger(), nullable=False),
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("forks", sa.Integer(), nullable=True),
        sa.Column("watchers", sa.Integer(), nullable=True),
        sa.Column("open_issues", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["repo_id"],
            ["gh_repos.id"],
            name=op.f("fk_gh_repo_snapshots_repo_id_gh_repos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repo_id", "captured_on", name=op.f("pk_gh_repo_snapshots")),
    )
    with op.batch_alter_table("gh_repo_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_gh_repo_snapshots_captured_on", ["captured_on"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("gh_repo_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_gh_repo_snapshots_captured_on")

    op.drop_table("gh_repo_snapshots")
    with op.batch_alter_table("gh_contributors", schema=None) as batch_op:
        batch_op.drop_index("ix_gh_contributors_captured_on")
        batch_op.drop_index("ix_gh_contributors_account_id")

    op.drop_table("gh_contributors")
    with op.batch_alter_table("hf_model_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_hf_model_snapshots_captured_on")

    op.drop_table("hf_model_snapshots")
    with op.batch_alter_table("hf_model_parents", schema=None) as batch_op:
        batch_op.drop_index("ix_hf_model_parents_parent_repo_id")

    op.drop_table("hf_model_parents")
    with op.batch_alter_table("hf_dataset_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_hf_dataset_snapshots_captured_on")

    op.drop_table("hf_dataset_snapshots")
    with op.batch_alter_table("gh_repos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gh_repos_owner_id"))
        batch_op.drop_index(batch_op.f("ix_gh_repos_full_name"))
        batch_op.drop_index(batch_op.f("ix_gh_repos_created_at"))

    op.drop_table("gh_repos")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_publisher_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_country"))

    op.drop_table("accounts")
    op.drop_table("scheduler_jobs")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_report_date"))

    op.drop_table("reports")
    with op.batch_alter_table("publishers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publishers_country"))

    op.drop_table("publishers")
    op.drop_table("http_validators")
    with op.batch_alter_table("hf_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hf_models_root_author_key"))
        batch_op.drop_index(batch_op.f("ix_hf_models_repo_id"))
        batch_op.drop_index("ix_hf_models_created_at")
        batch_op.drop_index("ix_hf_models_author_key")

    op.drop_table("hf_models")
    with op.batch_alter_table("hf_datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hf_datasets_repo_id"))
        batch_op.drop_index("ix_hf_datasets_created_at")
        batch_op.drop_index("ix_hf_datasets_author_key")

    op.drop_table("hf_datasets")
    with op.batch_alter_table("gh_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gh_accounts_login_key"))
        batch_op.drop_index(batch_op.f("ix_gh_accounts_login"))

    op.drop_table("gh_accounts")
    op.drop_table("former_names")
    op.drop_table("collector_state")
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_collection_runs_collector_started_at")

    op.drop_table("collection_runs")
