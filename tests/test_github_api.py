"""The GitHub endpoints over the shared HTTP client, against the fake API (no database)."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator

import pytest
import requests

from tests.fakes.github import FakeClock, FakeGitHub, add_example_data
from tracker.http.client import HttpClient, StoredResponse
from tracker.http.errors import HttpStatusError, RateLimitExceeded
from tracker.http.github_ratelimit import GitHubRateLimitPolicy
from tracker.sources.github.api import HEADERS, GitHubApi, TooLarge


class MemoryValidators:
    def __init__(self) -> None:
        self.saved: dict[str, StoredResponse] = {}

    def load(self, url: str) -> StoredResponse | None:
        return self.saved.get(url)

    def save(self, url: str, stored: StoredResponse) -> None:
        self.saved[url] = stored


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def github(clock: FakeClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(prefix="/api/v3", tokens={"t1": 5000, "t2": 5000}, clock=clock, search_cap=4) as fake:
        add_example_data(fake)
        yield fake


def client_for(fake: FakeGitHub, clock: FakeClock, *tokens: str, **kwargs: object) -> HttpClient:
    policy = GitHubRateLimitPolicy(tokens, clock=clock, reserve=0.0)
    return HttpClient(
        fake.url,
        policy,
        headers=HEADERS,
        sleep=clock.sleep,
        backoff_base=0.001,
        backoff_max=0.01,
        **kwargs,  # type: ignore[arg-type]
    )


def test_user_agent_is_required_and_sent(github: FakeGitHub, clock: FakeClock) -> None:
    host, port = github.url.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", "/api/v3/users/carol")  # http.client sends no User-Agent of its own
    bare = connection.getresponse()
    assert bare.status == 403 and "User-Agent" in json.loads(bare.read())["message"]
    connection.close()
    api = GitHubApi(client_for(github, clock, "t1"))
    fetched = api.user("carol")
    assert fetched is not None and fetched.data["location"] == "Berlin, Germany"
    assert github.requests[-1].user_agent.startswith("tracker/")


def test_link_pagination_under_a_path_prefix(github: FakeGitHub, clock: FakeClock) -> None:
    api = GitHubApi(client_for(github, clock, "t1"), per_page=2)
    pages = list(api.repositories_of("qwen-lab", organization=True))
    names = [repo["full_name"] for page in pages for repo in page.data]
    assert names == [
        r.full_name for r in sorted(github.repos.values(), key=lambda r: r.id) if r.owner == "qwen-lab"
    ]
    assert len(pages) == 3 and pages[-1].next_url is None
    assert all(p.url.startswith(github.url + "/orgs/qwen-lab/repos") for p in pages)


def test_etag_answers_304_with_the_stored_body(github: FakeGitHub, clock: FakeClock) -> None:
    client = client_for(github, clock, "t1", validators=MemoryValidators())
    first = client.get("/repos/carol/agent", conditional=True)
    second = client.get("/repos/carol/agent", conditional=True)
    assert not first.not_modified and second.not_modified
    assert second.data == first.data and client.counters.not_modified == 1
    assert [s.status for s in github.requests] == [200, 304]


def test_search_respects_the_result_cap(github: FakeGitHub, clock: FakeClock) -> None:
    api = GitHubApi(client_for(github, clock, "t1"), per_page=2)
    capped = [r for page in api.search_repositories("topic:llm", max_results=4) for r in page.data["items"]]
    assert len(capped) == 4 and github.count(422) == 0
    # Asking past GitHub's cap (the fake's is 4) ends the search at the 422 instead of failing.
    beyond = [r for page in api.search_repositories("topic:llm") for r in page.data["items"]]
    assert len(beyond) == 4 and github.count(422) == 1


def test_contributors_empty_repository_and_too_large(github: FakeGitHub, clock: FakeClock) -> None:
    api = GitHubApi(client_for(github, clock, "t1"))
    assert api.contributors(github.repo("qwen-lab/empty-repo").id, 10) == []
    assert github.requests[-1].status == 204
    with pytest.raises(TooLarge):
        api.contributors(github.repo("mistral-like/huge-history").id, 10)
    top = api.contributors(github.repo("qwen-lab/model-0").id, 2)
    assert [c["login"] for c in top] == ["carol", "dave"]
    assert api.repository(999_999) is None


def test_a_rejected_token_is_set_aside_and_the_next_one_used(
    github: FakeGitHub, clock: FakeClock, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger("tracker"), "propagate", True)  # the CLI may have turned it off
    client = client_for(github, clock, "ghp_revokedSECRET", "t2")
    with caplog.at_level(logging.DEBUG, logger="tracker"):
        assert client.get("/users/dave").data["login"] == "dave"
        client.get("/users/erin")
    assert [(s.token, s.status) for s in github.requests] == [
        ("ghp_revokedSECRET", 401),
        ("t2", 200),
        ("t2", 200),
    ]
    assert "#1 of 2" in caplog.text and "ghp_revokedSECRET" not in caplog.text


def test_every_token_rejected_fails_with_401(github: FakeGitHub, clock: FakeClock) -> None:
    client = client_for(github, clock, "nope1", "nope2")
    with pytest.raises(HttpStatusError) as error:
        client.get("/users/dave")
    assert error.value.status == 401 and "nope" not in str(error.value)


def test_tokens_rotate_when_one_runs_out(clock: FakeClock) -> None:
    with FakeGitHub(tokens={"small": 2, "big": 3}, clock=clock) as fake:
        add_example_data(fake)
        client = client_for(fake, clock, "small", "big", max_wait=10.0)
        for login in ("carol", "dave", "erin", "carol", "dave"):
            client.get(f"/users/{login}")
        assert sorted(s.token for s in fake.requests) == ["big", "big", "big", "small", "small"]
        with pytest.raises(RateLimitExceeded):  # both spent; the reset is an hour away
            client.get("/users/erin")
        assert len(fake.requests) == 5 and fake.count(403) == 0


def test_anonymous_budget_is_sixty_and_the_limit_answer_is_real(clock: FakeClock) -> None:
    with FakeGitHub(clock=clock) as fake:
        fake.add_user("carol")
        for _ in range(60):
            requests.get(f"{fake.url}/users/carol", headers={"User-Agent": "t"}, timeout=5)
        limited = requests.get(f"{fake.url}/users/carol", headers={"User-Agent": "t"}, timeout=5)
    assert limited.status_code == 403
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) > clock()
