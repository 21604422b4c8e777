"""Fault injection: the Hub collector SIGKILLed at 20 seeded points in a row; every restart resumes and the
final database equals an uninterrupted run's (both back ends).

The collector runs in a child process (the library, as `tracker collect huggingface` calls it). The fake Hub counts the child's requests and kills it, sometimes a few
milliseconds later, so the kill lands while a page downloads, while pages are stored or while they commit.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.hub import FakeHub, hub_dataset, hub_model
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.db.models import Base
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface
from tracker.sources.huggingface import collect as hf_collect

SEED = 20261128
KILLS = 20
TODAY = "2025-03-01"
PLAN = HfPlan(
    since=dt.date(2024, 1, 1),
    orgs=("kill-a", "kill-b"),
    top=12,
    page_size=3,
    include_registry=False,
    retry=RetryOptions(max_attempts=3, backoff_base=0.001, backoff_max=0.01, max_wait=1),
)


def kill_hub_models() -> list[dict[str, Any]]:
    """Two orgs, lineage, a renamed repo (one `_id`, two names) and a long tail for the global crawl."""
    renamed = "c0ffee" * 4
    models = [
        hub_model("kill-a/base", created="2024-02-01T00:00:00.000Z", downloads=900, likes=9),
        hub_model("kill-a/renamed-old", hub_id=renamed, created="2024-02-02T00:00:00.000Z", downloads=5),
        hub_model("kill-b/renamed-new", hub_id=renamed, created="2024-02-03T00:00:00.000Z", downloads=6),
        hub_model(
            "kill-b/merge",
            created="2024-02-04T00:00:00.000Z",
            tags=["base_model:kill-a/base", "base_model:merge:kill-a/base", "base_model:merge:gone/x"],
            card={"base_model": ["kill-a/base", "gone/x"]},
        ),
    ]
    for i in range(150):
        parent = f"tail{(i + 1) % 9}/m-{(i + 1) // 9}"
        models.append(
            hub_model(
                f"tail{i % 9}/m-{i // 9}",
                created=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00.000Z",
                downloads=(i * 37) % 1000,
                likes=i % 17,
                tags=[f"base_model:finetune:{parent}"] if i % 3 == 0 else [],
            )
        )
    models += [
        hub_model(f"kill-{org}/extra-{i}", created=f"2024-03-{i + 1:02d}T00:00:00.000Z", downloads=i)
        for org in "ab"
        for i in range(8)
    ]
    return models


KILL_DATASETS = [
    hub_dataset(f"kill-a/ds-{i}", created=f"2024-04-{i + 1:02d}T00:00:00.000Z") for i in range(7)
]

COMPARED = {
    "hf_models": "SELECT hub_id, repo_id, author, author_key, created_at, created_at_unknown, last_modified, "
    "pipeline_tag, library_name, license, gated, private, disabled, downloads_30d, downloads_all_time, "
    "likes, trending_score, metrics_on, first_seen_on, last_seen_on FROM hf_models",
    "hf_model_parents": "SELECT m.hub_id, p.parent_repo_id, p.relation, p.position, p.source "
    "FROM hf_model_parents p JOIN hf_models m ON m.id = p.child_id",
    "hf_model_snapshots": "SELECT m.hub_id, s.* FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id",
    "hf_datasets": "SELECT hub_id, repo_id, created_at, downloads_30d, likes, metrics_on FROM hf_datasets",
    "former_names": "SELECT entity, entity_id, name, replaced_on FROM former_names",
    "collector_state": "SELECT key, value FROM collector_state",
}


def table_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every compared table as sorted tuples (surrogate ids and run bookkeeping left out)."""
    result = {}
    with database.engine.connect() as connection:
        for name, sql in COMPARED.items():
            rows = connection.execute(text(sql)).mappings().all()
            result[name] = sorted(
                tuple(str(v) for k, v in row.items() if k not in ("model_id",)) for row in rows
            )
    return result


