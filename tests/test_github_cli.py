"""`tracker collect github` end to end: GITHUB_API_URL points at the fake API (with a /api/v3 prefix)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests.fakes.github import FakeGitHub, add_example_data
from tests.github_helpers import TODAY, add_registry_account
from tracker.cli import main
from tracker.cli.app import EXIT_RESUMABLE
from tracker.db.engine import Database
from tracker.db.models import CollectionRun, CollectionTask, GhAccount, GhRepo, GhRepoSnapshot


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(prefix="/api/v3", tokens={"t1": 5000}, anonymous_limit=12) as fake:
        add_example_data(fake)
        yield fake


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, github: FakeGitHub, database: Database) -> Database:
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", database.url)
    monkeypatch.setenv("TRACKER_TODAY", TODAY.isoformat())
    add_registry_account(database, "mistral-like")
    return database


ARGS = ["collect", "github", "--org", "qwen-lab", "--search", "topic:llm stars:>200", "--contributors", "5"]


def test_collect_github_end_to_end(
    env: Database, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "t1")
    assert main(ARGS) == 0
    out, err = capsys.readouterr()
    assert "github run" in out and ": ok;" in out and "attribution:" in out
    assert "t1" not in out + err
    with env.session() as session:
        repos = {r.full_name: r for r in session.scalars(select(GhRepo))}
        snapshots = session.scalar(select(func.count()).select_from(GhRepoSnapshot))
        location = session.scalar(select(GhAccount.location).where(GhAccount.login == "qwen-lab"))
    assert repos["mistral-like/inference"].watchers == github.repo("mistral-like/inference").watchers
    assert "dave/chatbot" in repos and snapshots == len(repos)
    assert location == github.accounts["qwen-lab"]["location"]
    assert github.count(404) == 0  # every request went under the /api/v3 prefix

    assert main(ARGS) == 0  # the same day again: unchanged objects answered 304
    out, _ = capsys.readouterr()
    with env.session() as session:
        last = session.scalars(
            select(CollectionRun).where(CollectionRun.collector == "github").order_by(CollectionRun.id.desc())
        ).first()
    assert last is not None and last.not_modified > 0.8 * last.requests
    assert f"({last.not_modified:,} unchanged, 304)" in out


def test_anonymous_run_stops_with_exit_3_and_a_token_run_resumes(
    env: Database, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGS, "--max-wait", "0"]) == EXIT_RESUMABLE
    out, err = capsys.readouterr()
    assert "rate_limited" in out
    assert "stopped early" in err and "run again to resume" in err and "token" in err
    assert all(s.token == "anonymous" for s in github.requests)
    with env.session() as session:
        first = session.scalars(select(CollectionRun).where(CollectionRun.collector == "github")).one()
        assert first.status == "rate_limited"
        stopped_task = session.scalars(
            select(CollectionTask.status).where(CollectionTask.run_id == first.id)
        ).all()
        assert "rate_limited" in stopped_task

    monkeypatch.setenv("GITHUB_TOKEN", "t1")
    assert main(ARGS) == 0
    with env.session() as session:
        statuses = session.scalars(
            select(CollectionRun.status).where(CollectionRun.collector == "github").order_by(CollectionRun.id)
        ).all()
        snapshots = session.scalar(select(func.count()).select_from(GhRepoSnapshot))
        repos = session.scalar(select(func.count()).select_from(GhRepo))
    assert statuses == ["rate_limited", "ok"]
    assert snapshots == repos > 0
