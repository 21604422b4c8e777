"""The GitHub collector against the fake API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.fakes.github import FakeClock, FakeGitHub, add_example_data
from tests.github_helpers import (
    PLAN,
    TODAY,
    add_registry_account,
    clear_github_rows,
    dump,
    expected_repos,
    run,
)
from tracker.db.engine import Database
from tracker.db.models import (
    CollectionRun,
    CollectionTask,
    FormerName,
    GhAccount,
    GhContributor,
    GhRepo,
    GhRepoSnapshot,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def github(clock: FakeClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(tokens={"t1": 5000, "t2": 5000}, clock=clock) as fake:
        add_example_data(fake)
        yield fake


@pytest.fixture
def registry(database: Database) -> Database:
    add_registry_account(database, "Mistral-Like")  # case differs from GitHub's login on purpose
    return database


def _repos(database: Database) -> dict[str, GhRepo]:
    with database.session() as session:
        return {repo.full_name: repo for repo in session.scalars(select(GhRepo))}


def _snapshot_counts(database: Database) -> list[int]:
    with database.session() as session:
        return list(
            session.scalars(
                select(func.count())
                .select_from(GhRepoSnapshot)
                .group_by(GhRepoSnapshot.repo_id, GhRepoSnapshot.captured_on)
            )
        )


def test_collects_owners_repos_counts_contributors_and_profiles(
    registry: Database, github: FakeGitHub, clock: FakeClock
) -> None:
    result = run(registry, github, clock)

    assert result.status == "ok"
    repos = _repos(registry)
    assert set(repos) == expected_repos(github)
    for name, row in repos.items():
        fake = github.repo(name)
        assert (row.id, row.stars, row.forks, row.open_issues) == (
            fake.id,
            fake.stars,
            fake.forks,
            fake.open_issues,
        )
        assert row.watchers == fake.watchers  # subscribers_count, not watchers_count (= stars)
        assert row.metrics_on == TODAY
    assert repos["mistral-like/inference"].tracked_because == "registry"
    assert repos["qwen-lab/model-0"].tracked_because == "org"
    assert repos["dave/chatbot"].tracked_because == "search"
    assert repos["qwen-lab/model-0"].license == "Apache-2.0" and repos["qwen-lab/model-0"].topics == [
        "llm",
        "qwen",
    ]
    assert _snapshot_counts(registry) == [1] * len(repos)
    # Link pagination: listings and searches were followed past their first page.
    listing = [s.query for s in github.requests if s.path == "/orgs/qwen-lab/repos"]
    assert len(listing) == 3 and "page=3" in listing[-1]  # 6 repos, 2 per page, following rel="next"
    assert any("page=2" in s.query for s in github.requests if s.path == "/search/repositories")

    with registry.session() as session:
        accounts = {a.login: a for a in session.scalars(select(GhAccount))}
        contributors = session.execute(
            select(GhRepo.full_name, GhAccount.login, GhContributor.contributions)
            .join(GhRepo, GhRepo.id == GhContributor.repo_id)
            .join(GhAccount, GhAccount.id == GhContributor.account_id)
        ).all()
    for login in ("qwen-lab", "mistral-like", "carol", "dave", "erin"):
        fake_account = github.accounts[login]
        assert accounts[login].id == fake_account["id"]
        assert accounts[login].location == fake_account["location"]
        assert accounts[login].profile_fetched_at is not None
    assert accounts["qwen-lab"].type == "Organization" and accounts["carol"].company == "@beta"
    expected = set()
    for name in repos:
        items = github.repo(name).contributors
        if isinstance(items, list):
            expected |= {
                (name, c["login"], c["contributions"]) for c in items if c.get("type") != "Anonymous"
            }
    assert set(contributors) == expected  # anonymous skipped; 204 (empty) and 403 (too large) not fatal
    assert not any(name == "mistral-like/huge-history" for name, _, _ in contributors)
    assert all(s.user_agent and s.user_agent.startswith("tracker/") for s in github.requests)

    with registry.session() as session:
        run_row = session.get(CollectionRun, result.run_id)
        latest = session.execute(text("SELECT full_name, watchers, captured_on FROM gh_repo_latest")).all()
    assert run_row is not None and run_row.status == "ok" and run_row.requests == len(github.requests)
    assert len(latest) == len(repos)


def test_second_run_same_day_is_answered_by_304_and_keeps_one_snapshot(
    registry: Database, github: FakeGitHub, clock: FakeClock
) -> None:
    first = run(registry, github, clock)
    github.repo("qwen-lab/model-2").stars += 5  # one object changed: its ETag changes too
    github.requests.clear()

    second = run(registry, github, clock)

    assert first.status == second.status == "ok"
    assert second.counters.not_modified == github.count(304)
    assert github.count(304) >= 0.8 * len(github.requests)
    assert github.count(200) <= 3  # the changed repo (and its owner listing page)
    assert not any(
        s.path.startswith(("/users/", "/orgs/qwen-lab", "/orgs/mistral-like")) and s.path.count("/") == 2
        for s in github.requests
    )  # profiles are fresh: not asked again within 3 days
    assert _snapshot_counts(registry) == [1] * len(expected_repos(github))
    assert _repos(registry)["qwen-lab/model-2"].stars == github.repo("qwen-lab/model-2").stars
    with registry.session() as session:
        assert session.get(CollectionRun, second.run_id).not_modified == second.counters.not_modified
        assert session.scalar(select(func.count()).select_from(GhContributor)) > 0


def test_next_day_adds_a_snapshot(registry: Database, github: FakeGitHub, clock: FakeClock) -> None:
    run(registry, github, clock)
    github.repo("carol/agent").stars = 999
    run(registry, github, clock, today=TODAY + dt.timedelta(days=1))

    with registry.session() as session:
        history = session.execute(
            select(GhRepoSnapshot.captured_on, GhRepoSnapshot.stars)
            .join(GhRepo, GhRepo.id == GhRepoSnapshot.repo_id)
            .where(GhRepo.full_name == "carol/agent")
            .order_by(GhRepoSnapshot.captured_on)
        ).all()
        days = session.scalar(select(func.count(func.distinct(GhContributor.captured_on))))
    assert [tuple(h) for h in history] == [(TODAY, 400), (TODAY + dt.timedelta(days=1), 999)]
    assert days == 2


def test_faulty_run_ends_with_the_same_rows_as_a_clean_run(
    registry: Database, github: FakeGitHub, clock: FakeClock
) -> None:
    assert run(registry, github, clock).status == "ok"
    clean = dump(registry)
    clear_github_rows(registry)

    github.fail("500", f"/repositories/{github.repo('qwen-lab/model-1').id}", times=2)
    github.fail("502", "/search/repositories")
    github.fail("drop", "/contributors", times=2)
    github.fail("drop", "/users/carol")
    github.fail("secondary", "/orgs/qwen-lab/repos")  # 403 with retry-after: 1
    github.fail(
        "secondary-no-retry-after", f"/repositories/{github.repo('dave/chatbot').id}"
    )  # 403, no retry-after: at least 60 s
    github.fail("primary", "/orgs/mistral-like")  # 403 remaining 0: wait for the reset
    github.fail("primary429", f"/repositories/{github.repo('carol/agent').id}")
    github.requests.clear()
    clock.slept.clear()
    faulty = run(registry, github, clock)

    assert faulty.status == "ok", faulty.message
    assert dump(registry) == clean
    assert faulty.counters.retries >= 9
    assert 1.0 in clock.slept  # retry-after honoured
    assert any(60 <= wait <= 120 for wait in clock.slept)  # secondary without retry-after
    assert any(wait > 1000 for wait in clock.slept)  # primary: until the reset (an hour ahead)
    huge = f"/repositories/{github.repo('mistral-like/huge-history').id}/"
    faults = [s for s in github.requests if s.status in (403, 429, 500, 502) and huge not in s.path]
    assert len(faults) == 7  # every scripted fault was met once (and retried)


def test_a_run_that_exhausts_its_budget_stops_and_the_next_resumes(
    registry: Database, clock: FakeClock
) -> None:
    with FakeGitHub(tokens={"t1": 5000}, clock=clock) as clean_fake:
        add_example_data(clean_fake)
        run(registry, clean_fake, clock)
    clean = dump(registry)
    clear_github_rows(registry)

    with FakeGitHub(tokens={"t1": 20}, clock=clock) as fake:
        add_example_data(fake)
        short = PLAN.__class__(**{**PLAN.__dict__, "max_wait": 5.0})
        first = run(registry, fake, clock, short)
        assert first.status == "rate_limited"
        assert "rate limit" in (first.message or "")
        assert fake.count(403) == 0  # the policy stopped before spending a request on a 403
        with registry.session() as session:
            stopped = session.get(CollectionRun, first.run_id)
            assert stopped.status == "rate_limited"
            task = session.scalars(
                select(CollectionTask)
                .where(CollectionTask.run_id == first.run_id)
                .order_by(CollectionTask.id.desc())
            ).first()
            assert task is not None and task.status == "rate_limited"  # the task the next run resumes
            assert stopped.requests == len(fake.requests)
        assert sum(1 for s in fake.requests if not s.path.startswith("/search/")) == 20  # the core budget
        served_before = len(fake.requests)

        clock.sleep(3601)  # the hour passes: the budget resets
        second = run(registry, fake, clock, short)
        assert second.status == "ok", second.message
        # Resumed: the owners and the search done before were not listed again.
        later = [s.path for s in fake.requests[served_before:]]
        assert "/orgs/qwen-lab" not in later
    assert dump(registry) == clean


def test_stop_request_interrupts_and_the_next_run_resumes(
    registry: Database, github: FakeGitHub, clock: FakeClock
) -> None:
    stop = threading.Event()

    def progress(what: str, count: int) -> None:
        if what == "repositories" and count >= 3:
            stop.set()

    first = run(registry, github, clock, stop=stop, progress=progress)
    assert first.status == "interrupted"
    assert first.message and "resume" in first.message
    with registry.session() as session:
        counted = session.scalar(select(func.count()).select_from(GhRepoSnapshot))
    assert 3 <= counted < len(expected_repos(github))

    second = run(registry, github, clock)
    assert second.status == "ok"
    assert _snapshot_counts(registry) == [1] * len(expected_repos(github))


def test_renamed_blocked_and_deleted_repositories(
    registry: Database, github: FakeGitHub, clock: FakeClock
) -> None:
    run(registry, github, clock)
    old_ids = {name: repo.id for name, repo in _repos(registry).items()}
    github.rename_repo("dave/chatbot", "chatbot-pro", stale_search=True)  # search still says dave/chatbot
    github.rename_repo("qwen-lab/model-3", "mistral-like/model-3")  # transferred
    github.rename_repo("qwen-lab/model-2", "model-2b", stale_search=True)  # listing new, search old
    github.block_repo("carol/agent")
    github.delete_repo("qwen-lab/model-4")
    newcomer = github.add_repo("dave", "chatbot", stars=7)  # the old name, now another repository
    github.requests.clear()

    result = run(registry, github, clock, today=TODAY + dt.timedelta(days=1))

    assert result.status == "ok"
    # tracked by id: GET /repositories/{id}, never by a name that may now be another repository's
    assert not [s.path for s in github.requests if s.path.startswith("/repos/")]
    repos = _repos(registry)
    assert repos["dave/chatbot-pro"].id == old_ids["dave/chatbot"] != newcomer.id
    assert repos["dave/chatbot-pro"].stars == github.repo("dave/chatbot-pro").stars != newcomer.stars
    assert repos["mistral-like/model-3"].id == old_ids["qwen-lab/model-3"]
    assert "dave/chatbot" not in repos and "qwen-lab/model-3" not in repos
    assert repos["carol/agent"].gone and repos["qwen-lab/model-4"].gone
    assert not repos["dave/chatbot-pro"].gone
    with registry.session() as session:
        former = set(session.execute(select(FormerName.entity_id, FormerName.name)).all())
    assert (str(old_ids["dave/chatbot"]), "dave/chatbot") in former
    assert (str(old_ids["qwen-lab/model-3"]), "qwen-lab/model-3") in former
    assert repos["qwen-lab/model-2b"].id == old_ids["qwen-lab/model-2"]
    assert {name for key, name in former if key == str(old_ids["qwen-lab/model-2"])} == {"qwen-lab/model-2"}


def test_missing_org_is_marked_gone_without_failing(
    registry: Database, github: FakeGitHub, clock: FakeClock
) -> None:
    plan = PLAN.__class__(**{**PLAN.__dict__, "orgs": ("qwen-lab", "no-such-org")})
    result = run(registry, github, clock, plan)
    assert result.status == "ok"
    assert "/orgs/no-such-org" in github.paths(404) and "/users/no-such-org" in github.paths(404)
    assert set(_repos(registry)) == expected_repos(github)


def test_searches_come_from_the_config_file_by_default(tmp_path: Path) -> None:
    from tracker.config import load_settings
    from tracker.sources.github import DEFAULT_SEARCHES, configured_searches

    config = tmp_path / "tracker.toml"
    config.write_text('[github]\nsearches = ["topic:agents stars:>100"]\n')
    assert configured_searches(load_settings({"config_file": str(config)}, environ={})) == (
        "topic:agents stars:>100",
    )
    assert configured_searches(load_settings({}, environ={})) == DEFAULT_SEARCHES