def wipe(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


ROOT = Path(__file__).resolve().parents[1]


def child_main(url: str) -> int:
    """The child's work: one collection with `PLAN`; 0 when it ends ok."""
    # commits every few pages only, never by the clock: how far each restart gets does not depend on the
    # machine's load, so the 20 kills always land before the crawl ends
    hf_collect.COMMIT_EVERY_SECONDS = 3600.0
    result = collect_huggingface(Database(url), load_settings(), PLAN)
    return 0 if result.status == "ok" else 4


def run_child(url: str, hub: FakeHub, kill_after: int | None, delay: float) -> tuple[int, int]:
    """Run one collection in a child process; with `kill_after`, SIGKILL it at that request.

    Returns its exit code (negative: the signal that ended it) and the requests it made. A new process rather
    than a fork of this one: pytest's process has server threads, and a fork copies their locks mid-use."""
    counted = [0]
    killer: list[int] = []

    def on_request(_path: str, _query: list[tuple[str, str]]) -> bool:
        counted[0] += 1
        if kill_after is not None and counted[0] == kill_after and killer:
            if delay:
                threading.Timer(delay, os.kill, (killer[0], signal.SIGKILL)).start()
            else:
                os.kill(killer[0], signal.SIGKILL)
        return False  # never serves a fault: only counts

    hub.faults.clear()
    hub.inject("500", when=on_request)
    code = "import sys; from tests.test_faults_kill import child_main; sys.exit(child_main(sys.argv[1]))"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen([sys.executable, "-c", code, url], env=env, cwd=ROOT)
    killer.append(process.pid)
    return process.wait(timeout=300), counted[0]


def test_twenty_kills_in_a_row_then_the_same_database_as_an_uninterrupted_run(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        FakeHub(
            models=kill_hub_models(),
            datasets=[
                hub_dataset(f"kill-a/ds-{i}", created=f"2024-04-{i + 1:02d}T00:00:00.000Z") for i in range(7)
            ],
            page_size=3,
        ) as hub,
    ):
        hub.record_requests = False
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("TRACKER_TODAY", TODAY)
        database.dispose()  # no pooled connection of ours stays open while the child writes

        status, full_requests = run_child(database_url, hub, None, 0)
        assert status == 0
        expected = table_rows(database)
        assert len(expected["hf_models"]) > 150 and expected["former_names"] and expected["hf_model_parents"]
        wipe(database)
        database.dispose()

        rng = random.Random(SEED)
        for point in range(KILLS):
            kill_after = rng.randint(2, 10)
            delay = rng.choice([0.0, 0.0, rng.uniform(0.001, 0.03)])
            status, _ = run_child(database_url, hub, kill_after, delay)
            assert status == -signal.SIGKILL, (
                f"kill point {point} (after request {kill_after}) did not land: the crawl ended first"
            )
            database.dispose()
        with database.engine.connect() as connection:
            statuses = dict(
                connection.execute(text("SELECT status, count(*) FROM collection_runs GROUP BY status")).all()
            )
            stored = connection.execute(text("SELECT count(*) FROM hf_models")).scalar()
        # each restart took the source's lock and closed the killed run before it as interrupted
        assert statuses == {"interrupted": KILLS - 1, "running": 1}
        assert 0 < stored  # the killed runs made progress that the next ones kept

        status, last_requests = run_child(database_url, hub, None, 0)
        assert status == 0
        assert last_requests < full_requests // 2, "the restarts did not resume: the last run started over"
        actual = table_rows(database)
    for name in COMPARED:
        assert actual[name] == expected[name], f"{name} differs from the uninterrupted run"


def kill_at(nth: int | None, process: list[subprocess.Popen[str]]) -> Any:
    """A fake-Hub request hook that SIGKILLs `process[0]` at its `nth` request (never serves a fault)."""
    counted = [0]

    def on_request(_path: str, _query: list[tuple[str, str]]) -> bool:
        counted[0] += 1
        if nth is not None and counted[0] == nth and process:
            process[0].send_signal(signal.SIGKILL)
        return False

    return on_request


@pytest.mark.parametrize("backend", ["sqlite"])  # the back ends' part is covered above; this is the CLI's
def test_the_real_command_killed_mid_crawl_resumes_to_the_same_rows(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same through the `tracker` entry point: SIGKILLed mid-crawl, then run to the end."""
    args = ["collect", "huggingface", "--since", "2024-01-01", "--org", "kill-a", "--org", "kill-b"]
    args += ["--top", "12", "--page-size", "3", "--no-registry"]
    script = shutil.which("tracker")
    command = [script] if script else [sys.executable, "-c", "from tracker.cli import run; run()"]
    with FakeHub(models=kill_hub_models(), datasets=KILL_DATASETS, page_size=3) as hub:
        hub.record_requests = False
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("TRACKER_TODAY", TODAY)
        database.dispose()
        status, _ = run_child(database_url, hub, None, 0)
        assert status == 0
        expected = table_rows(database)
        wipe(database)
        database.dispose()

        env = {**os.environ, "TRACKER_DATABASE_URL": database_url}
        for kill_after in (14, None):
            process: list[subprocess.Popen[str]] = []
            hub.faults.clear()
            hub.inject("500", when=kill_at(kill_after, process))
            process.append(
                subprocess.Popen(
                    [*command, *args],
                    env=env,
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            out, err = process[0].communicate(timeout=120)
            if kill_after is None:
                assert process[0].returncode == 0, err
                assert "ok;" in out
            else:
                assert process[0].returncode == -signal.SIGKILL, (out, err)
    assert table_rows(database) == expected
