"""What the report stands on: collected items and their attribution, collection days per source, the creation
windows collected in full (consistent denominators), the Hub's total and newest dump, and collections of this run
that failed.

Consistent denominators. A creation month counts in a back-filled series only when the whole population was
collected for it:
- Hugging Face (new models, new derivatives): the union of the `hf_coverage` windows (completed whole-Hub
  crawls of new models and Hub dumps) covers the whole month;
- GitHub (new repositories): there is no whole-GitHub crawl; the population is the tracked repositories
  (registry organisations and searches), and a creation month counts only when it starts on or after the
  first GitHub collection day, since repositories created before it were found afterwards, by their
  survival and current popularity;
- the current month is partial for every source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from tracker.db.engine import Database
from tracker.db.models import CollectionRun, HfCoverage, HfDump, Report

COUNTS_SQL = """
SELECT
  (SELECT COUNT(*) FROM hf_models) AS hf_models,
  (SELECT COUNT(*) FROM hf_model_latest WHERE country IS NOT NULL) AS hf_models_with_country,
  (SELECT COUNT(*) FROM hf_models WHERE created_at IS NULL) AS hf_models_without_created_at,
  (SELECT COUNT(*) FROM gh_repos) AS gh_repos,
  (SELECT COUNT(*) FROM gh_repo_latest WHERE country IS NOT NULL) AS gh_repos_with_country,
  (SELECT COUNT(*) FROM accounts) AS accounts,
  (SELECT COUNT(*) FROM accounts WHERE country IS NOT NULL) AS accounts_with_country,
  (SELECT COUNT(DISTINCT account_id) FROM gh_contributors) AS gh_contributors,
  (SELECT COUNT(*) FROM hf_models WHERE unlisted_on IS NOT NULL) AS hf_models_unlisted
"""

# Collection days per source: the dates snapshots were stamped with.
COLLECTION_DAYS_SQL = {
    "huggingface": "SELECT DISTINCT captured_on FROM hf_model_snapshots "
    "UNION SELECT DISTINCT captured_on FROM hf_daily_country_totals",
    "github": "SELECT DISTINCT captured_on FROM gh_repo_snapshots",
    "github_contributors": "SELECT DISTINCT captured_on FROM gh_contributors",
}
COLLECTOR_NAMES = {"huggingface": "Hugging Face", "huggingface-dump": "Hugging Face dump", "github": "GitHub"}
STOPPED_EARLY = ("rate_limited", "interrupted")
DUMP_COLLECTOR = "huggingface-dump"
STALE_AFTER = dt.timedelta(days=3)  # a newest Hub dump older than this is named in the log and the report

Window = tuple[dt.datetime | None, dt.datetime]  # (covered_from or None = the Hub's beginning, covered_to)


@dataclass(frozen=True)
class Collection:
    """The collection days of one source."""

    source: str
    first: dt.date | None
    last: dt.date | None
    days: list[dt.date]


@dataclass(frozen=True)
class FailedCollection:
    """A collection of this run (the newest run of its collector since the previous report) that did not finish."""

    collector: str
    status: str
    as_of: dt.date | None  # the newest collection day the figures stand on (for dumps: the newest dump's day)

    @property
    def sentence(self) -> str:
        name = COLLECTOR_NAMES.get(self.collector, self.collector)
        verb = "stopped early" if self.status in STOPPED_EARLY else "failed"
        if self.collector == DUMP_COLLECTOR:
            if self.as_of is None:
                return f"the {name} collection of this run {verb}: there is no Hub dump yet"
            return (
                f"the {name} collection of this run {verb}: whole-Hub figures are as of "
                f"{self.as_of.isoformat()}, the newest Hub dump"
            )
        if self.as_of is None:
            return f"the {name} collection of this run {verb}: there is no earlier collection, so no {name} figures yet"
        return f"the {name} collection of this run {verb}: figures are as of {self.as_of.isoformat()}"


def stale_dump_note(newest: dt.date | None, today: dt.date) -> str | None:
    """A sentence naming a newest dump older than `STALE_AFTER` (None when fresh or when there is none)."""
    if newest is None or today - newest <= STALE_AFTER:
        return None
    return f"the newest Hub dump is from {newest.isoformat()}, {(today - newest).days} days before {today.isoformat()}"


@dataclass(frozen=True)
class Coverage:
    hf_models: int
    hf_models_with_country: int
    hf_models_without_created_at: int
    hf_snapshot_days: int  # collection days of Hugging Face metrics
    gh_repos: int
    gh_repos_with_country: int
    gh_snapshot_days: int
    accounts: int
    accounts_with_country: int
    gh_contributors: int = 0
    hf_models_unlisted: int = 0  # models a Hub dump no longer lists (kept, never deleted)
    hf_windows: list[Window] = field(default_factory=list)
    hub_models: int | None = None  # the Hub's total in the newest dump
    hub_models_on: dt.date | None = None
    newest_dump_on: dt.date | None = None  # the day of the newest ingested dump (`hf_dumps`)
    collections: dict[str, Collection] = field(default_factory=dict)
    failed: list[FailedCollection] = field(default_factory=list)

    @property
    def has_whole_hub(self) -> bool:
        """True when a whole-Hub crawl or a dump has completed (some creation window is known in full)."""
        return bool(self.hf_windows)


def _month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, number = map(int, month.split("-")[:2])
    start = dt.datetime(year, number, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.timezone.utc)
    return start, end


def covers(windows: list[Window], start: dt.datetime, end: dt.datetime) -> bool:
    """True when the union of the closed windows covers [start, end)."""
    reached = start
    for low, high in sorted(windows, key=lambda w: (w[0] is not None, w[0] or start)):
        if low is not None and low > reached:
            return False  # the windows are sorted by start: nothing later closes this gap
        reached = max(reached, high)
        if reached >= end:
            return True
    return False


def merged(windows: list[Window]) -> list[Window]:
    """The union of the windows as disjoint stretches, oldest first (for display: one row per stretch)."""
    result: list[Window] = []
    for low, high in sorted(windows, key=lambda w: (w[0] is not None, w[0] or w[1])):
        if result and (low is None or low <= result[-1][1]):
            result[-1] = (result[-1][0], max(result[-1][1], high))
        else:
            result.append((low, high))
    return result


def hf_month_complete(windows: list[Window], month: str, today: dt.date) -> bool:
    """True when the whole Hub was collected for creation month `month` and it is before `today`'s month."""
    if month >= today.strftime("%Y-%m"):
        return False
    start, end = _month_bounds(month)
    return covers(windows, start, end)


