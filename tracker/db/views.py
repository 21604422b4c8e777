"""The SQL views analysts query: declared once here, column by column, for SQLite and PostgreSQL.

Views hold no data, so they are not versioned by Alembic revisions: `migrations/env.py` drops them before any
migration runs and creates them again (from the declarations below) once the schema is at head. Each view's
SQL is a template; `{month:EXPR}` becomes the back end's `YYYY-MM` formatting of a timestamp.
docs/sql-interface.md is generated from these declarations (`python -m tracker.db.views > docs/...`) and a
test checks that it documents every column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, text

from tracker.db.readonly import grant_reader


@dataclass(frozen=True)
class View:
    name: str
    description: str
    columns: dict[str, str]  # column -> meaning, in output order
    sql: str

    def render(self, dialect: str) -> str:
        """The SELECT statement for `dialect` ('sqlite' or 'postgresql')."""

        def month(match: re.Match[str]) -> str:
            return month_sql(dialect, match.group(1))

        def bound(match: re.Match[str]) -> str:
            which, expression = match.group(1), match.group(2)
            if dialect == "postgresql":
                start = f"to_timestamp({expression} || '-01', 'YYYY-MM-DD')::timestamp"
                return start if which == "start" else f"({start} + interval '1 month')"
            # SQLite keeps timestamps as text in SQLAlchemy's format, microseconds included: compare like with like.
            if which == "start":
                return f"({expression} || '-01 00:00:00.000000')"
            return f"(datetime({expression} || '-01', '+1 month') || '.000000')"

        sql = re.sub(r"\{month_(start|end):([^}]+)\}", bound, self.sql)
        return re.sub(r"\{month:([^}]+)\}", month, sql)


def month_sql(dialect: str, expression: str) -> str:
    """SQL formatting a timestamp `expression` as `YYYY-MM` on `dialect` ('sqlite' or 'postgresql')."""
    if dialect == "postgresql":
        return f"to_char({expression}, 'YYYY-MM')"
    return f"strftime('%Y-%m', {expression})"


# Countries are resolved per account (see tracker.attribution); these joins are how every view finds them.
HF_AUTHOR_COUNTRY = "LEFT JOIN accounts a ON a.platform = 'hf' AND a.handle_key = m.author_key"
# The newest day a model's inline metrics are known to hold on: a dump that lists a model with the same values
# leaves its row (and `metrics_on`) as it is, so a model still listed holds them on the newest dump's day too.
HF_NEWEST_DUMP = "CROSS JOIN (SELECT MAX(dump_on) AS newest FROM hf_dumps WHERE status = 'ingested') dump"
HF_METRICS_AS_OF = (
    "CASE WHEN m.unlisted_on IS NULL AND dump.newest > m.metrics_on THEN dump.newest ELSE m.metrics_on END"
)
_HF_ROOT_COUNTRY = "LEFT JOIN accounts ra ON ra.platform = 'hf' AND ra.handle_key = m.root_author_key"

_SHARE = "fraction (0..1) of the total over all rows, the unknown row included"
_SHARE_ATTRIBUTED = (
    "fraction (0..1) of the attributed total (the rows with a known country); NULL on the unknown row: "
    "the headline share"
)
_COVERAGE = "fraction (0..1) of the total that is attributed to a country (the same on every row)"
_MONTH_SHARE_ATTRIBUTED = (
    "fraction (0..1) of the month's attributed total (rows with a known country); NULL on the unknown row"
)
_MONTH_COVERAGE = (
    "fraction (0..1) of the month's total that is attributed to a country (the same on the month's rows)"
)


def _attributed(group: str, total: str, partition: str = "") -> str:
    """`share_attributed` and `coverage` columns for a view grouped by `group` (a country expression)."""
    known = f"SUM(CASE WHEN {group} IS NOT NULL THEN {total} ELSE 0 END) OVER ({partition})"
    return (
        f"CASE WHEN {group} IS NOT NULL THEN {total} * 1.0 / NULLIF({known}, 0) END AS share_attributed,\n"
        f"       {known} * 1.0 / NULLIF(SUM({total}) OVER ({partition}), 0) AS coverage"
    )


def _sum_with_share(group: str, measure: str, name: str, source: str) -> str:
    """One row per `group` (`EXPR AS alias` or a column): the sum of `measure` as `name`, and its share."""
    expression = group.split(" AS ")[0]
    total = f"SUM(COALESCE({measure}, 0))"
    return f"""
