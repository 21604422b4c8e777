"""The one HTTP client every collector uses: timeouts, retries with backoff and jitter, rate-limit waits,
Link-header pagination, conditional requests and per-run counters.

API paths are appended to the configured base URL (which may carry a path prefix such as GitHub
Enterprise's `/api/v3`), never resolved against the host root. Pagination follows `rel="next"` URLs exactly
as given, but only on the configured host.
"""

from __future__ import annotations

import html
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import requests
import urllib3

from tracker import __version__
from tracker.http.deadline import RequestWatchdog
from tracker.http.errors import (
    ApiUnreachable,
    HttpStatusError,
    Interrupted,
    OffHostLink,
    PaginationLoop,
    RateLimitExceeded,
    ResponseTooLarge,
    RetriesExhausted,
)
from tracker.http.json_body import decode_json
from tracker.http.ratelimit import RateLimitPolicy

log = logging.getLogger(__name__)

USER_AGENT = f"tracker/{__version__} (open-source AI ecosystem tracker)"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass
class RequestCounters:
    """What one run spent; stored on its `collection_runs` row."""

    requests: int = 0
    retries: int = 0
    waits: float = 0.0  # seconds slept on rate limits, pacing and backoff
    bytes: int = 0
    not_modified: int = 0


@dataclass
class Fetched:
    """A successful answer: parsed JSON (None for 204), headers, and the next page's URL if any."""

    url: str
    status: int
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    next_url: str | None = None
    not_modified: bool = False  # answered 304: `data` is the stored body
    refused_link: str | None = None  # why a `rel="next"` link was not followed (the page itself is good)


@dataclass
class StoredResponse:
    etag: str | None
    last_modified: str | None
    body: str | None
    next_url: str | None


class ValidatorStore(Protocol):
    """Where conditional-request validators live (the collector backs this with the database)."""

    def load(self, url: str) -> StoredResponse | None: ...

    def save(self, url: str, stored: StoredResponse) -> None: ...


class _TransientError(Exception):
    pass


