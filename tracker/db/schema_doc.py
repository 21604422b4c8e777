"""docs/schema.md, generated from the models plus the column meanings below (`python -m tracker.db.schema_doc`).

Table descriptions come from the model docstrings; a test fails when a table or column has no meaning here,
so the schema documentation cannot fall behind the schema.
"""

from __future__ import annotations

import inspect

from tracker.db.models import Base

# Meanings shared by columns of the same name, unless a table overrides them in TABLE_COLUMNS.
COMMON = {
    "id": "surrogate key",
    "hub_id": "the Hub's stable `_id` (24 hex characters); unchanged when the repo is renamed",
    "repo_id": "current repo id, `owner/name`",
    "author": "the namespace (user or organisation) as the Hub spells it",
    "author_key": "`lower(author)`, for joins with `accounts.handle_key`",
    "created_at": "creation time (UTC)",
    "created_at_unknown": "TRUE when the Hub gave its 2022-03-02T23:29:04Z placeholder (then `created_at` is NULL)",
    "last_modified": "time of the last commit (UTC)",
    "pipeline_tag": "the Hub's task tag (e.g. text-generation)",
    "library_name": "library tag (e.g. transformers)",
    "license": "license id",
    "gated": "`false`, `auto` or `manual`",
    "private": "TRUE for private repos (not normally listed)",
    "disabled": "TRUE when the Hub disabled the repo",
    "tags": "the Hub's tags (JSON array); `region:*` tags are storage regions, never used for geography",
    "downloads_30d": "downloads over the last 30 days (a rolling window: never sum it across days)",
    "downloads_all_time": "cumulative downloads as reported (only via `expand`; can decrease)",
    "likes": "likes",
    "trending_score": "the Hub's trending score",
    "metrics_on": "UTC date of the newest metrics held inline on this row",
    "first_seen_on": "UTC date the tracker first stored the item",
    "last_seen_on": "UTC date the tracker last saw the item in an API answer",
    "captured_on": "UTC date of the observation (`TRACKER_TODAY` in replays)",
    "country": "ISO 3166-1 alpha-2 country; NULL = unknown",
    "country_basis": "why that country: the evidence (registry entry, override, parsed location)",
    "country_confidence": "0..1; 1 for registry and manual facts, lower for parsed locations",
    "country_method": "`manual`, `registry`, `location` or `unknown`",
    "updated_at": "last change (UTC)",
    "stars": "stargazers",
    "forks": "forks",
    "watchers": "real watchers (`subscribers_count`; `watchers_count` is stars)",
    "open_issues": "open issues plus open pull requests",
    "gone": "TRUE when the platform answered 404/451 at the last attempt",
}

TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "publishers": {
        "slug": "stable identifier of the publisher (registry `publisher` column, or derived from its handles)",
        "name": "display name",
        "kind": "company, lab, academic, community, government or person",
        "registry_country": "the country the registry states (NULL: infer it)",
        "registry_basis": "the registry's evidence for that country, disagreements between sources included",
        "registry_no_infer": "TRUE for `-` in the registry: unknown on purpose, never inferred",
        "override_country": "manual override (`tracker publishers set`); imports and inference never overwrite it",
        "override_basis": "the reason given with the override",
        "country": "resolved country (override > registry > linked GitHub profile location > unknown)",
        "created_at": "when the publisher was first imported (UTC)",
    },
    "accounts": {
        "platform": "`hf` or `github`",
        "handle": "the handle as spelled on the platform",
        "handle_key": "`lower(handle)`: both platforms treat namespaces case-insensitively",
        "publisher_id": "the publisher behind the account (NULL for e.g. contributors known only by profile)",
        "country": "resolved country of the account (its publisher's, or its own profile location's)",
        "attributed_at": "when attribution last wrote the country (UTC)",
    },
    "hf_models": {
        "root_repo_id": "farthest ancestor along base-model edges (the model itself when it has no parent)",
        "root_author_key": "lower-cased namespace of `root_repo_id`, for the root's country",
        "root_mixed": "TRUE when a merge's parents come from different countries (attributed to the first)",
        "unlisted_on": "first dump day that no longer listed the model (deleted or private); NULL while listed",
        "dump_digest": "64-bit digest of the dump values the row was last written from, the four counters aside "
        "(a later dump that lists the model with the same digest updates only its counters, or leaves the row "
        "alone); NULL once the API collector wrote it",
        "metrics_on": "UTC date the metrics held inline were written; a dump listing the model with the same "
        "values leaves the row as it is, so while it is listed they also hold on the newest dump's day "
        "(`hf_model_latest.captured_on` gives that day)",
        "last_seen_on": "UTC date the tracker last wrote the row from an API answer or a dump (a dump that lists "
        "the model unchanged leaves it)",
    },
    "hf_model_parents": {
        "child_id": "the derived model (`hf_models.id`)",
        "parent_repo_id": "the parent's repo id (kept even when the parent was never collected)",
        "relation": "finetune, adapter, quantized, merge or unknown",
        "position": "order in which the Hub lists the parents (0 = first, used as `base_model`)",
        "source": "`tag` (the Hub's `base_model:` tags), `card` (`cardData.base_model`) or `dump` (a dump's `baseModels`)",
    },
    "hf_model_snapshots": {"model_id": "the model (`hf_models.id`)"},
    "hf_daily_country_totals": {
        "captured_on": "UTC date of the collection the totals describe (the newest `metrics_on`)",
        "country": "ISO country of the models' authors; `''` = unknown",
        "root_country": "ISO country of the models' root base model (a model's own without parents); `''` = unknown",
        "models": "models in `hf_models` with that pair of countries",
        "downloads_30d": "sum of their newest 30-day downloads (never sum this column over days)",
        "likes": "sum of their newest likes",
    },
    "hf_dataset_snapshots": {"dataset_id": "the dataset (`hf_datasets.id`)"},
    "gh_accounts": {
        "id": "GitHub's numeric id (stable across renames)",
        "login": "current login",
        "login_key": "`lower(login)`",
        "type": "`Organization` or `User`",
        "name": "display name",
        "location": "free-text profile location (the only geography GitHub offers)",
        "company": "free-text company",
        "blog": "profile website",
        "public_repos": "public repositories, from the profile",
        "followers": "followers, from the profile",
        "created_at": "account creation (UTC)",
        "profile_fetched_at": "when the full profile was last fetched (NULL: only seen inside another object)",
    },
    "gh_repos": {
        "id": "GitHub's numeric id (stable across renames and transfers)",
        "full_name": "`owner/name` as last seen",
        "owner_id": "the owner (`gh_accounts.id`)",
        "owner_login": "the owner's login as last seen",
        "description": "repository description",
        "language": "primary language",
        "license": "SPDX id (`NOASSERTION` for unrecognised licenses)",
        "topics": "topics (JSON array)",
        "fork": "TRUE for forks",
        "archived": "TRUE when archived",
        "pushed_at": "last push (UTC)",
        "tracked_because": "`registry`, `org` or `search`: why the tracker follows it",
    },
    "gh_repo_snapshots": {"repo_id": "the repository (`gh_repos.id`)"},
    "gh_contributors": {
        "repo_id": "the repository (`gh_repos.id`)",
        "account_id": "the contributor (`gh_accounts.id`); anonymous contributors are not stored",
        "contributions": "commits GitHub attributes to the contributor",
    },
    "former_names": {
        "entity": "`hf_model`, `hf_dataset`, `gh_repo` or `gh_account`",
        "entity_id": "the item's key as text (`hub_id` or GitHub id)",
        "name": "an earlier name of the item",
        "replaced_on": "UTC date the new name was first seen",
    },
    "collection_runs": {
        "collector": "`huggingface`, `huggingface-dump` (the Hub's daily dumps), `github`, `attribution`, `report`, ...",
        "run_date": "the UTC date stamped on the run's snapshots",
        "started_at": "start (UTC)",
        "finished_at": "end (UTC); NULL while running or after a crash",
        "status": "`running`, `ok`, `failed`, `rate_limited` or `interrupted`",
        "items": "items stored",
        "skipped": "malformed items logged and skipped",
        "errors": "errors counted",
        "requests": "HTTP requests sent",
        "retries": "retried requests",
        "waits": "seconds spent waiting on rate limits, pacing and backoff",
        "bytes": "response bytes received",
        "not_modified": "requests answered 304 (free of rate limit)",
        "params": "the run's plan (JSON)",
        "message": "one-line outcome or error (never contains secrets)",
    },
    "collector_state": {
        "key": "state name, e.g. the global crawl's high-water mark",
        "value": "the state (JSON)",
    },
    "collection_tasks": {
        "run_id": "the `collection_runs` row the task ran in",
        "collector": "the source (`huggingface`, `github`, ...), as in `collection_runs.collector`",
        "task": "the task's key, stable across runs: `models:<author>`, `global`, `top`, `owner:<login>`, ...",
        "status": "`running`, `ok`, `failed` (see `message`), `rate_limited` or `interrupted`",
        "items": "items the task stored in this run",
        "checkpoint": "where the task continues (source-specific JSON: a path and query or cursor, never a host)",
        "message": "why the task failed or stopped (NULL when it completed)",
        "started_at": "start (UTC)",
        "finished_at": "end (UTC); NULL while running or after a crash",
    },
    "hf_coverage": {
        "source": "`api` (a completed crawl of new models by creation date) or `dump` (a Hub metadata dump)",
        "run_id": "the `collection_runs` row that recorded it",
        "covered_from": "earliest creation time covered (UTC); NULL: every model since the Hub began",
        "covered_to": "latest creation time covered (UTC): the crawl's newest model, or the dump's commit time",
        "hub_models": "models in the dump, the Hub's total that day (NULL for API crawls)",
        "recorded_on": "the UTC date of the run (a dump's own date for dumps)",
        "recorded_at": "when the row was written (UTC)",
    },
    "hf_dumps": {
        "commit_id": "the dump's commit in the dump repository (`[huggingface] dump_repo`)",
        "repo": "the dump repository",
        "filename": "the file read, `models.parquet`",
        "committed_at": "the commit's time (UTC)",
        "dump_on": "the commit's UTC day: the day its snapshots and roll-ups are stored under",
        "etag": "the file's `X-Linked-Etag` (its sha256 for LFS files)",
        "size_bytes": "the file's size",
        "models": "rows stored: the models the Hub listed that day",
        "skipped": "rows without a usable repo id",
        "status": "`ingested`, or `duplicate` (same file as the previous dump: not a new point)",
        "run_id": "the `collection_runs` row that ingested it",
        "ingested_at": "when it was ingested (UTC)",
    },
    "http_validators": {
        "url": "the request URL (never contains a token)",
        "etag": "the `ETag` of the last 200 answer",
        "last_modified": "the `Last-Modified` of the last 200 answer",
        "body": "the body of the last 200 answer, reused on 304",
        "link_next": "the next page's URL from that answer's `Link` header",
        "used_at": "when the URL was last requested (refreshed at most twice a day); unused for 30 days: pruned",
        "fetched_at": "when the body was fetched (UTC)",
    },
    "reports": {
        "created_at": "when the report was written (UTC)",
        "report_date": "the report's date",
        "out_dir": "where its files were written",
        "formats": "formats written, e.g. `md,html,json`",
        "verdict": "the overall verdict: supported, mixed, not supported or insufficient evidence",
        "figures": "every figure of the report (JSON, as report.json)",
    },
    "scheduler_jobs": {
        "job_id": "`huggingface`, `github` or `report`",
        "schedule": "the cron expression",
        "next_run_at": "next scheduled run (UTC)",
        "daemon": "`host:pid` of the daemon that wrote the row",
    },
}


def column_meaning(table: str, column: str) -> str | None:
    return TABLE_COLUMNS.get(table, {}).get(column) or COMMON.get(column)


def missing_meanings() -> list[str]:
    """`table.column` for every column without a documented meaning."""
    return [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if not column_meaning(table.name, column.name)
    ]


def markdown() -> str:
    lines = [
        "# Schema: tables",
        "",
        "Generated from `tracker/db/models.py` and `tracker/db/schema_doc.py` by `python -m tracker.db.schema_doc`;",
        "do not edit by hand. Timestamps are UTC. The views analysts query are in [sql-interface.md](sql-interface.md).",
        "",
    ]
    classes = {mapper.class_.__tablename__: mapper.class_ for mapper in Base.registry.mappers}
    for name in sorted(classes):
        table = classes[name].__table__
        lines += [
            f"## `{name}`",
            "",
            inspect.getdoc(classes[name]) or "",
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        for column in table.columns:
            key = ", key" if column.primary_key else ""
            nullable = "" if column.nullable else ", not null"
            lines.append(
                f"| `{column.name}` | {str(column.type).lower()}{key}{nullable} | {column_meaning(name, column.name) or ''} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
