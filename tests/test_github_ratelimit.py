"""GitHubRateLimitPolicy: token choice, 401 set-aside, primary/secondary limits, reserve, search budget."""

from __future__ import annotations

import json
import logging

import pytest
import requests

from tracker.http.github_ratelimit import GitHubRateLimitPolicy, resource_of

NOW = 1_800_000_000.0
CORE = "https://api.example/orgs/acme"
SEARCH = "https://ghe.example/api/v3/search/repositories?q=x"


def response(status: int = 200, body: object = None, **headers: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(body if body is not None else {}).encode()
    answer.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return answer


def budget(
    remaining: int,
    limit: int = 5000,
    reset: float = NOW + 600,
    resource: str = "core",
    status: int = 200,
    body: object = None,
) -> requests.Response:
    return response(
        status,
        body,
        x_ratelimit_remaining=str(remaining),
        x_ratelimit_limit=str(limit),
        x_ratelimit_reset=str(int(reset)),
        x_ratelimit_resource=resource,
    )


def policy(*tokens: str, **kwargs: object) -> GitHubRateLimitPolicy:
    return GitHubRateLimitPolicy(tokens, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def token_of(p: GitHubRateLimitPolicy) -> str | None:
    header = p.auth_headers().get("Authorization")
    return header.split(" ", 1)[1] if header else None


def test_resource_of_url_with_path_prefix() -> None:
    assert resource_of(SEARCH) == "search"
    assert resource_of(CORE) == "core"


def test_uses_the_token_with_most_remaining_budget_per_resource() -> None:
    p = policy("a", "b")
    p.route(CORE)
    assert token_of(p) == "a"
    p.observe(budget(10))
    assert token_of(p) == "b"  # unknown budget beats 10 left
    p.observe(budget(4000))
    assert token_of(p) == "b"
    p.route(SEARCH)  # the search budget is separate: nothing known yet for either token
    assert token_of(p) == "a"
    p.observe(budget(1, limit=30, resource="search"))
    assert token_of(p) == "b"


def test_anonymous_sends_no_authorization() -> None:
    p = policy()
    p.route(CORE)
    assert p.auth_headers() == {} and p.anonymous


def test_401_sets_the_token_aside_naming_only_its_position(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = policy("ghp_firstSECRET", "ghp_secondSECRET")
    p.route(CORE)
    assert token_of(p) == "ghp_firstSECRET"
    with caplog.at_level(logging.WARNING):
        assert p.retry_unauthorized() is True
    assert "#1 of 2" in caplog.text and "SECRET" not in caplog.text
    assert token_of(p) == "ghp_secondSECRET"
    assert p.retry_unauthorized() is False  # none left: the client raises the 401
    assert p.set_aside == [1, 2]


def test_primary_limit_waits_until_the_reset() -> None:
    p = policy("a")
    p.route(CORE)
    token_of(p)
    limited = budget(0, reset=NOW + 100, status=403, body={"message": "API rate limit exceeded"})
    p.observe(limited)
    assert p.limited_wait(limited) == pytest.approx(101)
    assert p.pace() == pytest.approx(101)  # and no further request is spent before the reset


def test_primary_limit_of_one_token_switches_to_another_at_once() -> None:
    p = policy("a", "b")
    p.route(CORE)
    token_of(p)
    limited = budget(0, reset=NOW + 3000, status=429)
    p.observe(limited)
    assert p.limited_wait(limited) == 0.0
    assert token_of(p) == "b"


def test_secondary_limit_with_retry_after() -> None:
    p = policy("a")
    assert p.limited_wait(response(403, {"message": "secondary rate limit"}, retry_after="7")) == 7.0
    assert p.limited_wait(response(429, {}, retry_after="3")) == 3.0


def test_secondary_limit_without_retry_after_waits_a_minute_and_backs_off() -> None:
    p = policy("a", secondary_wait=60.0, secondary_max=900.0)
    hit = response(403, {"message": "You have exceeded a secondary rate limit. Please wait."})
    assert [p.limited_wait(hit) for _ in range(3)] == [60.0, 120.0, 240.0]
    p.observe(response(200))
    assert p.limited_wait(hit) == 60.0


def test_ordinary_403_is_not_a_rate_limit() -> None:
    p = policy("a")
    too_large = response(
        403, {"message": "The history or contributor list is too large to list contributors"}
    )
    assert p.limited_wait(too_large) is None
    assert p.limited_wait(response(404, {"message": "Not Found"})) is None


def test_reserve_is_kept() -> None:
    p = policy("a", reserve=0.1)
    p.route(CORE)
    token_of(p)
    p.observe(budget(11, limit=100, reset=NOW + 50))
    assert p.pace() == 0.0
    p.observe(budget(10, limit=100, reset=NOW + 50))
    assert p.pace() == pytest.approx(51)


def test_budget_refills_after_the_reset() -> None:
    now = [NOW]
    p = GitHubRateLimitPolicy(("a",), clock=lambda: now[0], reserve=0.0)
    p.route(CORE)
    token_of(p)
    p.observe(budget(0, limit=60, reset=NOW + 10))
    assert p.pace() > 0
    now[0] = NOW + 11
    assert p.pace() == 0.0