SELECT {group}, {total} AS {name},
       {total} * 1.0 / NULLIF(SUM({total}) OVER (), 0) AS share,
       {_attributed(expression, total)}
{source}
GROUP BY {expression}
"""


VIEWS: list[View] = [
    View(
        name="hf_model_latest",
        description="One row per Hugging Face model with its newest metrics, first parent, and countries.",
        columns={
            "repo_id": "the model's current repo id, `owner/name`",
            "author": "the namespace (user or organisation) that owns the model",
            "created_at": "creation time (UTC); NULL when the Hub only has its 2022-03-02 placeholder",
            "downloads_30d": "downloads over the 30 days before `captured_on` (a rolling window: never sum it over dates)",
            "downloads_all_time": "cumulative downloads as the Hub reported them on `captured_on`",
            "likes": "likes on `captured_on`",
            "base_model": "the first direct parent model (repo id), NULL when the model has none",
            "base_relation": "how it derives from `base_model`: finetune, adapter, quantized, merge or unknown",
            "captured_on": "the newest UTC date these metrics are known to hold on: the day they were written, or the newest dump's day when that dump listed the model with the same values",
            "country": "ISO 3166-1 alpha-2 country of the author's publisher/account; NULL = unknown",
            "root_model": "the farthest ancestor along base-model edges (the model itself when it has no parent)",
            "root_country": "country of the root model's namespace; NULL = unknown",
            "hub_id": "the Hub's stable `_id` (unchanged by renames)",
            "pipeline_tag": "the Hub's task tag, e.g. text-generation",
            "library_name": "the library tag, e.g. transformers",
            "trending_score": "the Hub's trending score on `captured_on`",
            "root_mixed": "TRUE when the model is, or descends from, a merge whose parents' roots have different countries (attributed to the first parent)",
        },
        sql=f"""
SELECT m.repo_id, m.author, m.created_at, m.downloads_30d, m.downloads_all_time, m.likes,
       p.parent_repo_id AS base_model, p.relation AS base_relation,
       {HF_METRICS_AS_OF} AS captured_on,
       a.country AS country,
       COALESCE(m.root_repo_id, CASE WHEN p.child_id IS NULL THEN m.repo_id END) AS root_model,
       COALESCE(ra.country, CASE WHEN p.child_id IS NULL AND m.root_author_key IS NULL THEN a.country END)
           AS root_country,
       m.hub_id, m.pipeline_tag, m.library_name, m.trending_score, m.root_mixed
FROM hf_models m
{HF_NEWEST_DUMP}
LEFT JOIN hf_model_parents p ON p.child_id = m.id AND p.position = 0
{HF_AUTHOR_COUNTRY}
{_HF_ROOT_COUNTRY}
""",
    ),
    View(
        name="gh_repo_latest",
        description="One row per tracked GitHub repository with its newest counts and its owner's country.",
        columns={
            "full_name": "`owner/name` as last seen",
            "owner": "the owner's login",
            "stars": "stargazers on `captured_on`",
            "forks": "forks on `captured_on`",
            "watchers": "real watchers (`subscribers_count`) on `captured_on`",
            "open_issues": "open issues and pull requests on `captured_on`",
            "language": "primary language",
            "license": "SPDX license id (NOASSERTION for unrecognised licenses)",
            "archived": "TRUE when archived",
            "created_at": "creation time (UTC)",
            "pushed_at": "last push (UTC)",
            "captured_on": "the UTC date of the newest snapshot",
            "country": "ISO country of the owner (publisher registry or profile location); NULL = unknown",
            "repo_id": "GitHub's numeric id (stable across renames and transfers)",
            "fork": "TRUE for forks",
            "topics": "the repository's topics (JSON array)",
            "tracked_because": "why the tracker follows it: registry, org or search",
            "gone": "TRUE when GitHub answered 404/451 at the last attempt",
        },
        sql="""
