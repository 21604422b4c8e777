"""Errors of the HTTP core. Messages never contain tokens (URLs are built without them)."""

from __future__ import annotations


class HttpError(Exception):
    """A request failed for good (after retries where retrying made sense)."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class PaginationLoop(HttpError):
    """A `rel="next"` link points back at a page of the same listing already read (it would never end)."""


class HttpStatusError(HttpError):
    """The server answered a status the caller must handle (404, 451, 401, a non-rate-limit 403, ...)."""

    def __init__(self, status: int, url: str, message: str = "", error_code: str | None = None) -> None:
        detail = f": {message}" if message else ""
        super().__init__(f"HTTP {status} from {url}{detail}", url=url, status=status)
        self.message = message
        self.error_code = error_code  # e.g. the Hub's X-Error-Code (RepoNotFound, GatedRepo)


class RetriesExhausted(HttpError):
    """Transient failures (5xx, timeouts, dropped connections, truncated bodies) outlasted the retry budget."""


class ApiUnreachable(RetriesExhausted):
    """No attempt got any answer (connection refused, DNS failure): further requests would fail alike."""


class RateLimitExceeded(HttpError):
    """The rate-limit budget is spent and the reset is further away than the configured maximum wait.

    The run should stop cleanly, mark itself `rate_limited` and resume from its checkpoint later.
    """

    def __init__(self, message: str, *, resets_in: float | None = None, resource: str | None = None) -> None:
        super().__init__(message)
        self.resets_in = resets_in
        self.resource = resource


class ResponseTooLarge(HttpError):
    """A response body exceeded the client's size limit: refused, not retried."""


class OffHostLink(HttpError):
    """A pagination link points at another host than the configured API: refused, never followed."""


class Interrupted(HttpError):
    """The process was asked to stop (SIGTERM/SIGINT); raised between requests, or mid-request (the answer
    in flight is dropped, so the page it held is read again on resume)."""
