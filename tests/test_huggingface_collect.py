"""Collecting from a fake Hub into SQLite and PostgreSQL: rows, lineage, snapshots, faults and resumption."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.hub import Budget, FakeHub, hub_model, sample_datasets, sample_models
from tracker.collection import CollectResult
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.db.models import Account, Publisher
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface

DAY = dt.date(2025, 3, 1)
SINCE = dt.date(2024, 1, 1)


class Waits(list):
    """Records the waits the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def add_registry_account(database: Database, handle: str) -> None:
    with database.session() as session:
        publisher = Publisher(slug=handle.lower(), name=handle)
        session.add(publisher)
        session.flush()
        session.add(
            Account(platform="hf", handle=handle, handle_key=handle.lower(), publisher_id=publisher.id)
        )


def collect(
    database: Database,
    hub: FakeHub,
    *,
    today: dt.date = DAY,
    stop: threading.Event | None = None,
    progress: Callable[[str, int], None] | None = None,
    sleep: Callable[[float], None] | None | str = "record",
    max_wait: float = 900.0,
    **plan: Any,
) -> CollectResult:
    plan.setdefault("since", SINCE)
    plan.setdefault("orgs", ("org-a",))
    plan.setdefault("top", 5)
    settings = load_settings({"hf_endpoint": hub.url, "today": today.isoformat()})
    retry = RetryOptions(
        backoff_base=0.001, backoff_max=0.01, max_wait=max_wait, sleep=Waits() if sleep == "record" else sleep
    )
    return collect_huggingface(database, settings, HfPlan(retry=retry, **plan), stop=stop, progress=progress)


def dump(database: Database) -> dict[str, list[tuple]]:
    """Every collected row, keyed by stable ids (never surrogate ones), for comparing whole databases."""
    queries = {
        "models": "SELECT hub_id, repo_id, author, author_key, created_at, created_at_unknown, last_modified, "
        "pipeline_tag, library_name, license, gated, private, disabled, tags, downloads_30d, downloads_all_time, "
        "likes, trending_score, metrics_on, first_seen_on, last_seen_on FROM hf_models",
        "parents": "SELECT m.hub_id, p.parent_repo_id, p.relation, p.position, p.source "
        "FROM hf_model_parents p JOIN hf_models m ON m.id = p.child_id",
        "model_snapshots": "SELECT m.hub_id, s.captured_on, s.downloads_30d, s.downloads_all_time, s.likes, "
        "s.trending_score FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id",
        "datasets": "SELECT hub_id, repo_id, author, created_at, created_at_unknown, license, gated, tags, "
        "downloads_30d, downloads_all_time, likes, metrics_on FROM hf_datasets",
        "dataset_snapshots": "SELECT d.hub_id, s.captured_on, s.downloads_30d, s.likes "
        "FROM hf_dataset_snapshots s JOIN hf_datasets d ON d.id = s.dataset_id",
        "former_names": "SELECT entity, entity_id, name, replaced_on FROM former_names",
        "state": "SELECT key, value FROM collector_state",
    }
    with database.engine.connect() as connection:
        return {
            name: sorted((tuple(str(v) for v in row) for row in connection.execute(text(sql))), key=repr)
            for name, sql in queries.items()
        }