SELECT r.full_name, COALESCE(o.login, r.owner_login) AS owner, r.stars, r.forks, r.watchers, r.open_issues,
       r.language, r.license, r.archived, r.created_at, r.pushed_at, r.metrics_on AS captured_on,
       a.country AS country, r.id AS repo_id, r.fork, r.topics, r.tracked_because, r.gone
FROM gh_repos r
LEFT JOIN gh_accounts o ON o.id = r.owner_id
LEFT JOIN accounts a ON a.platform = 'github' AND a.handle_key = COALESCE(o.login_key, lower(r.owner_login))
""",
    ),
    View(
        name="publisher_country",
        description="Every known account with its publisher and resolved country, and where that country came from.",
        columns={
            "handle": "the account's handle on its platform",
            "platform": "`hf` or `github`",
            "publisher": "the publisher's slug (NULL for accounts not linked to a publisher)",
            "country": "ISO 3166-1 alpha-2 country; NULL = unknown",
            "basis": "why: registry entry, manual override or parsed profile location, with the evidence",
            "confidence": "0..1; 1 for manual and registry facts, lower for parsed locations",
            "publisher_name": "the publisher's display name",
            "method": "manual, registry, location or unknown",
        },
        sql="""
SELECT a.handle, a.platform, p.slug AS publisher, a.country, a.country_basis AS basis,
       a.country_confidence AS confidence, p.name AS publisher_name, a.country_method AS method
FROM accounts a
LEFT JOIN publishers p ON p.id = a.publisher_id
""",
    ),
    View(
        name="gh_contributor_latest",
        description="Contributors of each tracked repository as of that repository's newest contributor list.",
        columns={
            "full_name": "the repository, `owner/name`",
            "login": "the contributor's login",
            "contributions": "commits attributed to the contributor (GitHub's count)",
            "location": "the free-text location on the contributor's profile",
            "country": "ISO country parsed from the profile (or the account's publisher); NULL = unknown",
            "captured_on": "the UTC date of the contributor list",
        },
        sql="""
SELECT r.full_name, u.login, c.contributions, u.location, a.country, c.captured_on
FROM gh_contributors c
JOIN gh_repos r ON r.id = c.repo_id
JOIN gh_accounts u ON u.id = c.account_id
LEFT JOIN accounts a ON a.platform = 'github' AND a.handle_key = u.login_key
WHERE c.captured_on = (SELECT max(c2.captured_on) FROM gh_contributors c2 WHERE c2.repo_id = c.repo_id)
""",
    ),
    View(
        name="hf_creation_months",
        description=(
            "Each creation month of the collected models and whether it is complete: the union of the "
            "`hf_coverage` windows (completed whole-Hub crawls of new models, Hub dumps) covers the whole month "
            "and it is before the current month (by the database's clock). Back-filled monthly series count only "
            "complete months; the others are partial (e.g. before the first whole-Hub crawl only the registry's "
            "publishers were collected)."
        ),
        columns={
            "month": "creation month, `YYYY-MM` (UTC)",
            "models": "collected models created that month",
            "complete": "TRUE when the whole Hub was collected for the month and the month is over",
        },
        sql="""
SELECT mm.month AS month, mm.models AS models,
       CASE WHEN mm.month < {month:CURRENT_TIMESTAMP}
             AND EXISTS (SELECT 1 FROM hf_coverage w
                         WHERE (w.covered_from IS NULL OR w.covered_from <= {month_start:mm.month})
                           AND w.covered_to >= {month_start:mm.month})
             AND NOT EXISTS (SELECT 1 FROM hf_coverage i
                             WHERE i.covered_to >= {month_start:mm.month} AND i.covered_to < {month_end:mm.month}
                               AND NOT EXISTS (SELECT 1 FROM hf_coverage j
                                               WHERE (j.covered_from IS NULL OR j.covered_from <= i.covered_to)
                                                 AND j.covered_to > i.covered_to))
            THEN TRUE ELSE FALSE END AS complete
FROM (SELECT {month:created_at} AS month, COUNT(*) AS models FROM hf_models
      WHERE created_at IS NOT NULL GROUP BY {month:created_at}) mm
