"""`tracker run`, the README's main command, end to end against the fake Hub and GitHub on SQLite, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub, hub_model
from tracker.cli import main
from tracker.collection import SourceLock
from tracker.db.engine import Database
from tracker.db.models import CollectionRun, HfModel, Publisher
from tracker.scheduler.lock import DaemonLock

TODAY = "2024-06-10"


def fake_hub() -> FakeHub:
    return FakeHub(
        [
            hub_model("Qwen/Qwen2-7B", created="2024-06-01T00:00:00.000Z", downloads=900, likes=50),
            hub_model("meta-llama/Llama-3-8B", created="2024-04-18T00:00:00.000Z", downloads=1200),
            hub_model(
                "someone/qwen-finetune",
                created="2024-06-05T00:00:00.000Z",
                downloads=10,
                tags=["base_model:finetune:Qwen/Qwen2-7B"],
            ),
            hub_model("olduser/ancient", created="2023-01-01T00:00:00.000Z", downloads=1),
        ]
    )


def fake_github() -> FakeGitHub:
    github = FakeGitHub(anonymous_limit=60)
    github.add_org("QwenLM", location="Hangzhou, China")
    github.add_repo("QwenLM", "Qwen2", stars=9000, topics=["llm"])
    github.set_contributors("QwenLM/Qwen2", [("dev1", 40)])
    return github


def test_tracker_run_collects_attributes_and_writes_the_report_without_a_github_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the default database (tracker.db) and ./reports/ land here
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    with fake_hub() as hub, fake_github() as github:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        assert main(["run"]) == 0
        out, err = capsys.readouterr()
        spent = [served for served in github.requests if served.status not in (304, 403, 429)]

    assert "registry: imported the shipped registry" in out
    report_dir = Path("reports") / TODAY
    assert f"the report is in {report_dir}/" in out
    for name in ("report.md", "report.html", "report.json"):
        assert (tmp_path / report_dir / name).is_file()
    assert "verdict" in json.loads((tmp_path / report_dir / "report.json").read_text())
    assert "GITHUB_TOKEN" in out  # says what would complete the GitHub part
    assert len(spent) <= 60  # only the anonymous budget the headers announced
    assert all(served.token == "anonymous" for served in github.requests)

    database = Database("sqlite:///tracker.db")
    try:
        with database.session() as session:
            assert (
                session.scalar(select(func.count()).select_from(Publisher)) or 0
            ) >= 100  # shipped registry
            statuses = {
                run.collector: run.status
                for run in session.scalars(select(CollectionRun).order_by(CollectionRun.id))
            }
            models = set(session.scalars(select(HfModel.repo_id)))
    finally:
        database.dispose()
    assert statuses == {
        "huggingface": "ok",
        "github": "rate_limited",
        "attribution": "ok",
        "report": "ok",
    }
    # new models of the last 30 days, the top by downloads and the registry publishers' models
    assert {"Qwen/Qwen2-7B", "meta-llama/Llama-3-8B", "someone/qwen-finetune"} <= models


def test_tracker_run_is_refused_while_a_daemon_holds_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    database = Database("sqlite:///tracker.db")
    try:
        with DaemonLock(database):
            assert main(["run"]) == 3
    finally:
        database.dispose()
    out, err = capsys.readouterr()
    assert "tracker.db.daemon.lock" in err and len(err.strip().splitlines()) == 1
    assert "report:" not in out


def test_tracker_run_writes_its_report_but_exits_3_while_a_collection_holds_a_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    database = Database("sqlite:///tracker.db")
    try:
        with fake_hub() as hub, fake_github() as github:
            monkeypatch.setenv("HF_ENDPOINT", hub.url)
            monkeypatch.setenv("GITHUB_API_URL", github.url)
            with SourceLock(database, "huggingface"):  # as a `tracker collect huggingface` started by hand
                assert main(["run"]) == 3
            hub_requests = len(hub.requests)
    finally:
        database.dispose()
    out, err = capsys.readouterr()
    assert (tmp_path / "reports" / TODAY / "report.md").is_file()
    assert hub_requests == 0
    last = err.strip().splitlines()[-1]  # the log lines of the run come before it
    assert last.startswith("error: report written, but huggingface was not collected: another huggingface")
