"""Fault injection: hostile API data for both collectors (both back ends).

Huge strings, wrong types, deep nesting, NUL characters and lone surrogates, invalid UTF-8, duplicate ids,
negative counts, and a `Link` header pointing at another host. Each bad item is logged and skipped (or the
page refused) without a crash; the off-host link is never followed and the run ends with a clear message;
nothing is stored that breaks a view (every view is queried afterwards).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import text
from werkzeug import Request, Response

from tests.fakes.github import FakeClock, FakeGitHub
from tracker.attribution.attribute import run_attribution
from tracker.cli import main
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.db.views import VIEWS
from tracker.sources.github import GhPlan, collect_github
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface

TODAY = "2025-03-01"
RETRY = RetryOptions(max_attempts=2, backoff_base=0.001, backoff_max=0.001, max_wait=1)
PLAN = HfPlan(
    since=dt.date(2024, 1, 1), include_registry=False, top=0, datasets=False, page_size=50, retry=RETRY
)
HUGE = "x" * 200_000


def item(hub_id: str, repo_id: Any, **fields: Any) -> dict[str, Any]:
    return {"_id": hub_id, "id": repo_id, "createdAt": "2024-06-01T00:00:00.000Z", "downloads": 1, **fields}


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"base_model": value}
    return value


def hostile_models() -> list[Any]:
    return [
        item("good01", "fine/good", downloads=10, likes=2, tags=["base_model:finetune:fine/base"]),
        item("huge01", f"hostile/{HUGE}"),
        item(
            "huge02",
            "hostile/huge-fields",
            pipeline_tag=HUGE,
            library_name=HUGE,
            tags=[HUGE, f"license:{HUGE}"],
        ),
        item("huge03", "hostile/huge-card", cardData={"base_model": [HUGE, "fine/good"], "license": HUGE}),
        item(HUGE, "hostile/huge-hub-id"),
        item("type01", "hostile/types-downloads", downloads={"n": 1}),
        item("type02", "hostile/types-likes", likes="3"),
        item("type03", "hostile/types-tags", tags="base_model:fine/good"),
        item("type04", "hostile/types-private", private="yes"),
        item("type05", "hostile/types-gated", gated=7),
        item("type06", "hostile/types-card", cardData=["base_model", "fine/good"]),
        item("type07", "hostile/types-created", createdAt=20240601),
        item("type08", 12345),
        item("neg01", "hostile/negative-downloads", downloads=-5),
        item("neg02", "hostile/negative-likes", likes=-1),
        item("big01", "hostile/too-big", downloads=2**80),
        item("big02", "hostile/not-finite", downloads=1e308 * 10),
        item("deep01", "hostile/deep-card", cardData=nested(300)),
        item("nul001", "hostile/nul", pipeline_tag="text\x00generation", tags=["a\x00b"]),
        item("surr01", "hostile/surrogate", pipeline_tag="\ud800", tags=["\udfff"]),
        item("good01", "fine/good-renamed-on-the-same-page", downloads=11),
        item("good01", "fine/good", downloads=12, likes=2),  # the same _id again: stored once
        42,
        None,
        "a string",
        [],
    ]


def page_json(items: list[Any]) -> str:
    # json.dumps keeps lone surrogates as \ud800 escapes (valid JSON text that no UTF-8 encoder accepts)
    return json.dumps(items, allow_nan=True)


@pytest.fixture
def hostile_hub(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("HF_ENDPOINT", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    return httpserver


def query_every_view(database: Database) -> dict[str, int]:
    counts = {}
    with database.engine.connect() as connection:
        for view in VIEWS:
            counts[view.name] = len(connection.execute(text(f"SELECT * FROM {view.name}")).all())
    return counts


def test_hostile_hub_items_are_skipped_one_by_one_and_an_off_host_link_is_refused(
    database: Database, database_url: str, hostile_hub: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    other = HTTPServer(host="127.0.0.1", port=0)
    other.expect_request("/api/models").respond_with_json([item("evil01", "evil/model")])
    other.start()
    try:
        elsewhere = other.url_for("/api/models?cursor=stolen")

        def pages(request: Request) -> Response:
            cursor = request.args.get("cursor")
            if cursor is None:
                link = f'<{hostile_hub.url_for("/api/models")}?cursor=p2>; rel="next"'
                return Response(
                    page_json(hostile_models()), content_type="application/json", headers={"Link": link}
                )
            return Response(
                page_json([item("good02", "fine/second-page")]),
                content_type="application/json",
                headers={"Link": f'<{elsewhere}>; rel="next"'},
            )

        hostile_hub.expect_request("/api/models").respond_with_handler(pages)
        code = main(
            [
                "--database-url",
                database_url,
                "collect",
                "huggingface",
                "--since",
                "2024-01-01",
                "--no-registry",
                "--top",
                "0",
                "--page-size",
                "50",
            ]
        )
        err = capsys.readouterr().err
        assert len(other.log) == 0, "followed a Link to another host"
    finally:
        other.clear()
        other.stop()
    assert code == 1 and "Traceback" not in err, err
    last = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(last) == 1 and "refused to follow a link" in last[0] and "127.0.0.1" in last[0], err

    with database.engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT repo_id, downloads_30d FROM hf_models")).all())
        run = connection.execute(
            text("SELECT status, skipped, message FROM collection_runs WHERE collector = 'huggingface'")
        ).one()
        lengths = connection.execute(
            text("SELECT max(length(repo_id)), max(length(hub_id)), max(length(pipeline_tag)) FROM hf_models")
        ).one()
        negative = connection.execute(
            text("SELECT count(*) FROM hf_models WHERE downloads_30d < 0 OR likes < 0")
        ).scalar()
    assert stored.get("fine/good") == 12  # the last listing of a repo on a page wins
    assert "evil/model" not in stored  # the off-host page was never fetched
    assert "fine/second-page" in stored  # the page whose Link was refused is kept
    assert run.status == "failed" and "refused" in run.message
    assert run.skipped >= 14, run
    assert all(value is None or value <= 300 for value in lengths), lengths
    assert negative == 0, "negative counts stored"
    assert not any("\x00" in repo for repo in stored)

    run_attribution(database)
    counts = query_every_view(database)
    assert counts["hf_model_latest"] == len(stored)


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        pytest.param(
            b'[{"_id":"utf001","id":"bad/utf\xff\xfe8","createdAt":"2024-06-01T00:00:00.000Z"}]',
            "failed",
            "unparseable",
            id="utf8",
        ),
        pytest.param(("[" * 100_000 + "]" * 100_000).encode(), "failed", "unparseable", id="deep-json"),
        pytest.param(b'{"error": "not a list"}', "failed", "expected a JSON array", id="object"),
        pytest.param(b"[" + b'"' + b"y" * 3_000_000 + b'"]', "ok", None, id="huge-string"),
    ],
)
def test_an_undecodable_hub_page_fails_the_run_clearly(
    database: Database, hostile_hub: HTTPServer, body: bytes, status: str, reason: str | None
) -> None:
    hostile_hub.expect_request("/api/models").respond_with_data(body, content_type="application/json")
    result = collect_huggingface(database, load_settings(), PLAN)
    assert result.status == status, result
    if reason:
        assert reason in result.message and "\n" not in result.message, result.message
    else:
        assert result.skipped == 1
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM hf_models")).scalar() == 0
        stored = connection.execute(text("SELECT status, message FROM collection_runs")).one()
    assert tuple(stored) == (result.status, result.message)
    query_every_view(database)


def test_hostile_github_fields_are_skipped_or_bounded(database: Database) -> None:
    clock = FakeClock()
    with FakeGitHub(tokens={"t1": 5000}, clock=clock) as github:
        github.add_org("hostile", location=HUGE, name={"nested": nested(50)}, company=["a"], followers=-3)
        github.add_repo("hostile", "good", stars=10, watchers=2, language="Python")
        github.add_repo("hostile", "negative", stars=-5, forks=-1, watchers=-2, open_issues=-9)
        github.add_repo("hostile", "wrong-types", stars="many", forks=None, watchers=[1], license=HUGE)
        github.add_repo("hostile", "huge-text", description=HUGE, language=HUGE, topics=[HUGE, {"x": 1}])
        github.add_repo("hostile", "nul", description="a\x00b", language="C\x00")
        github.add_repo("hostile", "float", stars=1.5e300)
        github.add_repo("hostile", "too-big", stars=2**80, forks=2**70)
        github.add_repo("hostile", "huge-id", id=2**80, stars=1)
        github.set_contributors("hostile/good", [("dev-one", 3), ("dev-two", -4)])
        github.add_user("dev-one", location="\ud800 Beijing", company=HUGE)
        settings = load_settings(
            {"github_api_url": github.url, "today": dt.date(2026, 3, 2)}, environ={"GITHUB_TOKEN": "t1"}
        )
        plan = GhPlan(
            orgs=("hostile", "HOSTILE"), searches=(), per_page=2, backoff_base=0.001, backoff_max=0.01
        )
        result = collect_github(database, settings, plan, sleep=clock.sleep, clock=clock)
    assert result.status == "ok" and result.skipped >= 5, result
    with database.engine.connect() as connection:
        owner = connection.execute(
            text("SELECT name, company, followers, length(location) FROM gh_accounts WHERE login = 'hostile'")
        ).one()
        repos = dict(connection.execute(text("SELECT full_name, stars FROM gh_repos")).all())
        negative = connection.execute(
            text(
                "SELECT count(*) FROM gh_repos WHERE stars < 0 OR forks < 0 OR watchers < 0 OR open_issues < 0"
            )
        ).scalar()
        too_long = connection.execute(
            text("SELECT count(*) FROM gh_accounts WHERE length(location) > 10000 OR length(company) > 10000")
        ).scalar()
    assert repos.get("hostile/good") == 10
    assert negative == 0, "negative counts stored"
    assert too_long == 0
    assert tuple(owner) == (None, None, None, 10_000)  # wrong types unknown (never their repr), text bounded
    run_attribution(database)
    query_every_view(database)


def test_github_link_to_another_host_is_refused_and_the_run_ends_clearly(
    database: Database,
    database_url: str,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = HTTPServer(host="127.0.0.1", port=0)
    other.expect_request("/orgs/hostile/repos").respond_with_json([])
    other.start()
    owner = {"login": "hostile", "id": 77, "type": "Organization", "location": "Paris"}
    repo = {
        "id": 78,
        "name": "r",
        "full_name": "hostile/r",
        "owner": {"login": "hostile", "id": 77, "type": "Organization"},
        "stargazers_count": 1,
        "forks_count": 0,
        "open_issues_count": 0,
        "fork": False,
        "archived": False,
    }
    try:
        httpserver.expect_request("/orgs/hostile").respond_with_json(owner)
        httpserver.expect_request("/orgs/hostile/repos").respond_with_json(
            [repo], headers={"Link": f'<{other.url_for("/orgs/hostile/repos")}?page=2>; rel="next"'}
        )
        httpserver.expect_request("/repositories/78").respond_with_json({**repo, "subscribers_count": 1})
        httpserver.expect_request("/repositories/78/contributors").respond_with_json([])
        monkeypatch.setenv("GITHUB_API_URL", httpserver.url_for("").rstrip("/"))
        monkeypatch.setenv("TRACKER_TODAY", TODAY)
        code = main(["--database-url", database_url, "collect", "github", "--org", "hostile", "--no-search"])
        err = capsys.readouterr().err
        assert len(other.log) == 0, "followed a Link to another host"
        unanswered = [request.path for request, response in httpserver.log if response.status_code >= 500]
    finally:
        other.clear()
        other.stop()
    assert not unanswered, unanswered
    assert "Traceback" not in err
    assert "refused to follow a link" in err, err
    with database.engine.connect() as connection:
        errors, message = connection.execute(
            text("SELECT errors, message FROM collection_runs WHERE collector = 'github'")
        ).one()
    # the owner's task fails with the reason, its page kept; the run goes on and ends failed saying so
    assert code == 1 and errors >= 1 and "failed" in message, (code, errors, message)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT full_name FROM gh_repos")).scalars().all() == ["hostile/r"]
    query_every_view(database)


def test_a_hub_listing_that_links_back_to_itself_is_abandoned(
    database: Database, hostile_hub: HTTPServer
) -> None:
    def pages(request: Request) -> Response:
        looping = f'<{hostile_hub.url_for("/api/models")}?cursor=again>; rel="next"'
        name = "loop/second" if request.args.get("cursor") else "loop/first"
        return Response(
            page_json([item(name[-6:], name)]), content_type="application/json", headers={"Link": looping}
        )

    hostile_hub.expect_request("/api/models").respond_with_handler(pages)
    result = collect_huggingface(database, load_settings(), PLAN)
    assert result.status == "failed" and "already read" in result.message, result
    assert len(hostile_hub.log) == 2  # the first page, then the looping one once
    with database.engine.connect() as connection:
        stored = set(connection.execute(text("SELECT repo_id FROM hf_models")).scalars())
    assert stored == {"loop/first", "loop/second"}


def test_a_github_listing_that_links_back_to_itself_is_abandoned(
    database: Database,
    database_url: str,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner = {"login": "loop", "id": 91, "type": "Organization"}
    repo = {"id": 92, "name": "r", "full_name": "loop/r", "owner": owner, "stargazers_count": 1}
    httpserver.expect_request("/orgs/loop").respond_with_json(owner)
    httpserver.expect_request("/orgs/loop/repos").respond_with_json(
        [repo], headers={"Link": f'<{httpserver.url_for("/orgs/loop/repos")}?page=2>; rel="next"'}
    )
    httpserver.expect_request("/repositories/92").respond_with_json({**repo, "subscribers_count": 1})
    httpserver.expect_request("/repositories/92/contributors").respond_with_json([])
    monkeypatch.setenv("GITHUB_API_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    code = main(["--database-url", database_url, "collect", "github", "--org", "loop", "--no-search"])
    err = capsys.readouterr().err
    listed = [request for request, _ in httpserver.log if request.path == "/orgs/loop/repos"]
    assert len(listed) == 2 and code in (0, 1) and "Traceback" not in err
    assert "already read" in err, err


def test_a_redirect_to_another_host_is_refused_before_it_is_followed(
    database: Database, hostile_hub: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = HTTPServer(host="127.0.0.1", port=0)
    other.expect_request("/api/models").respond_with_json([item("evil02", "evil/redirected")])
    other.start()
    monkeypatch.setenv("HF_TOKEN", "hf_RedirectSecret000")
    try:
        hostile_hub.expect_request("/api/models").respond_with_data(
            "", status=302, headers={"Location": other.url_for("/api/models")}
        )
        result = collect_huggingface(database, load_settings(), PLAN)
        assert len(other.log) == 0, "followed a redirect to another host"
    finally:
        other.clear()
        other.stop()
    assert result.status == "failed" and "refused" in result.message, result
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM hf_models")).scalar() == 0