""",
    ),
    View(
        name="monthly_new_models",
        description="Models created each month by authors of each country (unknown creation dates excluded).",
        columns={
            "month": "creation month, `YYYY-MM` (UTC)",
            "country": "ISO country of the author; NULL = unknown (a row of its own)",
            "models": "models created that month by authors of `country`",
            "derivatives": "those of them with at least one base-model edge (any relation)",
            "share_attributed": _MONTH_SHARE_ATTRIBUTED + " (of `models`)",
            "coverage": _MONTH_COVERAGE + " (of `models`)",
        },
        sql=f"""
SELECT {{month:m.created_at}} AS month, a.country AS country, COUNT(*) AS models,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id) THEN 1 ELSE 0 END)
           AS derivatives,
       {_attributed("a.country", "COUNT(*)", "PARTITION BY {month:m.created_at}")}
FROM hf_models m
{HF_AUTHOR_COUNTRY}
WHERE m.created_at IS NOT NULL
GROUP BY {{month:m.created_at}}, a.country
""",
    ),
    View(
        name="monthly_derivatives_by_root",
        description="Derivative models (at least one parent edge) by creation month and their root model's country.",
        columns={
            "month": "creation month of the derivative, `YYYY-MM` (UTC)",
            "root_country": "ISO country of the root model's namespace; NULL = unknown",
            "derivatives": "derivative models created that month whose root is from `root_country`",
            "share_attributed": _MONTH_SHARE_ATTRIBUTED,
            "coverage": _MONTH_COVERAGE,
        },
        sql=f"""
SELECT {{month:m.created_at}} AS month, ra.country AS root_country, COUNT(*) AS derivatives,
       {_attributed("ra.country", "COUNT(*)", "PARTITION BY {month:m.created_at}")}
FROM hf_models m
{_HF_ROOT_COUNTRY}
WHERE m.created_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id)
GROUP BY {{month:m.created_at}}, ra.country
""",
    ),
    View(
        name="country_downloads_latest",
        description="30-day downloads of models (not datasets) by author country, from each model's newest snapshot.",
        columns={
            "country": "ISO country of the author; NULL = unknown (a row of its own)",
            "downloads_30d": "sum of the models' newest 30-day download counts",
            "share": _SHARE,
            "share_attributed": _SHARE_ATTRIBUTED,
            "coverage": _COVERAGE,
        },
        sql=_sum_with_share(
            "a.country AS country",
            "m.downloads_30d",
            "downloads_30d",
            f"FROM hf_models m\n{HF_AUTHOR_COUNTRY}",
        ),
    ),
    View(
        name="country_stars_latest",
        description="Stars of tracked GitHub repositories by owner country, from each repository's newest snapshot.",
        columns={
            "country": "ISO country of the owner; NULL = unknown (a row of its own)",
            "stars": "sum of the repositories' newest star counts",
            "share": _SHARE,
            "share_attributed": _SHARE_ATTRIBUTED,
            "coverage": _COVERAGE,
        },
        sql=_sum_with_share("country", "stars", "stars", "FROM gh_repo_latest\nWHERE gone = FALSE"),
    ),
    View(
        name="country_likes_latest",
        description="Likes of models by author country, from each model's newest snapshot.",
        columns={
            "country": "ISO country of the author; NULL = unknown (a row of its own)",
            "likes": "sum of the models' newest like counts",
            "share": _SHARE,
            "share_attributed": _SHARE_ATTRIBUTED,
            "coverage": _COVERAGE,
        },
        sql=_sum_with_share(
            "a.country AS country", "m.likes", "likes", f"FROM hf_models m\n{HF_AUTHOR_COUNTRY}"
        ),
    ),
    View(
        name="root_country_downloads_latest",
        description=(
            "30-day downloads of models by the country of their root base model (a model without parents is "
            "its own root), from each model's newest snapshot: whose technology is being downloaded."
        ),
        columns={
            "root_country": "ISO country of the root model's namespace; NULL = unknown (a row of its own)",
            "downloads_30d": "sum of the models' newest 30-day download counts",
            "share": _SHARE,
            "share_attributed": _SHARE_ATTRIBUTED,
            "coverage": _COVERAGE,
        },
        sql=_sum_with_share("root_country", "downloads_30d", "downloads_30d", "FROM hf_model_latest"),
    ),
    View(
        name="country_forks_latest",
        description="Forks of tracked GitHub repositories by owner country, from each repository's newest snapshot.",
        columns={
            "country": "ISO country of the owner; NULL = unknown (a row of its own)",
            "forks": "sum of the repositories' newest fork counts",
            "share": _SHARE,
            "share_attributed": _SHARE_ATTRIBUTED,
            "coverage": _COVERAGE,
        },
        sql=_sum_with_share("country", "forks", "forks", "FROM gh_repo_latest\nWHERE gone = FALSE"),
    ),
    View(
        name="country_contributions_latest",
        description=(
            "Contributions to tracked repositories by contributor country, weighted by each contributor's "
            "commit count, from each repository's newest contributor list."
        ),
        columns={
            "country": "ISO country of the contributor; NULL = unknown (a row of its own)",
            "contributors": "distinct contributor accounts",
            "contributions": "sum of their contribution counts",
            "share": "fraction (0..1) of all contributions, the unknown row included",
            "share_attributed": _SHARE_ATTRIBUTED,
            "coverage": _COVERAGE,
        },
        sql=f"""
