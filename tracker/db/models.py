"""The SQL schema as typed SQLAlchemy models: the one place that knows each table's shape.

Keys are the platforms' stable ids (the Hub's `_id`, GitHub's numeric ids), so a renamed model or repo stays
one row; earlier names go to `former_names`. Latest metrics live on the item rows themselves (cheap to read
at full-Hub size); the `*_snapshots` tables hold one row per item per UTC day for trends.
Columns documented here are documented for analysts in docs/schema.md as well.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored naive in UTC and always returned timezone-aware (UTC) on both back ends."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- publishers and their accounts -------------------------------------------------------------------------


class Publisher(Base):
    """A lab, company, community or person behind one or more accounts.

    `registry_*` is what the registry says, `override_*` a manual decision (`tracker publishers set`), and
    `country`/`country_basis`/`country_confidence`/`country_method` the resolved result written by attribution.
    """

    __tablename__ = "publishers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(20))  # company/lab/academic/community/government/person
    registry_country: Mapped[str | None] = mapped_column(String(2))
    registry_basis: Mapped[str | None] = mapped_column(Text)
    registry_no_infer: Mapped[bool] = mapped_column(Boolean, default=False)  # '-' in the registry CSV
    override_country: Mapped[str | None] = mapped_column(String(2))
    override_basis: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2; NULL = unknown
    country_basis: Mapped[str | None] = mapped_column(Text)
    country_confidence: Mapped[float | None] = mapped_column(Float)
    country_method: Mapped[str | None] = mapped_column(String(20))  # manual/registry/location/unknown
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Account(Base):
    """A handle on a platform (`hf` or `github`), optionally linked to a publisher, with its resolved country.

    `handle_key` is the lower-cased handle: both platforms treat namespaces case-insensitively.
    """

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "handle_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(10))
    handle: Mapped[str] = mapped_column(String(200))
    handle_key: Mapped[str] = mapped_column(String(200))
    publisher_id: Mapped[int | None] = mapped_column(
        ForeignKey("publishers.id", ondelete="SET NULL"), index=True
    )
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    country_basis: Mapped[str | None] = mapped_column(Text)
    country_confidence: Mapped[float | None] = mapped_column(Float)
    country_method: Mapped[str | None] = mapped_column(String(20))
    attributed_at: Mapped[dt.datetime | None] = mapped_column()


# --- Hugging Face -----------------------------------------------------------------------------------------


class HfModel(Base):
    """A model repo on the Hub, keyed by its stable `_id`; latest metrics inline, history in snapshots."""

    __tablename__ = "hf_models"
    __table_args__ = (
        Index("ix_hf_models_created_at", "created_at"),
        Index("ix_hf_models_author_key", "author_key"),
        # room for HOT updates of the rows each dump changes (migration 0008)
        {"postgresql_with": {"fillfactor": 60}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[str] = mapped_column(String(40), unique=True)
    repo_id: Mapped[str] = mapped_column(String(300), index=True)
    author: Mapped[str | None] = mapped_column(String(200))
    author_key: Mapped[str | None] = mapped_column(String(200))  # lower(author), for joins with accounts
    created_at: Mapped[dt.datetime | None] = mapped_column()
    created_at_unknown: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # the Hub's 2022-03-02 placeholder
    last_modified: Mapped[dt.datetime | None] = mapped_column()
    pipeline_tag: Mapped[str | None] = mapped_column(String(100))
    library_name: Mapped[str | None] = mapped_column(String(100))
    license: Mapped[str | None] = mapped_column(String(100))
    gated: Mapped[str | None] = mapped_column(String(10))  # 'false', 'auto' or 'manual'
    private: Mapped[bool | None] = mapped_column(Boolean)
    disabled: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    downloads_30d: Mapped[int | None] = mapped_column(BigInteger)
    downloads_all_time: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(Integer)
    trending_score: Mapped[int | None] = mapped_column(Integer)
    metrics_on: Mapped[dt.date | None] = mapped_column(Date)  # UTC date of the newest metrics above
    first_seen_on: Mapped[dt.date | None] = mapped_column(Date)
    last_seen_on: Mapped[dt.date | None] = mapped_column(Date)
    # Written by attribution: the farthest ancestor along base-model edges (the model itself when it has none).
    root_repo_id: Mapped[str | None] = mapped_column(String(300))
    root_author_key: Mapped[str | None] = mapped_column(String(200), index=True)
    root_mixed: Mapped[bool | None] = mapped_column(Boolean)  # a merge whose parents' countries differ
    # The first dump day that no longer listed the model (deleted or made private); NULL while listed.
    unlisted_on: Mapped[dt.date | None] = mapped_column(Date)
    # A digest of the dump values the row was last written from; NULL once the API writes it (migration 0009).
    dump_digest: Mapped[int | None] = mapped_column(BigInteger)


class HfModelParent(Base):
    """A base-model edge: `child` was made from `parent_repo_id` (which may never have been collected)."""

    __tablename__ = "hf_model_parents"

    child_id: Mapped[int] = mapped_column(ForeignKey("hf_models.id", ondelete="CASCADE"), primary_key=True)
    parent_repo_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    relation: Mapped[str] = mapped_column(String(20))  # finetune/adapter/quantized/merge/unknown
    position: Mapped[int] = mapped_column(Integer, default=0)  # order listed by the Hub (first = primary)
    source: Mapped[str] = mapped_column(String(10))  # 'tag' or 'card'

    __table_args__ = (
        Index("ix_hf_model_parents_parent_repo_id", "parent_repo_id"),
        # parents are matched case-insensitively (tracker.attribution.lineage)
        Index("ix_hf_model_parents_parent_key", text("lower(parent_repo_id)")),
    )


class HfModelSnapshot(Base):
    """A model's counters on one UTC day. `downloads_30d` is a rolling window: never sum it across days."""

    __tablename__ = "hf_model_snapshots"

    model_id: Mapped[int] = mapped_column(ForeignKey("hf_models.id", ondelete="CASCADE"), primary_key=True)
    captured_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    downloads_30d: Mapped[int | None] = mapped_column(BigInteger)
    downloads_all_time: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(Integer)
    trending_score: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_hf_model_snapshots_captured_on", "captured_on"),)