class HttpClient:
    """A `requests.Session` with the project's rules. One instance per API per run."""

    def __init__(
        self,
        base_url: str,
        policy: RateLimitPolicy,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        deadline: float = 180.0,
        max_attempts: int = 6,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        max_wait: float = 900.0,
        stop: threading.Event | None = None,
        validators: ValidatorStore | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        max_body_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self.policy = policy
        self.timeout = timeout
        self.deadline = deadline  # seconds for one attempt, connect to last byte (a trickle cannot hold it)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_wait = max_wait
        self.stop = stop or threading.Event()
        self.validators = validators
        self.counters = RequestCounters()
        self.max_body_bytes = max_body_bytes
        self._wait = sleep  # tests inject a recorder; by default waits are interruptible by `stop`
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, **(headers or {})})
        self._watchdog = RequestWatchdog(self.session, self.stop)

    # --- URLs ---------------------------------------------------------------------------------------------

    def url(self, path: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None) -> str:
        """`path` appended to the base URL (kept as is when it is already an absolute URL on our host)."""
        if path.startswith(("http://", "https://")):
            self._check_host(path)
            url = path
        else:
            url = f"{self.base_url}/{path.lstrip('/')}"
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        return url

    def relative(self, url: str) -> tuple[str, list[tuple[str, str]]]:
        """The path (below the base URL's own path) and query of `url`: what a checkpoint keeps of a next-page
        link, so that it continues against whatever host is configured when it resumes."""
        split = urlsplit(url)
        path = split.path
        prefix = self._base.path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return path, parse_qsl(split.query, keep_blank_values=True)

    def is_home(self, url: str) -> bool:
        """Whether `url` is on the configured host (the only one that gets the token and the rate budget)."""
        target = urlsplit(url)
        return (target.scheme, target.netloc.lower()) == (self._base.scheme, self._base.netloc.lower())

    def _check_host(self, url: str) -> None:
        if not self.is_home(url):
            target = urlsplit(url)
            raise OffHostLink(
                f"refused to follow a link to {target.scheme}://{target.netloc}: not the configured API host"
            )

    def _refuse_off_host_redirect(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # requests calls this for every hop, before it follows a redirect
        if response.is_redirect:
            self._check_host(urljoin(response.url, response.headers["Location"]))

    # --- sleeping -----------------------------------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.counters.waits += seconds
        if self._wait is not None:
            self._wait(seconds)
        elif self.stop.wait(seconds):
            raise Interrupted("stopped while waiting")

    def _backoff(self, attempt: int) -> float:
        cap = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return cap / 2 + random.uniform(0, cap / 2)

    # --- requests -----------------------------------------------------------------------------------------

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        *,
        conditional: bool = False,
        accept_statuses: frozenset[int] = frozenset(),
    ) -> Fetched:
        """GET and parse JSON, retrying transient failures. Statuses in `accept_statuses` are returned as
        `Fetched` with `data=None` instead of raising `HttpStatusError`."""
        url = self.url(path, params)
        stored = self.validators.load(url) if (conditional and self.validators) else None
        transient = 0
        rate_waits = 0
        only_connection_errors = True  # no answer at all so far: the host may be unreachable
        while True:
            if self.stop.is_set():
                raise Interrupted("stop requested")
            route = getattr(self.policy, "route", None)  # optional hook: policies with per-URL budgets
            if route is not None:
                route(url)
            self._pace(url)
            headers = dict(self.policy.auth_headers())
            if stored and stored.etag:
                headers["If-None-Match"] = stored.etag
            elif stored and stored.last_modified:
                headers["If-Modified-Since"] = stored.last_modified
            due = time.monotonic() + self.deadline
            try:
                with self._watchdog.watch(self.deadline):  # cuts the connection at the deadline or a stop
                    response = self.session.get(
                        url,
                        headers=headers,
                        timeout=(self.timeout[0], min(self.timeout[1], self.deadline)),
                        allow_redirects=True,
                        hooks={"response": self._refuse_off_host_redirect},
                        stream=True,
                    )
                    content = self._read_body(response, url, due)  # a dropped connection surfaces now
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError,  # raised by the raw reads of `_read_body`
            ) as error:
                if self.stop.is_set():
                    raise Interrupted(f"stopped during the request to {shorten(url)}") from None
                reason = type(error).__name__
                late = time.monotonic() >= due
                if late:
                    reason = f"Timeout (no complete answer within the {self.deadline:.0f}s deadline)"
                only_connection_errors = (
                    only_connection_errors and isinstance(error, requests.ConnectionError) and not late
                )
                transient = self._retry_or_raise(transient, url, reason, unreachable=only_connection_errors)
                continue
            only_connection_errors = False
            self.counters.requests += 1
            self.counters.bytes += len(content)
            self.policy.observe(response)

            retry_unauthorized = getattr(self.policy, "retry_unauthorized", None)  # optional hook
            if response.status_code == 401 and retry_unauthorized is not None and retry_unauthorized():
                continue  # the policy set that credential aside and has another one

            if response.status_code == 304 and stored is not None:
                self.counters.not_modified += 1
                data = decode_json(stored.body.encode()) if stored.body else None
                return Fetched(url, 304, data, response.headers, stored.next_url, not_modified=True)

            waited = self._wait_if_limited(response, url, rate_waits)
            if waited is not None:
                rate_waits = waited
                continue
            if response.status_code in RETRY_STATUSES:
                transient = self._retry_or_raise(transient, url, f"HTTP {response.status_code}")
                continue
            if response.status_code in accept_statuses:
                next_url, refused = self._next_link(response)
                return Fetched(
                    url, response.status_code, None, response.headers, next_url, refused_link=refused
                )
            if response.status_code >= 400:
                raise HttpStatusError(
                    response.status_code,
                    url,
                    _without_credentials(_error_message(response), headers),
                    response.headers.get("X-Error-Code"),
                )
            try:
                data = decode_json(content)
            except ValueError:  # truncated or garbled body: the same request usually succeeds again
                transient = self._retry_or_raise(transient, url, "unparseable JSON body")
                continue
            next_url, refused = self._next_link(response)
            if (
                conditional
                and self.validators
                and (response.headers.get("ETag") or response.headers.get("Last-Modified"))
            ):
                self.validators.save(
                    url,
                    StoredResponse(
                        response.headers.get("ETag"),
                        response.headers.get("Last-Modified"),
                        content.decode("utf-8", errors="replace"),
                        next_url,
                    ),
                )
            return Fetched(url, response.status_code, data, response.headers, next_url, refused_link=refused)

    def _read_body(self, response: requests.Response, url: str, due: float) -> bytes:
        """The whole body, refusing one larger than `max_body_bytes` (a hostile or broken server).

        Read as it arrives (`read1`), so a body trickled a byte at a time still ends at the deadline `due`
        (a `Timeout`, retried like any other) and a stop request ends it at once (`Interrupted`)."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            response.close()
            raise ResponseTooLarge(
                f"{shorten(url)} announced {int(declared):,} bytes, more than the "
                f"{self.max_body_bytes:,} allowed",
                url=url,
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            if self.stop.is_set():
                response.close()
                raise Interrupted(f"stopped while reading {shorten(url)}")
            if time.monotonic() > due:
                response.close()
                raise requests.Timeout(f"no complete answer within the {self.deadline:.0f}s deadline")
            chunk = response.raw.read1(1 << 20, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_body_bytes:
                response.close()
                raise ResponseTooLarge(
                    f"{shorten(url)} sent more than {self.max_body_bytes:,} bytes", url=url
                )
            chunks.append(chunk)
        # Hand the bytes back to requests, so .json()/.text work as after a non-streamed request.
        response._content = b"".join(chunks)
        return response._content

    def _pace(self, url: str) -> None:
        """Spread requests out as the rate-limit policy asks; a wait beyond `max_wait` stops resumably."""
        pace = self.policy.pace()
        if pace > self.max_wait:
            raise RateLimitExceeded(
                f"rate-limit budget spent before {shorten(url)}; resets in {pace:.0f}s, more than the "
                f"{self.max_wait:.0f}s maximum wait",
                resets_in=pace,
            )
        self._sleep(pace)

    def _wait_if_limited(self, response: requests.Response, url: str, rate_waits: int) -> int | None:
        """After a rate-limit answer: wait for the reset and return the waits so far (the caller asks again);
        None when the answer is not a rate limit. A reset beyond `max_wait`, or too many waits, stops."""
        wait = self.policy.limited_wait(response)
        if wait is None:
            return None
        if wait > self.max_wait:
            raise RateLimitExceeded(
                f"rate limit reached at {shorten(url)}; resets in {wait:.0f}s, more than the {self.max_wait:.0f}s "
                "maximum wait",
                resets_in=wait,
                resource=response.headers.get("x-ratelimit-resource"),
            )
        rate_waits += 1
        if rate_waits > self.max_attempts * 2:
            raise RateLimitExceeded(
                f"still rate limited at {shorten(url)} after {rate_waits - 1} waits", resets_in=wait
            )
        log.info("rate limited at %s: waiting %.0fs", url, wait)
        self.counters.retries += 1
        self._sleep(wait)
        return rate_waits

    def _retry_or_raise(self, failures: int, url: str, reason: str, *, unreachable: bool = False) -> int:
        failures += 1
        if failures >= self.max_attempts:
            message = f"giving up on {shorten(url)} after {failures} attempts: {reason}"
            if unreachable:
                raise ApiUnreachable(
                    f"{message} (the API host did not answer at all: network down?)", url=url
                )
            raise RetriesExhausted(message, url=url)
        self.counters.retries += 1
        delay = self._backoff(failures)
        log.warning(
            "%s from %s; retry %d/%d in %.1fs", reason, shorten(url), failures, self.max_attempts - 1, delay
        )
        self._sleep(delay)
        return failures

    def _next_link(self, response: requests.Response) -> tuple[str | None, str | None]:
        """The next page's URL, or None and why it is refused (the page that carried it is still returned)."""
        next_link = response.links.get("next", {}).get("url")
        if next_link:
            try:
                self._check_host(next_link)
            except OffHostLink as error:
                return None, str(error)
        return next_link, None

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        *,
        conditional: bool = False,
        on_page: Callable[[Fetched], None] | None = None,
    ) -> Iterator[Fetched]:
        """Every page of a Link-paginated listing, starting at `path` (or a stored next URL)."""
        fetched = self.get(path, params, conditional=conditional)
        seen = {fetched.url}
        while True:
            if on_page:
                on_page(fetched)
            yield fetched
            if fetched.refused_link:  # raised once the caller has the page
                raise OffHostLink(fetched.refused_link, url=fetched.url)
            if not fetched.next_url:
                return
            if fetched.next_url in seen:
                raise PaginationLoop(
                    f"the next-page link of {shorten(fetched.url)} points back at a page already read",
                    url=fetched.next_url,
                )
            fetched = self.get(fetched.next_url, conditional=conditional)
            seen.add(fetched.url)

    def close(self) -> None:
        self.session.close()