SELECT country, COUNT(DISTINCT login) AS contributors, SUM(contributions) AS contributions,
       SUM(contributions) * 1.0 / NULLIF(SUM(SUM(contributions)) OVER (), 0) AS share,
       {_attributed("country", "SUM(contributions)")}
FROM gh_contributor_latest
GROUP BY country
""",
    ),
    View(
        name="monthly_derivatives_by_root_publisher",
        description=(
            "Derivative models by creation month and the namespace of their root model (e.g. Qwen vs "
            "meta-llama), with that namespace's publisher and country: the measure the ATOM Project publishes."
        ),
        columns={
            "month": "creation month of the derivative, `YYYY-MM` (UTC)",
            "root_author": "lower-cased namespace of the root model; NULL until attribution has found the root",
            "root_publisher": "slug of the publisher behind that namespace; NULL when not linked",
            "root_country": "ISO country of the root namespace; NULL = unknown",
            "derivatives": "derivative models created that month whose root is in `root_author`",
        },
        sql=f"""
SELECT {{month:m.created_at}} AS month, m.root_author_key AS root_author, rp.slug AS root_publisher,
       ra.country AS root_country, COUNT(*) AS derivatives
FROM hf_models m
{_HF_ROOT_COUNTRY}
LEFT JOIN publishers rp ON rp.id = ra.publisher_id
WHERE m.created_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id)
GROUP BY {{month:m.created_at}}, m.root_author_key, rp.slug, ra.country
""",
    ),
    View(
        name="publisher_models_latest",
        description=(
            "One row per publisher (or, for accounts not linked to one, per namespace): its models and their "
            "newest downloads and likes, for top-publisher tables."
        ),
        columns={
            "publisher": "the publisher's slug, or the lower-cased namespace when no publisher is linked",
            "publisher_name": "the publisher's display name (NULL when not linked)",
            "country": "ISO country of the account; NULL = unknown",
            "models": "models published",
            "downloads_30d": "sum of the models' newest 30-day download counts",
            "likes": "sum of the models' newest like counts",
        },
        sql=f"""
SELECT COALESCE(p.slug, m.author_key) AS publisher, p.name AS publisher_name, a.country AS country,
       COUNT(*) AS models, SUM(COALESCE(m.downloads_30d, 0)) AS downloads_30d,
       SUM(COALESCE(m.likes, 0)) AS likes
FROM hf_models m
{HF_AUTHOR_COUNTRY}
LEFT JOIN publishers p ON p.id = a.publisher_id
GROUP BY COALESCE(p.slug, m.author_key), p.name, a.country
""",
    ),
    View(
        name="daily_model_metrics",
        description=(
            "Downloads and likes of every roll-up day (hf_daily_country_totals: each Hub dump's day and each "
            "Hugging Face collection day since roll-ups began), by author country and root country. A roll-up "
            "counts every collected model still listed, with its figures of that day. Downloads are rolling "
            "30-day counts: points a week apart share about three weeks of downloads, so never sum them over "
            "days, and trends are computed on months (monthly_model_metrics), not on these days."
        ),
        columns={
            "captured_on": "the roll-up's day (UTC): a dump's day or a collection day",
            "country": "ISO country of the author; NULL = unknown",
            "root_country": "ISO country of the root model's namespace (the model's own when it has no parent); NULL = unknown",
            "models": "models counted that day",
            "downloads_30d": "sum of their 30-day downloads on `captured_on`",
            "likes": "sum of their likes on `captured_on`",
        },
        sql="""
