"""The signals of the shift: each a value per country, monthly where history allows and as of the latest data.

Signals read from the daily roll-ups (downloads and likes) also have a point per roll-up day (`points`: every
Hub dump and every collection day rolled up). Trends and the verdict use the monthly series only: a rolling
30-day download count on days a week apart shares about three weeks of downloads with the next (the points are
not independent), and months are the unit comparable across the API and dump eras.

Every signal is read from a view (see tracker/db/views.py and docs/sql-interface.md); the queries below only
pick a view's columns. Aggregation happens in SQL, so the Python side handles at most a few thousand
(month, country) rows whatever the size of the database, and for the points per day one row per roll-up day
and country pair (a few hundred pairs a day).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tracker.analyses.coverage import (
    Coverage,
    as_date,
    coverage,
    github_month_complete,
    hf_month_complete,
)
from tracker.analyses.download_counting import CountingChange, counting_changes
from tracker.analyses.regions import attributed_shares, group_shares
from tracker.db.engine import Database

_HF_LATEST = "SELECT MAX(metrics_on) FROM hf_models"
_GH_LATEST = "SELECT MAX(metrics_on) FROM gh_repos"
_CONTRIBUTORS_LATEST = "SELECT MAX(captured_on) FROM gh_contributors"
# Several signals share one monthly view; compute_signals reads each such query once.
_MODEL_METRICS = "SELECT month, country, root_country, downloads_30d, likes FROM monthly_model_metrics"
# The same columns per roll-up day, so a spec's country and value columns pick from both.
_DAILY_MODEL_METRICS = (
    "SELECT captured_on, country, root_country, downloads_30d, likes FROM daily_model_metrics"
)
_REPO_METRICS = "SELECT month, country, stars, forks FROM monthly_repo_metrics"


@dataclass(frozen=True)
class SignalSpec:
    """How one signal is read: monthly (month, country, value) rows and, optionally, latest (country, value)."""

    key: str
    title: str
    unit: str
    history: str  # "creation": back-filled from creation dates; "snapshot": starts with the first crawl
    definition: str
    monthly_sql: str
    latest_sql: str | None = None  # None: "latest" is the newest month of the monthly series
    latest_date_sql: str | None = None  # the date the latest figures describe
    daily_sql: str | None = None  # (day, country, value) rows laid out as the monthly rows: a point per day
    in_verdict: bool = True
    country_column: int = 1  # which columns of a monthly (and daily) row hold the country and the value
    value_column: int = 2
    source: str = (
        "huggingface"  # whose collection days and coverage apply: huggingface, github, github_contributors
    )


SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec(
        key="new_models",
        title="New models published",
        unit="models",
        history="creation",
        definition="Hugging Face models created each month, by the country of their author (monthly_new_models).",
        monthly_sql="SELECT month, country, models FROM monthly_new_models",
    ),
    SignalSpec(
        key="new_derivatives_by_root",
        title="New derivative models by root-model country",
        unit="derivatives",
        history="creation",
        definition=(
            "Models with at least one base-model edge (fine-tunes, adapters, quantisations, merges) created "
            "each month, by the country of their root base model: who builds on whose technology "
            "(monthly_derivatives_by_root)."
        ),
        monthly_sql="SELECT month, root_country, derivatives FROM monthly_derivatives_by_root",
    ),
    SignalSpec(
        key="downloads_30d",
        title="30-day downloads by author country",
        unit="downloads",
        history="snapshot",
        definition=(
            "Hub-reported 30-day downloads of models (not datasets), each model's newest snapshot, by author "
            "country (country_downloads_latest; monthly: monthly_model_metrics)."
        ),
        monthly_sql=_MODEL_METRICS,
        daily_sql=_DAILY_MODEL_METRICS,
        value_column=3,
        latest_sql="SELECT country, downloads_30d FROM country_downloads_latest",
        latest_date_sql=_HF_LATEST,
    ),
    SignalSpec(
        key="downloads_30d_by_root",
        title="30-day downloads by root-model country",
        unit="downloads",
        history="snapshot",
        definition=(
            "The same downloads by the country of each model's root base model (root_country_downloads_latest). "
            "Not counted in the overall verdict: it re-weighs the downloads signal."
        ),
        monthly_sql=_MODEL_METRICS,
        daily_sql=_DAILY_MODEL_METRICS,
        country_column=2,
        value_column=3,
        latest_sql="SELECT root_country, downloads_30d FROM root_country_downloads_latest",
        latest_date_sql=_HF_LATEST,
        in_verdict=False,
    ),
    SignalSpec(
        key="likes",
        title="Likes by author country",
        unit="likes",
        history="snapshot",
        definition="Likes of models, each model's newest snapshot, by author country (country_likes_latest).",
        monthly_sql=_MODEL_METRICS,
        daily_sql=_DAILY_MODEL_METRICS,
        value_column=4,
        latest_sql="SELECT country, likes FROM country_likes_latest",
        latest_date_sql=_HF_LATEST,
    ),
    SignalSpec(
        key="github_stars",
        title="GitHub stars by owner country",
        unit="stars",
        history="snapshot",
        definition="Stars of tracked AI repositories, newest snapshot, by owner country (country_stars_latest).",
        monthly_sql=_REPO_METRICS,
        latest_sql="SELECT country, stars FROM country_stars_latest",
        latest_date_sql=_GH_LATEST,
        source="github",
    ),
    SignalSpec(
        key="github_forks",
        title="GitHub forks by owner country",
        unit="forks",
        history="snapshot",
        definition=(
            "Forks of tracked AI repositories, newest snapshot, by owner country (country_forks_latest). "
            "Not counted in the overall verdict: it moves with stars."
        ),
        monthly_sql=_REPO_METRICS,
        value_column=3,
        latest_sql="SELECT country, forks FROM country_forks_latest",
        latest_date_sql=_GH_LATEST,
        in_verdict=False,
        source="github",
    ),
    SignalSpec(
        key="github_new_repos",
        title="New AI repositories by owner country",
        unit="repositories",
        history="creation",
        definition="Tracked GitHub repositories (forks excluded) by creation month and owner country (monthly_new_repos).",
        monthly_sql="SELECT month, country, repos FROM monthly_new_repos",
        source="github",
    ),
    SignalSpec(
        key="github_contributions",
        title="GitHub contributions by contributor country",
        unit="contributions",
        history="snapshot",
        definition=(
            "Contributors of tracked repositories weighted by their contribution counts, newest contributor "
            "lists, by the contributor's country (country_contributions_latest)."
        ),
        monthly_sql="SELECT month, country, contributions FROM monthly_contributions",
        latest_sql="SELECT country, contributions FROM country_contributions_latest",
        latest_date_sql=_CONTRIBUTORS_LATEST,
        source="github_contributors",
    ),
)

SIGNALS_BY_KEY = {spec.key: spec for spec in SIGNALS}


@dataclass
class MonthlyShares:
    """One month: shares of the whole total (unknown included) and of the attributed total, and coverage.

    `partial`: a creation month whose whole population was not collected (or the current month); shown,
    never used in trends. `collected_on`: for snapshot signals, the collection day the value is from.
    """

    month: str
    total: float
    shares: dict[str, float | None]
    attributed_total: float = 0.0
    shares_attributed: dict[str, float | None] = field(default_factory=dict)
    coverage: float | None = None
    partial: bool = False
    collected_on: dt.date | None = None


@dataclass
class DailyShares:
    """One roll-up day: the same figures as a month's, and the download counting changes since the previous
    point (after its day, up to this day): the point is the first counted the new way."""

    day: dt.date
    total: float
    shares: dict[str, float | None]
    attributed_total: float
    shares_attributed: dict[str, float | None]
    coverage: float | None
    counting_changes: list[CountingChange] = field(default_factory=list)


@dataclass
class SignalResult:
    """One signal's figures: shares by group (fractions 0..1) now and per month, and the largest countries."""

    spec: SignalSpec
    latest_label: str  # the snapshot date or month the latest figures describe
    latest_total: float
    latest_shares: dict[str, float | None]
    top_countries: list[tuple[str | None, float]]
    monthly: list[MonthlyShares] = field(default_factory=list)
    latest_attributed_total: float = 0.0
    latest_shares_attributed: dict[str, float | None] = field(default_factory=dict)
    latest_coverage: float | None = None
    latest_partial: bool = False  # the latest figures are of a partial month
    points: list[DailyShares] = field(default_factory=list)  # a point per roll-up day (spec.daily_sql)

    @property
    def comparable(self) -> list[MonthlyShares]:
        """The months trends may use: partial months left out."""
        return [point for point in self.monthly if not point.partial]