def github_month_complete(first_collection: dt.date | None, month: str, today: dt.date) -> bool:
    """True when `month` starts on or after the first GitHub collection day and is before `today`'s month."""
    if first_collection is None or month >= today.strftime("%Y-%m"):
        return False
    start, _ = _month_bounds(month)
    return start.date() >= first_collection


def as_date(value: object) -> dt.date:
    """A date from a DATE/TIMESTAMP column as either back end returns it (SQLite: text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def coverage(database: Database) -> Coverage:
    """Read the coverage figures (read-only); works on an empty database."""
    with database.read_only_session() as session:
        counts = [int(value or 0) for value in session.execute(text(COUNTS_SQL)).one()]
        windows: list[Window] = [
            (low, high)
            for low, high in session.execute(select(HfCoverage.covered_from, HfCoverage.covered_to))
        ]
        dump = session.execute(
            text(
                "SELECT hub_models, recorded_on FROM hf_coverage WHERE source = 'dump' AND hub_models IS NOT NULL "
                "ORDER BY covered_to DESC LIMIT 1"
            )
        ).first()
        newest_dump = session.execute(
            select(func.max(HfDump.dump_on)).where(HfDump.status == "ingested")
        ).scalar()
        collections = {}
        for source, sql in COLLECTION_DAYS_SQL.items():
            days = sorted({as_date(row[0]) for row in session.execute(text(sql)).all() if row[0] is not None})
            collections[source] = Collection(
                source, days[0] if days else None, days[-1] if days else None, days
            )
        previous_report = session.execute(select(func.max(Report.created_at))).scalar()
        newest = (
            select(func.max(CollectionRun.id))
            .where(CollectionRun.collector.in_(tuple(COLLECTOR_NAMES)))
            .group_by(CollectionRun.collector)
        )
        newest_runs = session.execute(
            select(CollectionRun.collector, CollectionRun.status, CollectionRun.started_at).where(
                CollectionRun.id.in_(newest)
            )
        ).all()
    newest_dump_on = as_date(newest_dump) if newest_dump is not None else None
    failed = []
    for collector, status, started_at in sorted(newest_runs):
        if status not in ("failed", *STOPPED_EARLY):
            continue
        if previous_report is not None and started_at is not None and started_at < previous_report:
            continue  # an older run, already reported on
        as_of = newest_dump_on if collector == DUMP_COLLECTOR else collections[collector].last
        failed.append(FailedCollection(collector, status, as_of))
    windows = [(low, high) for low, high in windows if high is not None]
    (
        hf_models,
        with_country,
        without_created_at,
        gh_repos,
        gh_with_country,
        accounts,
        with_country_accounts,
        people,
        unlisted,
    ) = counts
    return Coverage(
        hf_models=hf_models,
        hf_models_with_country=with_country,
        hf_models_without_created_at=without_created_at,
        hf_snapshot_days=len(collections["huggingface"].days),
        gh_repos=gh_repos,
        gh_repos_with_country=gh_with_country,
        gh_snapshot_days=len(collections["github"].days),
        accounts=accounts,
        accounts_with_country=with_country_accounts,
        gh_contributors=people,
        hf_models_unlisted=unlisted,
        hf_windows=windows,
        hub_models=int(dump[0]) if dump else None,
        hub_models_on=as_date(dump[1]) if dump else None,
        newest_dump_on=newest_dump_on,
        collections=collections,
        failed=failed,
    )