SELECT t.captured_on AS captured_on, NULLIF(t.country, '') AS country,
       NULLIF(t.root_country, '') AS root_country, t.models AS models, t.downloads_30d AS downloads_30d,
       t.likes AS likes
FROM hf_daily_country_totals t
""",
    ),
    View(
        name="monthly_model_metrics",
        description=(
            "Downloads and likes by month, by author country and root country: from month-end values. "
            "For months with daily roll-ups (hf_daily_country_totals), the roll-up of the month's last collection "
            "day, which counts every collected model with its newest metrics that day (exact although the "
            "snapshots are thinned, docs/scale.md); for earlier months, each model's last snapshot in the "
            "month. Months begin with the first crawl (no back-fill)."
        ),
        columns={
            "month": "snapshot month, `YYYY-MM` (UTC)",
            "country": "ISO country of the author; NULL = unknown",
            "root_country": "ISO country of the root model's namespace (the model's own when it has no parent)",
            "models": "models counted that month (every collected model on roll-up months; those with a snapshot otherwise)",
            "downloads_30d": "sum of their 30-day downloads at the month's end (their last value in the month)",
            "likes": "sum of their likes at the month's end (their last value in the month)",
        },
        sql=f"""
SELECT {{month:t.captured_on}} AS month, t.country AS country, t.root_country AS root_country,
       t.models AS models, t.downloads_30d AS downloads_30d, t.likes AS likes
FROM daily_model_metrics t
JOIN (SELECT MAX(captured_on) AS captured_on FROM hf_daily_country_totals
      GROUP BY {{month:captured_on}}) last_day ON last_day.captured_on = t.captured_on
UNION ALL
SELECT lm.month AS month, a.country AS country,
       COALESCE(ra.country, CASE WHEN m.root_author_key IS NULL
           AND NOT EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id) THEN a.country END)
           AS root_country,
       COUNT(*) AS models, SUM(COALESCE(s.downloads_30d, 0)) AS downloads_30d,
       SUM(COALESCE(s.likes, 0)) AS likes
FROM (SELECT model_id, {{month:captured_on}} AS month, MAX(captured_on) AS captured_on
      FROM hf_model_snapshots
      WHERE captured_on < COALESCE((SELECT MIN(captured_on) FROM hf_daily_country_totals), '9999-12-31')
        AND (SELECT MIN(captured_on) FROM hf_model_snapshots)
            < COALESCE((SELECT MIN(captured_on) FROM hf_daily_country_totals), '9999-12-31')
      GROUP BY model_id, {{month:captured_on}}) lm
JOIN hf_model_snapshots s ON s.model_id = lm.model_id AND s.captured_on = lm.captured_on
JOIN hf_models m ON m.id = lm.model_id
{HF_AUTHOR_COUNTRY}
{_HF_ROOT_COUNTRY}
WHERE lm.month NOT IN (SELECT {{month:captured_on}} FROM hf_daily_country_totals)
GROUP BY lm.month, a.country,
       COALESCE(ra.country, CASE WHEN m.root_author_key IS NULL
           AND NOT EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id) THEN a.country END)
""",
    ),
    View(
        name="monthly_repo_metrics",
        description=(
            "Stars and forks of tracked repositories by month: each repository's last snapshot in the month, "
            "by owner country. Months begin with the first crawl."
        ),
        columns={
            "month": "snapshot month, `YYYY-MM` (UTC)",
            "country": "ISO country of the owner; NULL = unknown",
            "repos": "repositories with a snapshot that month",
            "stars": "sum of their stars on their last snapshot of the month",
            "forks": "sum of their forks on their last snapshot of the month",
        },
        sql="""