def wipe(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in (
            "hf_model_parents",
            "hf_model_snapshots",
            "hf_models",
            "hf_dataset_snapshots",
            "hf_datasets",
            "former_names",
            "collector_state",
            "collection_runs",
            "accounts",
            "publishers",
        ):
            connection.execute(text(f"DELETE FROM {table}"))


def scalar(database: Database, sql: str, **params: Any) -> Any:
    with database.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def rows(database: Database, sql: str, **params: Any) -> list[tuple]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


@pytest.fixture
def hub() -> FakeHub:
    with FakeHub(models=sample_models(), datasets=sample_datasets(), page_size=7) as server:
        yield server


def clean_dump(database: Database, hub: FakeHub, **plan: Any) -> dict[str, list[tuple]]:
    add_registry_account(database, "org-b")
    result = collect(database, hub, **plan)
    assert result.status == "ok", result.message
    snapshot = dump(database)
    wipe(database)
    return snapshot


# --- what a run stores ------------------------------------------------------------------------------------


def test_collects_every_listed_model_and_dataset_page_by_page(database: Database, hub: FakeHub) -> None:
    add_registry_account(database, "org-b")
    result = collect(database, hub)
    assert result.status == "ok"
    # every model the registry org, --org, the new-model crawl and the top list cover, each once
    valid = [m for m in sample_models() if isinstance(m.get("id"), str) and "_id" in m]
    valid = [m for m in valid if m["id"] not in ("broken/downloads-text", "broken/bad-date")]
    stored = {row[0] for row in rows(database, "SELECT hub_id FROM hf_models")}
    assert stored == {m["_id"] for m in valid}  # the repeated repo is stored once
    assert len(stored) == len(valid) - 1
    assert scalar(database, "SELECT count(*) FROM hf_model_snapshots") == len(stored)
    assert scalar(database, "SELECT count(*) FROM hf_datasets") == 12  # org-a and org-b, one malformed
    assert result.skipped >= 3
    run = rows(database, "SELECT status, items, skipped, requests, bytes FROM collection_runs")[0]
    assert run[0] == "ok" and run[2] == result.skipped and run[3] == result.counters.requests and run[4] > 0
    # the server paginated (7 per page although 1000 were asked) and every request asked for all fields at once
    assert all(("limit", "1000") in query or ("limit", "5") in query for _, query in hub.requests)
    assert len(hub.requests) < 40
    assert sum(1 for _, query in hub.requests if any(key == "cursor" for key, _ in query)) > 5  # Link pages
    assert all(sum(1 for key, _ in query if key == "expand") >= 11 for _, query in hub.requests)


def test_metrics_inline_and_snapshot_with_placeholder_and_gated(database: Database, hub: FakeHub) -> None:
    collect(database, hub)
    base = rows(
        database,
        "SELECT downloads_30d, downloads_all_time, likes, metrics_on, created_at_unknown FROM hf_models "
        "WHERE repo_id = 'org-a/base-7b'",
    )[0]
    assert base[:3] == (9000, 27000, 500) and str(base[3]) == DAY.isoformat() and not base[4]
    old = rows(
        database, "SELECT created_at, created_at_unknown FROM hf_models WHERE repo_id = 'org-a/old-model'"
    )
    assert old == [(None, True)]
    ancient = rows(
        database, "SELECT created_at, created_at_unknown FROM hf_datasets WHERE repo_id = 'org-a/ancient'"
    )
    assert ancient == [(None, True)]
    gated = dict(rows(database, "SELECT repo_id, gated FROM hf_models WHERE repo_id LIKE 'org-a/gated-%'"))
    assert gated == {"org-a/gated-auto": "auto", "org-a/gated-manual": "manual"}
    assert scalar(database, "SELECT gated FROM hf_models WHERE repo_id = 'org-a/base-7b'") == "false"
    latest = rows(
        database,
        "SELECT downloads_30d, downloads_all_time, captured_on FROM hf_model_latest WHERE repo_id = 'org-b/chat'",
    )
    assert latest and latest[0][:2] == (5000, 15000) and str(latest[0][2]) == DAY.isoformat()


def test_lineage_edges_with_positions_relations_and_uncollected_parents(
    database: Database, hub: FakeHub
) -> None:
    collect(database, hub)
    edges = rows(
        database,
        "SELECT m.repo_id, p.parent_repo_id, p.relation, p.position, p.source FROM hf_model_parents p "
        "JOIN hf_models m ON m.id = p.child_id ORDER BY m.repo_id, p.position",
    )
    assert ("org-b/chat", "org-a/base-7b", "finetune", 0, "tag") in edges
    assert ("someone/chat-GGUF", "org-b/chat", "quantized", 0, "tag") in edges
    merged = [edge[1:] for edge in edges if edge[0] == "someone/merged"]
    assert merged == [
        ("org-b/chat", "merge", 0, "tag"),
        ("never/collected", "merge", 1, "tag"),
        ("third/card-only", "unknown", 2, "card"),
    ]
    assert ("someone/lora", "org-a/base-7b", "adapter", 0, "card") in edges
    assert scalar(database, "SELECT count(*) FROM hf_models WHERE repo_id = 'never/collected'") == 0
    view = rows(
        database, "SELECT base_model, base_relation FROM hf_model_latest WHERE repo_id = 'someone/merged'"
    )
    assert view == [("org-b/chat", "merge")]
    assert rows(database, "SELECT base_model FROM hf_model_latest WHERE repo_id = 'org-a/base-7b'") == [
        (None,)
    ]


def test_same_day_rerun_updates_the_snapshot_and_a_new_day_adds_one(database: Database, hub: FakeHub) -> None:
    collect(database, hub)
    count = scalar(database, "SELECT count(*) FROM hf_model_snapshots")
    hub.models[0]["downloads"] = 9500  # org-a/base-7b
    collect(database, hub)
    assert scalar(database, "SELECT count(*) FROM hf_model_snapshots") == count
    sql = (
        "SELECT s.captured_on, s.downloads_30d FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id "
        "WHERE m.repo_id = 'org-a/base-7b' ORDER BY s.captured_on"
    )
    assert [(str(d), n) for d, n in rows(database, sql)] == [(DAY.isoformat(), 9500)]
    hub.models[0]["downloads"] = 9700
    collect(database, hub, today=DAY + dt.timedelta(days=1))
    assert [n for _, n in rows(database, sql)] == [9500, 9700]
    first_seen, last_seen, inline = rows(
        database,
        "SELECT first_seen_on, last_seen_on, downloads_30d FROM hf_models WHERE repo_id = 'org-a/base-7b'",
    )[0]
    assert (str(first_seen), str(last_seen), inline) == (
        DAY.isoformat(),
        (DAY + dt.timedelta(days=1)).isoformat(),
        9700,
    )


def test_a_renamed_repo_keeps_its_row_and_records_the_old_name(database: Database, hub: FakeHub) -> None:
    collect(database, hub)
    hub_id = hub.models[0]["_id"]
    hub.models[0]["id"] = "org-a/base-7b-v2"
    collect(database, hub, today=DAY + dt.timedelta(days=1))
    assert rows(database, "SELECT repo_id FROM hf_models WHERE hub_id = :h", h=hub_id) == [
        ("org-a/base-7b-v2",)
    ]
    assert scalar(database, "SELECT count(*) FROM hf_models WHERE repo_id LIKE 'org-a/base-7b%'") == 1
    former = rows(database, "SELECT entity, entity_id, name FROM former_names")
    assert former == [("hf_model", hub_id, "org-a/base-7b")]
    assert (
        scalar(
            database,
            "SELECT count(*) FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id WHERE m.hub_id = :h",
            h=hub_id,
        )
        == 2
    )


def test_malformed_items_are_skipped_counted_and_the_rest_stored(
    database: Database, hub: FakeHub, caplog
) -> None:
    logger = logging.getLogger("tracker.sources.huggingface.collect")
    logger.addHandler(caplog.handler)  # the CLI's logging setup stops propagation to the root logger
    try:
        result = collect(database, hub, orgs=("org-a", "broken"), since=dt.date(2023, 1, 1))
    finally:
        logger.removeHandler(caplog.handler)
    assert result.status == "ok"
    assert scalar(database, "SELECT count(*) FROM hf_models WHERE repo_id LIKE 'broken/%'") == 0
    assert scalar(database, "SELECT count(*) FROM hf_datasets WHERE repo_id = 'org-a/bad-likes'") == 0
    assert scalar(database, "SELECT skipped FROM collection_runs") == result.skipped >= 5
    assert "broken/downloads-text" in caplog.text


# --- faults, rate limits, resumption ----------------------------------------------------------------------


def test_a_faulty_run_ends_with_the_same_rows_as_a_clean_run(database: Database, hub: FakeHub) -> None:
    clean = clean_dump(database, hub)
    add_registry_account(database, "org-b")

    def paging(path: str, query: list) -> bool:
        return any(key == "cursor" for key, _ in query)

    hub.inject("500", "drop", "502")
    hub.inject("cut", "503", "truncate", "429", when=paging)
    waits = Waits()
    result = collect(database, hub, sleep=waits)
    assert result.status == "ok", result.message
    assert all(hub.served.get(kind) == 1 for kind in ("500", "502", "503", "drop", "cut", "truncate", "429"))
    assert result.counters.retries >= 7
    assert dump(database) == clean


def test_429_with_nothing_remaining_waits_for_the_reset(database: Database, hub: FakeHub) -> None:
    hub.fault_reset = 42
    hub.inject("429")
    waits = Waits()
    result = collect(database, hub, sleep=waits)
    assert result.status == "ok"
    assert any(wait >= 42 for wait in waits)
    assert scalar(database, "SELECT waits FROM collection_runs") >= 42


def test_requests_are_paced_under_a_small_budget_without_hitting_429(database: Database) -> None:
    # 12 requests per 1-second window; the run needs twice that, so the client must spread them (real sleeps)
    add_registry_account(database, "org-b")
    with FakeHub(models=sample_models(), datasets=sample_datasets(), page_size=4, quota=12, window=1) as hub:
        result = collect(database, hub, sleep=None, top=0)  # None: really sleep
    assert result.status == "ok"
    assert result.counters.requests > 12
    assert result.counters.waits > 0
    assert hub.served.get("rate_limited", 0) == 0


def test_a_spent_budget_stops_the_run_rate_limited_and_the_next_run_resumes(
    database: Database, hub: FakeHub
) -> None:
    clean = clean_dump(database, hub)
    add_registry_account(database, "org-b")
    hub.budget = Budget(quota=4, window=3600)
    first = collect(database, hub, max_wait=5)
    assert first.status == "rate_limited" and first.resumable
    assert "rate" in (first.message or "")
    assert rows(database, "SELECT status FROM collection_runs") == [("rate_limited",)]
    assert scalar(database, "SELECT count(*) FROM hf_models") > 0
    hub.budget = Budget(quota=10_000, window=300)
    second = collect(database, hub, max_wait=5)
    assert second.status == "ok"
    assert dump(database) == clean


@pytest.mark.parametrize("how", ["stop", "crash"])
def test_a_crawl_interrupted_after_some_pages_resumes_to_the_same_rows(
    database: Database, hub: FakeHub, how: str
) -> None:
    clean = clean_dump(database, hub)
    clean_requests = len(hub.requests)
    hub.requests.clear()
    add_registry_account(database, "org-b")
    stop = threading.Event()
    pages = []

    def after_page(what: str, count: int) -> None:
        pages.append(what)
        if what == "new models" and pages.count(what) == 2:
            if how == "stop":
                stop.set()
            else:
                raise RuntimeError("killed")

    if how == "stop":
        assert collect(database, hub, stop=stop, progress=after_page).status == "interrupted"
    else:
        with pytest.raises(RuntimeError):
            collect(database, hub, progress=after_page)
        assert rows(database, "SELECT status FROM collection_runs") == [("failed",)]
    assert dump(database)["state"] == []  # the mark moves only when the new-model crawl completes
    result = collect(database, hub)
    assert result.status == "ok"
    assert dump(database) == clean
    # resumed from the checkpoint, not from scratch: fetched again are at most the page fetched ahead and,
    # after a crash, the pages of the transaction it rolled back (two here)
    assert len(hub.requests) <= clean_requests + (1 if how == "stop" else 3)


def test_a_run_killed_outright_is_resumed_by_the_next(database: Database, hub: FakeHub) -> None:
    clean = clean_dump(database, hub)
    add_registry_account(database, "org-b")

    def die(what: str, count: int) -> None:
        if what == "new models":
            raise SystemExit(9)

    with pytest.raises(SystemExit):
        collect(database, hub, progress=die)
    with database.engine.begin() as connection:  # as if the process had been killed mid-run
        connection.execute(text("UPDATE collection_runs SET status = 'running', finished_at = NULL"))
    assert collect(database, hub).status == "ok"
    assert dump(database) == clean


def test_high_water_mark_limits_the_next_crawl_and_since_overrides_it(
    database: Database, hub: FakeHub
) -> None:
    collect(database, hub, orgs=(), top=0)
    mark = rows(database, "SELECT value FROM collector_state")
    newest = max(m["createdAt"] for m in sample_models() if m.get("createdAt", "").startswith("20"))
    assert len(mark) == 1 and newest[:19] in str(mark[0][0])  # the newest valid createdAt

    def global_pages() -> int:
        return sum(
            1
            for path, q in hub.requests
            if path == "/api/models" and ("sort", "createdAt") in q and not any(k == "author" for k, _ in q)
        )

    hub.requests.clear()
    hub.models.append(hub_model("fresh/model", created="2025-02-28T00:00:00.000Z"))
    collect(database, hub, orgs=(), top=0, since=None, today=DAY + dt.timedelta(days=1))
    assert global_pages() == 1
    assert scalar(database, "SELECT count(*) FROM hf_models WHERE repo_id = 'fresh/model'") == 1
    assert "2025-02-28" in str(rows(database, "SELECT value FROM collector_state")[0][0])
    hub.requests.clear()
    collect(database, hub, orgs=(), top=0, since=dt.date(2023, 1, 1), today=DAY + dt.timedelta(days=2))
    assert global_pages() > 3


def test_top_models_by_downloads_are_capped(database: Database, hub: FakeHub) -> None:
    collect(database, hub, orgs=(), include_registry=False, global_crawl=False, datasets=False, top=10)
    stored = [r[0] for r in rows(database, "SELECT downloads_30d FROM hf_models ORDER BY downloads_30d DESC")]
    valid = [m for m in sample_models() if isinstance(m.get("downloads"), int) and "_id" in m]
    expected = sorted({m["_id"]: m["downloads"] for m in valid}.values(), reverse=True)
    assert 10 <= len(stored) <= 14  # the top 10, plus the rest of the last page (7 per page) as seen
    assert stored[:10] == expected[:10]
    assert all(("sort", "downloads") in q for _, q in hub.requests)


def test_replaying_an_earlier_day_adds_its_snapshot_and_keeps_newer_metrics(
    database: Database, hub: FakeHub
) -> None:
    collect(database, hub)
    hub.models[0]["downloads"] = 1234
    hub.models[0]["id"] = "org-a/base-7b-renamed"
    collect(database, hub, today=DAY - dt.timedelta(days=3))
    inline = rows(
        database,
        "SELECT repo_id, downloads_30d, metrics_on FROM hf_models WHERE hub_id = :h",
        h=hub.models[0]["_id"],
    )
    assert [(r, n, str(on)) for r, n, on in inline] == [("org-a/base-7b", 9000, DAY.isoformat())]
    history = rows(
        database,
        "SELECT s.captured_on, s.downloads_30d FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id "
        "WHERE m.hub_id = :h ORDER BY s.captured_on",
        h=hub.models[0]["_id"],
    )
    assert [(str(d), n) for d, n in history] == [
        ((DAY - dt.timedelta(days=3)).isoformat(), 1234),
        (DAY.isoformat(), 9000),
    ]
    assert rows(database, "SELECT name FROM former_names") == []


def test_a_completed_new_model_crawl_records_the_creation_window_it_covered(
    database: Database, hub: FakeHub
) -> None:
    collect(database, hub, orgs=(), top=0, global_crawl=False)
    assert scalar(database, "SELECT count(*) FROM hf_coverage") == 0  # no crawl of new models, no coverage
    collect(database, hub, orgs=(), top=0)
    [(source, covered_from, covered_to, recorded_on)] = rows(
        database, "SELECT source, covered_from, covered_to, recorded_on FROM hf_coverage"
    )
    newest = max(m["createdAt"] for m in sample_models() if m.get("createdAt", "").startswith("20"))
    assert source == "api" and str(recorded_on) == DAY.isoformat()
    assert str(covered_from).startswith(SINCE.isoformat()) and str(covered_to)[:19] == newest[:19].replace(
        "T", " "
    )