def _by_country(rows: list[tuple[str | None, float | None]]) -> dict[str | None, float]:
    values: dict[str | None, float] = defaultdict(float)
    for country, value in rows:
        values[country.upper() if country else None] += float(value or 0)
    return values


def month_is_partial(spec: SignalSpec, month: str, today: dt.date, cover: Coverage) -> bool:
    """True for a creation month whose whole population was not collected (tracker.analyses.coverage)."""
    if spec.history != "creation":
        return False
    if spec.source == "huggingface":
        return not hf_month_complete(cover.hf_windows, month, today)
    return not github_month_complete(cover.collections[spec.source].first, month, today)


def _collected_on(cover: Coverage, source: str, month: str) -> dt.date | None:
    days = [day for day in cover.collections[source].days if day.strftime("%Y-%m") == month]
    return max(days) if days else None


def _rows(session: Session, sql: str, cache: dict[str, list[Any]]) -> list[Any]:
    """The rows of `sql`, read once per cache (signals sharing a view)."""
    if sql not in cache:
        cache[sql] = list(session.execute(text(sql)).all())
    return cache[sql]


def _grouped(spec: SignalSpec, rows: list[Any]) -> dict[Any, list[tuple[str | None, float | None]]]:
    """(country, value) pairs per period (a month or a day), from rows laid out as the spec's monthly rows."""
    grouped: dict[Any, list[tuple[str | None, float | None]]] = defaultdict(list)
    for row in rows:
        if row[0] is not None:
            grouped[row[0]].append((row[spec.country_column], row[spec.value_column]))
    return grouped