class HfDailyCountryTotal(Base):
    """The whole collected Hub on one UTC day, by author country and root-model country (exact roll-up).

    Written after attribution at the end of each collection (tracker.attribution.rollups) from every model's
    newest metrics, so monthly figures stay exact although `hf_model_snapshots` is thinned (docs/scale.md).
    `''` stands for unknown in `country` and `root_country` (they are key columns); views turn it into NULL.
    """

    __tablename__ = "hf_daily_country_totals"

    captured_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    root_country: Mapped[str] = mapped_column(String(2), primary_key=True)
    models: Mapped[int] = mapped_column(Integer)
    downloads_30d: Mapped[int] = mapped_column(BigInteger)
    likes: Mapped[int] = mapped_column(BigInteger)


class HfDataset(Base):
    """A dataset repo on the Hub, keyed by its stable `_id`."""

    __tablename__ = "hf_datasets"
    __table_args__ = (
        Index("ix_hf_datasets_created_at", "created_at"),
        Index("ix_hf_datasets_author_key", "author_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[str] = mapped_column(String(40), unique=True)
    repo_id: Mapped[str] = mapped_column(String(300), index=True)
    author: Mapped[str | None] = mapped_column(String(200))
    author_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime | None] = mapped_column()
    created_at_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    last_modified: Mapped[dt.datetime | None] = mapped_column()
    license: Mapped[str | None] = mapped_column(String(100))
    gated: Mapped[str | None] = mapped_column(String(10))
    private: Mapped[bool | None] = mapped_column(Boolean)
    disabled: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    downloads_30d: Mapped[int | None] = mapped_column(BigInteger)
    downloads_all_time: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(Integer)
    trending_score: Mapped[int | None] = mapped_column(Integer)
    metrics_on: Mapped[dt.date | None] = mapped_column(Date)
    first_seen_on: Mapped[dt.date | None] = mapped_column(Date)
    last_seen_on: Mapped[dt.date | None] = mapped_column(Date)


class HfDatasetSnapshot(Base):
    """A dataset's counters on one UTC day."""

    __tablename__ = "hf_dataset_snapshots"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("hf_datasets.id", ondelete="CASCADE"), primary_key=True
    )
    captured_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    downloads_30d: Mapped[int | None] = mapped_column(BigInteger)
    downloads_all_time: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(Integer)
    trending_score: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_hf_dataset_snapshots_captured_on", "captured_on"),)


