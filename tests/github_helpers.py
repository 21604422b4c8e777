"""Shared setup for the GitHub collector tests: a fake API with the example world, settings and a dump of
every GitHub row for comparisons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text

from tests.fakes.github import FakeClock, FakeGitHub
from tracker.collection import CollectResult
from tracker.config import Settings, load_settings
from tracker.db.engine import Database
from tracker.db.models import Account, Publisher
from tracker.sources.github import GhPlan, collect_github

TODAY = dt.date(2026, 3, 2)
SEARCH = "topic:llm stars:>200"
# Tiny waits: secondary limits and backoff go through the fake clock, never real sleeping.
PLAN = GhPlan(
    orgs=("qwen-lab",),
    searches=(SEARCH,),
    per_page=2,
    batch_size=3,
    backoff_base=0.001,
    backoff_max=0.01,
    reserve=0.0,
    max_wait=7200.0,
)
TABLES = {
    "gh_accounts": "id, login, login_key, type, name, location, company, public_repos, followers, gone",
    "gh_repos": "id, full_name, owner_id, owner_login, language, license, fork, archived, stars, forks, "
    "watchers, open_issues, metrics_on, tracked_because, first_seen_on, last_seen_on, gone",
    "gh_repo_snapshots": "repo_id, captured_on, stars, forks, watchers, open_issues",
    "gh_contributors": "repo_id, account_id, captured_on, contributions",
    "former_names": "entity, entity_id, name, replaced_on",
}


def settings_for(fake: FakeGitHub, tokens: str = "t1", today: dt.date = TODAY) -> Settings:
    environ = {"GITHUB_TOKEN": tokens} if tokens else {}
    return load_settings({"github_api_url": fake.url, "today": today}, environ=environ)


def run(
    database: Database,
    fake: FakeGitHub,
    clock: FakeClock,
    plan: GhPlan = PLAN,
    *,
    tokens: str = "t1",
    today: dt.date = TODAY,
    **kwargs: Any,
) -> CollectResult:
    return collect_github(
        database, settings_for(fake, tokens, today), plan, sleep=clock.sleep, clock=clock, **kwargs
    )


def add_registry_account(database: Database, handle: str) -> None:
    """A registry publisher with this GitHub account (only accounts linked to a publisher are owners)."""
    with database.session() as session:
        publisher = Publisher(slug=f"gh-{handle.lower()}", name=handle)
        session.add(publisher)
        session.flush()
        session.add(
            Account(platform="github", handle=handle, handle_key=handle.lower(), publisher_id=publisher.id)
        )


def dump(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every GitHub row (without fetch timestamps), sorted, for comparing two runs."""
    with database.session() as session:
        return {
            table: sorted(
                (tuple(row) for row in session.execute(text(f"SELECT {columns} FROM {table}")).all()),
                key=repr,
            )
            for table, columns in TABLES.items()
        }


def clear_github_rows(database: Database) -> None:
    with database.session() as session:
        for table in (
            "gh_contributors",
            "gh_repo_snapshots",
            "former_names",
            "gh_repos",
            "gh_accounts",
            "http_validators",
            "collection_tasks",
            "collection_runs",
        ):
            session.execute(text(f"DELETE FROM {table}"))


def expected_repos(fake: FakeGitHub) -> set[str]:
    """What the example world's plan tracks: the org's and the registry account's repos and search hits."""
    return {
        r.full_name
        for r in fake.repos.values()
        if r.owner in ("qwen-lab", "mistral-like") or ("llm" in r.topics and r.stars > 200)
    }