def daily_points(spec: SignalSpec, rows: list[Any]) -> list[DailyShares]:
    """A point per day with a non-zero total, oldest first; downloads points carry the counting changes
    since the previous point."""
    per_day: dict[dt.date, list[tuple[str | None, float | None]]] = defaultdict(list)
    for day, pairs in _grouped(spec, rows).items():
        per_day[as_date(day)] += pairs  # SQLite answers dates as text
    points: list[DailyShares] = []
    for day in sorted(per_day):
        values = _by_country(per_day[day])
        total, shares = group_shares(values)
        if total <= 0:
            continue
        attributed, shares_attributed, day_coverage = attributed_shares(values)
        changes = []
        if points and spec.unit == "downloads":
            after = points[-1].day + dt.timedelta(days=1)
            changes = counting_changes(after, day, "models")
        points.append(DailyShares(day, total, shares, attributed, shares_attributed, day_coverage, changes))
    return points


def compute_signal(
    database: Database,
    spec: SignalSpec,
    today: dt.date,
    cache: dict[str, list[Any]] | None = None,
    cover: Coverage | None = None,
) -> SignalResult:
    """Read one signal. Creation months whose whole population was not collected, and the current month,
    are marked partial; the latest figures of a creation signal are its newest complete month when it has one.

    `cache` maps monthly queries to their rows, so signals sharing a view read it once.
    """
    cover = cover if cover is not None else coverage(database)
    cache = {} if cache is None else cache
    with database.read_only_session() as session:
        monthly_rows = _rows(session, spec.monthly_sql, cache)
        daily_rows = _rows(session, spec.daily_sql, cache) if spec.daily_sql else []
        latest_rows = session.execute(text(spec.latest_sql)).all() if spec.latest_sql else None
        latest_date = session.execute(text(spec.latest_date_sql)).scalar() if spec.latest_date_sql else None

    per_month = _grouped(spec, monthly_rows)
    monthly = []
    for month in sorted(per_month):
        values = _by_country(per_month[month])
        total, shares = group_shares(values)
        attributed, shares_attributed, month_coverage = attributed_shares(values)
        if total > 0:
            monthly.append(
                MonthlyShares(
                    month=month,
                    total=total,
                    shares=shares,
                    attributed_total=attributed,
                    shares_attributed=shares_attributed,
                    coverage=month_coverage,
                    partial=month_is_partial(spec, month, today, cover),
                    collected_on=_collected_on(cover, spec.source, month)
                    if spec.history == "snapshot"
                    else None,
                )
            )

    latest_partial = False
    if latest_rows is not None:
        latest_values = _by_country([(country, value) for country, value in latest_rows])
        label = str(latest_date) if latest_date else "no data"
    elif monthly:
        newest = ([point for point in monthly if not point.partial] or monthly)[-1]
        latest_values = _by_country(per_month[newest.month])
        label, latest_partial = newest.month, newest.partial
    else:
        latest_values, label = {}, "no data"
    latest_total, latest_shares = group_shares(latest_values)
    latest_attributed, latest_shares_attributed, latest_coverage = attributed_shares(latest_values)
    top = sorted(((c, v) for c, v in latest_values.items() if v), key=lambda item: -item[1])[:10]
    return SignalResult(
        spec=spec,
        latest_label=label,
        latest_total=latest_total,
        latest_shares=latest_shares,
        top_countries=top,
        monthly=monthly,
        latest_attributed_total=latest_attributed,
        latest_shares_attributed=latest_shares_attributed,
        latest_coverage=latest_coverage,
        latest_partial=latest_partial,
        points=daily_points(spec, daily_rows),
    )


def compute_signals(database: Database, today: dt.date, cover: Coverage | None = None) -> list[SignalResult]:
    """Every signal in SIGNALS order."""
    cover = cover if cover is not None else coverage(database)
    cache: dict[str, list[Any]] = {}
    return [compute_signal(database, spec, today, cache, cover) for spec in SIGNALS]