# --- GitHub -------------------------------------------------------------------------------------------------


class GhAccount(Base):
    """A GitHub organisation or user, keyed by GitHub's numeric id."""

    __tablename__ = "gh_accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    login: Mapped[str] = mapped_column(String(100), index=True)
    login_key: Mapped[str] = mapped_column(String(100), index=True)  # lower(login)
    type: Mapped[str | None] = mapped_column(String(20))  # 'Organization' or 'User'
    name: Mapped[str | None] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(Text)
    company: Mapped[str | None] = mapped_column(String(300))
    blog: Mapped[str | None] = mapped_column(Text)
    public_repos: Mapped[int | None] = mapped_column(Integer)
    followers: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime | None] = mapped_column()
    profile_fetched_at: Mapped[dt.datetime | None] = mapped_column()  # NULL: only seen inside another object
    gone: Mapped[bool] = mapped_column(Boolean, default=False)  # 404/451 at the last attempt


class GhRepo(Base):
    """A GitHub repository, keyed by numeric id; latest counts inline, history in `gh_repo_snapshots`."""

    __tablename__ = "gh_repos"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    full_name: Mapped[str] = mapped_column(String(300), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("gh_accounts.id"), index=True)
    owner_login: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(100))
    license: Mapped[str | None] = mapped_column(String(100))  # SPDX id
    topics: Mapped[list[str] | None] = mapped_column(JSON)
    fork: Mapped[bool | None] = mapped_column(Boolean)
    archived: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    pushed_at: Mapped[dt.datetime | None] = mapped_column()
    stars: Mapped[int | None] = mapped_column(Integer)
    forks: Mapped[int | None] = mapped_column(Integer)
    watchers: Mapped[int | None] = mapped_column(Integer)  # subscribers_count, not watchers_count (= stars)
    open_issues: Mapped[int | None] = mapped_column(Integer)
    metrics_on: Mapped[dt.date | None] = mapped_column(Date)
    tracked_because: Mapped[str | None] = mapped_column(String(20))  # 'registry', 'org' or 'search'
    first_seen_on: Mapped[dt.date | None] = mapped_column(Date)
    last_seen_on: Mapped[dt.date | None] = mapped_column(Date)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)


class GhRepoSnapshot(Base):
    """A repository's counts on one UTC day."""

    __tablename__ = "gh_repo_snapshots"

    repo_id: Mapped[int] = mapped_column(ForeignKey("gh_repos.id", ondelete="CASCADE"), primary_key=True)
    captured_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    stars: Mapped[int | None] = mapped_column(Integer)
    forks: Mapped[int | None] = mapped_column(Integer)
    watchers: Mapped[int | None] = mapped_column(Integer)
    open_issues: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_gh_repo_snapshots_captured_on", "captured_on"),)