SELECT lm.month AS month, a.country AS country, COUNT(*) AS repos,
       SUM(COALESCE(s.stars, 0)) AS stars, SUM(COALESCE(s.forks, 0)) AS forks
FROM (SELECT repo_id, {month:captured_on} AS month, MAX(captured_on) AS captured_on
      FROM gh_repo_snapshots GROUP BY repo_id, {month:captured_on}) lm
JOIN gh_repo_snapshots s ON s.repo_id = lm.repo_id AND s.captured_on = lm.captured_on
JOIN gh_repos r ON r.id = lm.repo_id
LEFT JOIN gh_accounts o ON o.id = r.owner_id
LEFT JOIN accounts a ON a.platform = 'github' AND a.handle_key = COALESCE(o.login_key, lower(r.owner_login))
GROUP BY lm.month, a.country
""",
    ),
    View(
        name="monthly_contributions",
        description=(
            "Contributions by contributor country by month: each repository's last contributor list in the "
            "month. Months begin with the first crawl."
        ),
        columns={
            "month": "month of the contributor lists, `YYYY-MM` (UTC)",
            "country": "ISO country of the contributor; NULL = unknown",
            "contributors": "distinct contributor accounts",
            "contributions": "sum of their contribution counts",
        },
        sql="""
SELECT lm.month AS month, a.country AS country, COUNT(DISTINCT c.account_id) AS contributors,
       SUM(c.contributions) AS contributions
FROM (SELECT repo_id, {month:captured_on} AS month, MAX(captured_on) AS captured_on
      FROM gh_contributors GROUP BY repo_id, {month:captured_on}) lm
JOIN gh_contributors c ON c.repo_id = lm.repo_id AND c.captured_on = lm.captured_on
JOIN gh_accounts u ON u.id = c.account_id
LEFT JOIN accounts a ON a.platform = 'github' AND a.handle_key = u.login_key
GROUP BY lm.month, a.country
""",
    ),
    View(
        name="monthly_new_repos",
        description="Tracked GitHub repositories by creation month and owner country (forks excluded).",
        columns={
            "month": "creation month, `YYYY-MM` (UTC)",
            "country": "ISO country of the owner; NULL = unknown",
            "repos": "repositories created that month",
            "share_attributed": _MONTH_SHARE_ATTRIBUTED,
            "coverage": _MONTH_COVERAGE,
        },
        sql=f"""
SELECT {{month:created_at}} AS month, country, COUNT(*) AS repos,
       {_attributed("country", "COUNT(*)", "PARTITION BY {month:created_at}")}
FROM gh_repo_latest
WHERE created_at IS NOT NULL AND (fork IS NULL OR fork = FALSE)
GROUP BY {{month:created_at}}, country
""",
    ),
]

VIEWS_BY_NAME = {view.name: view for view in VIEWS}


def drop_views(connection: Connection) -> None:
    """Drop every declared view that exists (in reverse order, so dependants go first)."""
    existing = set(inspect(connection).get_view_names())
    for view in reversed(VIEWS):
        if view.name in existing:
            connection.execute(text(f"DROP VIEW {view.name}"))


def create_views(connection: Connection) -> None:
    """(Re)create every declared view from its current declaration, readable by the read-only role."""
    drop_views(connection)
    dialect = connection.dialect.name
    for view in VIEWS:
        connection.execute(text(f"CREATE VIEW {view.name} AS {view.render(dialect)}"))
    grant_reader(connection)  # the role `tracker query` runs under may read the new views (PostgreSQL)


def markdown() -> str:
    """The SQL interface documentation, generated from the declarations."""
    lines = [
        "# SQL interface: views",
        "",
        "Generated from `tracker/db/views.py` by `python -m tracker.db.views`; do not edit by hand.",
        "Every view exists on SQLite and PostgreSQL with the same columns. Countries are ISO 3166-1 alpha-2;",
        "NULL means unknown and is kept as a row of its own so coverage can be judged.",
        "",
    ]
    for view in VIEWS:
        lines += [f"## `{view.name}`", "", view.description, "", "| column | meaning |", "|---|---|"]
        lines += [f"| `{column}` | {meaning} |" for column, meaning in view.columns.items()]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
