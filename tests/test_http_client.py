"""The HTTP core against local servers: retries, rate limits, pagination, conditional requests, secrets."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tracker.http import (
    HttpClient,
    HttpStatusError,
    HubRateLimitPolicy,
    OffHostLink,
    RateLimitExceeded,
    RetriesExhausted,
    StoredResponse,
    parse_retry_after,
)


class Recorder:
    """Collects the waits a client asks for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(base_url: str, token: str | None = None, **kwargs) -> tuple[HttpClient, Recorder]:  # noqa: ANN003
    recorder = Recorder()
    client = HttpClient(base_url, HubRateLimitPolicy(token), backoff_base=0.01, sleep=recorder, **kwargs)
    return client, recorder


def test_paths_are_appended_to_a_base_url_with_a_prefix(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v3/orgs/x").respond_with_json({"ok": True})
    client, _ = make_client(httpserver.url_for("/api/v3"))
    assert client.get("/orgs/x").data == {"ok": True}
    assert client.url("orgs/x", {"a": [1, 2]}) == httpserver.url_for("/api/v3/orgs/x") + "?a=1&a=2"


def test_user_agent_and_token_are_sent_and_the_token_never_appears_in_urls(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/api/models").respond_with_handler(handler)
    client, _ = make_client(httpserver.url_for(""), token="hf_secret")
    fetched = client.get("/api/models", {"limit": 5})
    assert seen[0].headers["Authorization"] == "Bearer hf_secret"
    assert seen[0].headers["User-Agent"].startswith("tracker/")
    assert "hf_secret" not in fetched.url


def test_transient_failures_are_retried_with_backoff_then_succeed(httpserver: HTTPServer) -> None:
    for status in (500, 502, 503):
        httpserver.expect_ordered_request("/x").respond_with_data("oops", status=status)
    httpserver.expect_ordered_request("/x").respond_with_json([1, 2])
    client, recorder = make_client(httpserver.url_for(""))
    assert client.get("/x").data == [1, 2]
    assert client.counters.requests == 4
    assert client.counters.retries == 3
    assert len(recorder.waits) == 3 and recorder.waits[0] < recorder.waits[2]


def test_retries_are_bounded_and_the_error_is_clear(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("down", status=503)
    client, _ = make_client(httpserver.url_for(""), max_attempts=3)
    with pytest.raises(RetriesExhausted, match="after 3 attempts: HTTP 503"):
        client.get("/x")


def test_truncated_json_body_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/x").respond_with_data('[{"id": "a"', content_type="application/json")
    httpserver.expect_ordered_request("/x").respond_with_json([{"id": "a"}])
    client, _ = make_client(httpserver.url_for(""))
    assert client.get("/x").data == [{"id": "a"}]
    assert client.counters.retries == 1


@pytest.fixture
def dropping_server() -> Iterator[str]:
    """A server that cuts the first connection mid-body, then answers properly."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    body = json.dumps([{"id": "m"}]).encode()

    def serve() -> None:
        for attempt in range(2):
            connection, _ = listener.accept()
            connection.recv(65536)
            if attempt == 0:
                connection.sendall(
                    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{"id"'
                )
            else:
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    listener.close()


def test_a_dropped_connection_is_retried(dropping_server: str) -> None:
    client, _ = make_client(dropping_server)
    assert client.get("/x").data == [{"id": "m"}]
    assert client.counters.retries == 1


def test_429_with_exhausted_hub_budget_waits_for_the_window(httpserver: HTTPServer) -> None:
    headers = {"RateLimit": '"api";r=0;t=42', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
    httpserver.expect_ordered_request("/x").respond_with_data("slow down", status=429, headers=headers)
    httpserver.expect_ordered_request("/x").respond_with_json([], headers={"RateLimit": '"api";r=499;t=300'})
    client, recorder = make_client(httpserver.url_for(""))
    client.get("/x")
    assert any(41 <= wait <= 43.5 for wait in recorder.waits)


def test_429_beyond_the_maximum_wait_stops_resumably(httpserver: HTTPServer) -> None:
    headers = {"RateLimit": '"api";r=0;t=280', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
    httpserver.expect_request("/x").respond_with_data("slow down", status=429, headers=headers)
    client, _ = make_client(httpserver.url_for(""), max_wait=60)
    with pytest.raises(RateLimitExceeded) as error:
        client.get("/x")
    assert error.value.resets_in and error.value.resets_in > 60


def test_requests_are_paced_only_below_the_reserve() -> None:
    policy = HubRateLimitPolicy()
    response = type("R", (), {})()
    response.headers = {
        "RateLimit": '"api";r=400;t=100',
        "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
    }
    policy.observe(response)  # type: ignore[arg-type]
    assert policy.pace() == 0
    response.headers = {
        "RateLimit": '"api";r=9;t=100',
        "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
    }
    policy.observe(response)  # type: ignore[arg-type]
    assert 5 < policy.pace() <= 10  # the ~100 s left spread over the 9 remaining requests


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10, abs=1)
    assert parse_retry_after("soon") is None


def test_pages_follow_link_headers_exactly_as_given(httpserver: HTTPServer) -> None:
    second = httpserver.url_for("/api/models") + "?cursor=abc%3D%3D&limit=2"
    httpserver.expect_ordered_request("/api/models", query_string="limit=2").respond_with_json(
        [1, 2], headers={"Link": f'<{second}>; rel="next"'}
    )
    httpserver.expect_ordered_request(
        "/api/models", query_string="cursor=abc%3D%3D&limit=2"
    ).respond_with_json([3])
    client, _ = make_client(httpserver.url_for(""))
    pages = [page.data for page in client.pages("/api/models", {"limit": 2})]
    assert pages == [[1, 2], [3]]


def test_a_link_to_another_host_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/models").respond_with_json(
        [1], headers={"Link": '<http://evil.example/api/models?cursor=x>; rel="next"'}
    )
    client, _ = make_client(httpserver.url_for(""))
    with pytest.raises(OffHostLink):
        list(client.pages("/api/models"))


def test_client_errors_are_not_retried_and_carry_the_hub_error_code(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/models/a/b").respond_with_data(
        "", status=401, headers={"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}
    )
    client, _ = make_client(httpserver.url_for(""))
    with pytest.raises(HttpStatusError) as error:
        client.get("/api/models/a/b")
    assert error.value.status == 401 and error.value.error_code == "RepoNotFound"
    assert client.counters.requests == 1


class MemoryValidators:
    def __init__(self) -> None:
        self.stored: dict[str, StoredResponse] = {}

    def load(self, url: str) -> StoredResponse | None:
        return self.stored.get(url)

    def save(self, url: str, stored: StoredResponse) -> None:
        self.stored[url] = stored


def test_conditional_requests_reuse_the_stored_body_on_304(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(json.dumps({"stars": 5}), headers={"ETag": '"v1"'}, content_type="application/json")

    httpserver.expect_request("/repos/o/r").respond_with_handler(handler)
    validators = MemoryValidators()
    client, _ = make_client(httpserver.url_for(""), validators=validators)
    first = client.get("/repos/o/r", conditional=True)
    second = client.get("/repos/o/r", conditional=True)
    assert not first.not_modified and second.not_modified
    assert second.data == {"stars": 5}
    assert client.counters.not_modified == 1


def test_a_host_that_never_answers_is_reported_unreachable() -> None:
    from tracker.http import ApiUnreachable

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there: every connection is refused
    client, _ = make_client(f"http://127.0.0.1:{port}", max_attempts=3)
    with pytest.raises(ApiUnreachable, match="did not answer"):
        client.get("/x")


def test_a_host_that_answers_with_errors_is_not_unreachable(httpserver: HTTPServer) -> None:
    from tracker.http import ApiUnreachable

    httpserver.expect_request("/x").respond_with_data("down", status=503)
    client, _ = make_client(httpserver.url_for(""), max_attempts=2)
    with pytest.raises(RetriesExhausted) as error:
        client.get("/x")
    assert not isinstance(error.value, ApiUnreachable)


def test_a_body_larger_than_the_limit_is_refused(httpserver: HTTPServer) -> None:
    from tracker.http import ResponseTooLarge

    httpserver.expect_request("/big").respond_with_data(
        "[" + "1," * 5000 + "1]", content_type="application/json"
    )
    client, _ = make_client(httpserver.url_for(""), max_body_bytes=1000)
    with pytest.raises(ResponseTooLarge, match="more than"):
        client.get("/big")
    assert client.counters.retries == 0


def test_an_html_error_page_is_reduced_to_status_and_title(httpserver: HTTPServer) -> None:
    page = (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset='utf-8'>\n<title>\n  404 &ndash; Not Found\n</title>\n"
        "<style>body { font: 14px sans-serif }</style>\n</head>\n<body>\n<h1>Sorry</h1>\n"
        + "<p>Nothing here.</p>\n" * 10
        + "</body>\n</html>\n"
    )
    httpserver.expect_request("/api/models/x").respond_with_data(page, status=404, content_type="text/html")
    client, _ = make_client(httpserver.url_for(""))
    with pytest.raises(HttpStatusError) as error:
        client.get("/api/models/x")
    message = str(error.value)
    assert "\n" not in message and "<" not in message, message
    assert message.startswith("HTTP 404 from ") and message.endswith(": 404 \u2013 Not Found"), message