class GhContributor(Base):
    """A (non-anonymous) contributor of a repository and their contribution count as of one UTC day."""

    __tablename__ = "gh_contributors"

    repo_id: Mapped[int] = mapped_column(ForeignKey("gh_repos.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("gh_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    captured_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    contributions: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_gh_contributors_account_id", "account_id"),
        Index("ix_gh_contributors_captured_on", "captured_on"),
    )


# --- history of names, runs, HTTP validators, reports ----------------------------------------------------


class FormerName(Base):
    """An earlier name of a renamed item: entity is 'hf_model', 'hf_dataset', 'gh_repo' or 'gh_account'."""

    __tablename__ = "former_names"

    entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the item's key, as text
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    replaced_on: Mapped[dt.date] = mapped_column(Date)


class CollectionRun(Base):
    """One run of a collector (or of attribution, reports): status and counters (its tasks: `collection_tasks`)."""

    __tablename__ = "collection_runs"
    __table_args__ = (Index("ix_collection_runs_collector_started_at", "collector", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collector: Mapped[str] = mapped_column(String(40))  # 'huggingface', 'github', 'attribution', 'report'
    run_date: Mapped[dt.date] = mapped_column(Date)  # the UTC date stamped on snapshots (TRACKER_TODAY)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))  # running/ok/failed/rate_limited/interrupted
    items: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # malformed items logged and skipped
    errors: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    waits: Mapped[float] = mapped_column(Float, default=0.0)  # seconds spent waiting on rate limits/backoff
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)  # 304 answers
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)


class CollectionTask(Base):
    """One task of a collection run (a listing, a crawl, an owner, a dump file): its outcome and its checkpoint.

    The newest row of a task (by collector and key) says where it stands: `ok`, or still to resume from its
    checkpoint, or `failed` with the reason (tried again, after the others, by the next run)."""

    __tablename__ = "collection_tasks"
    __table_args__ = (Index("ix_collection_tasks_collector_task", "collector", "task", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("collection_runs.id", ondelete="CASCADE"), index=True)
    collector: Mapped[str] = mapped_column(String(40))
    task: Mapped[str] = mapped_column(String(300))  # the task's key, stable across runs
    status: Mapped[str] = mapped_column(String(20))  # running/ok/failed/rate_limited/interrupted
    items: Mapped[int] = mapped_column(Integer, default=0)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class CollectorState(Base):
    """Durable per-collector state that outlives runs, e.g. the high-water mark of the global model crawl."""

    __tablename__ = "collector_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HfCoverage(Base):
    """A stretch of creation time for which the whole Hub's models were collected (a completed crawl or a dump).

    A creation month counts in back-filled series only when the union of these windows covers all of it."""

    __tablename__ = "hf_coverage"
    __table_args__ = (Index("ix_hf_coverage_source_covered_to", "source", "covered_to"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # 'api' (a completed new-model crawl) or 'dump'
    run_id: Mapped[int | None] = mapped_column(Integer)
    covered_from: Mapped[dt.datetime | None] = mapped_column()  # NULL: from the Hub's beginning
    covered_to: Mapped[dt.datetime] = mapped_column()
    hub_models: Mapped[int | None] = mapped_column(
        BigInteger
    )  # models in the dump (the Hub's total); dumps only
    recorded_on: Mapped[dt.date] = mapped_column(Date)  # the run date (a dump's own date for dumps)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HfDump(Base):
    """A daily metadata dump of the Hub (a commit of the `dump_repo` dataset) and what ingesting it stored.

    `dump_on` is the UTC day of the commit: its history (snapshots, roll-ups) is stored under that day.
    `status` is 'ingested' or 'duplicate' (same file etag as an earlier dump: not a new point)."""

    __tablename__ = "hf_dumps"
    __table_args__ = (Index("ix_hf_dumps_dump_on", "dump_on"),)

    commit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    repo: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    committed_at: Mapped[dt.datetime] = mapped_column()
    dump_on: Mapped[dt.date] = mapped_column(Date)
    etag: Mapped[str | None] = mapped_column(String(200))  # X-Linked-Etag (the file's sha256 for LFS files)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    models: Mapped[int] = mapped_column(BigInteger)  # rows stored (the Hub's listed models that day)
    skipped: Mapped[int] = mapped_column(Integer)  # rows without a usable id
    status: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int | None] = mapped_column(Integer)
    ingested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HttpValidator(Base):
    """The validators (and body) of the last 200 answer per URL, for conditional requests."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)  # never contains a token
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(Text)  # reused when the server answers 304
    link_next: Mapped[str | None] = mapped_column(String(2000))
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column()  # last request (200 or 304); pruned after 30 days


class Report(Base):
    """A written summary report: where it went, its verdict and every figure (as JSON)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    report_date: Mapped[dt.date] = mapped_column(Date, index=True)
    out_dir: Mapped[str] = mapped_column(Text)
    formats: Mapped[str] = mapped_column(String(50))
    verdict: Mapped[str | None] = mapped_column(String(30))
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SchedulerJob(Base):
    """The daemon's view of each scheduled job, so `tracker status` can show next run times."""

    __tablename__ = "scheduler_jobs"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(100))
    next_run_at: Mapped[dt.datetime | None] = mapped_column()
    daemon: Mapped[str | None] = mapped_column(String(200))  # host:pid of the daemon that wrote this row
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