def shorten(url: str, limit: int = 120) -> str:
    """`url` for messages: long query strings (repeated `expand=`, cursors) cut to keep lines readable."""
    return url if len(url) <= limit else url[: limit - 3] + "..."


def _without_credentials(message: str, sent: Mapping[str, str]) -> str:
    """`message` without the credentials we sent (a server may echo the Authorization header back)."""
    for name, value in sent.items():
        if name.lower() in ("authorization", "proxy-authorization") and value:
            for secret in sorted({value, value.split(" ", 1)[-1]}, key=len, reverse=True):
                if len(secret) >= 4:
                    message = message.replace(secret, "***")
    return message


def _error_message(response: requests.Response) -> str:
    """A short message from an error response (JSON `message`/`error`, the Hub's X-Error-Message, or text)."""
    header = response.headers.get("X-Error-Message")
    if header:
        return header[:300]
    try:
        body = response.json()
    except ValueError:
        text = response.text
        if "html" in response.headers.get("Content-Type", "").lower() or re.match(r"\s*<", text):
            title = re.search(r"<title[^>]*>(.*?)</title\s*>", text, re.IGNORECASE | re.DOTALL)
            return _one_line(html.unescape(title.group(1))) if title else "an HTML page"
        return _one_line(text[:200])
    if isinstance(body, dict):
        return _one_line(str(body.get("message") or body.get("error") or "")[:300])
    return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
