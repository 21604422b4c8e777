"""GitHub's rate limits: per-account budgets per resource (`core`, `search`, ...), several tokens, and the
primary and secondary limits.

Budgets come from `x-ratelimit-remaining/reset/resource` on every answer. The policy uses the token with the
most remaining budget for the resource the next URL spends (search URLs spend `search`, all else `core`),
keeps a reserve, and asks the client to wait until the reset when every token is at its reserve. A token
answered 401 is set aside for the run; the warning names only its position in GITHUB_TOKEN.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from tracker.http.ratelimit import parse_retry_after

log = logging.getLogger(__name__)

ANONYMOUS = -1  # the "token index" of anonymous requests


def resource_of(url: str) -> str:
    """The rate-limit resource a GET on `url` spends (the path may carry a prefix such as /api/v3)."""
    path = urlsplit(url).path
    return "search" if "/search/" in path else "core"


@dataclass
class Budget:
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # epoch seconds

    def left(self, now: float) -> float:
        """Remaining requests (infinite while unknown; the full limit once the reset has passed)."""
        if self.remaining is None:
            return float("inf")
        if self.reset is not None and now >= self.reset:
            return float(self.limit) if self.limit is not None else float("inf")
        return float(self.remaining)


class GitHubRateLimitPolicy:
    """Implements `RateLimitPolicy` for the GitHub REST API, with several tokens or anonymously.

    `reserve` is the fraction of each budget left untouched (for other tools sharing the account);
    `secondary_wait` the minimum wait on a secondary limit without `retry-after`, doubled on each repeat up
    to `secondary_max`. `clock` returns epoch seconds (tests inject a fake one).
    """

    def __init__(
        self,
        tokens: Sequence[str] = (),
        *,
        reserve: float = 0.02,
        secondary_wait: float = 60.0,
        secondary_max: float = 900.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._tokens = list(tokens)
        self._active = list(range(len(self._tokens))) or [ANONYMOUS]
        self.reserve = reserve
        self.secondary_wait = secondary_wait
        self.secondary_max = secondary_max
        self._clock = clock or time.time
        self._budgets: dict[tuple[int, str], Budget] = {}
        self._resource = "core"
        self._current = self._active[0]
        self._secondary_hits = 0
        self.set_aside: list[int] = []  # 1-based positions of tokens answered 401

    @property
    def anonymous(self) -> bool:
        return not self._tokens

    # --- hooks called by the HTTP client ------------------------------------------------------------------

    def route(self, url: str) -> None:
        """Tell the policy which URL comes next, so it picks the budget (and token) of its resource."""
        self._resource = resource_of(url)

    def auth_headers(self) -> Mapping[str, str]:
        self._current = self._best_token()
        if self._current == ANONYMOUS:
            return {}
        return {"Authorization": f"Bearer {self._tokens[self._current]}"}

    def pace(self) -> float:
        """Zero while some token has budget above the reserve; else the time until the earliest reset."""
        now = self._clock()
        waits = []
        for index in self._active:
            budget = self._budgets.get((index, self._resource), Budget())
            if budget.left(now) > self._reserve_of(budget):
                return 0.0
            waits.append(max(0.0, (budget.reset or now) - now) + 1.0)
        return min(waits) if waits else 0.0

    def observe(self, response: requests.Response) -> None:
        headers = response.headers
        remaining = _int(headers.get("x-ratelimit-remaining"))
        if remaining is not None:
            resource = headers.get("x-ratelimit-resource") or self._resource
            budget = self._budgets.setdefault((self._current, resource), Budget())
            budget.remaining = remaining
            budget.limit = _int(headers.get("x-ratelimit-limit")) or budget.limit
            reset = _int(headers.get("x-ratelimit-reset"))
            budget.reset = float(reset) if reset is not None else budget.reset
        if response.status_code < 400:
            self._secondary_hits = 0

    def limited_wait(self, response: requests.Response) -> float | None:
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        retry_after = parse_retry_after(headers.get("retry-after"), now=self._clock())
        if retry_after is not None:  # secondary limit with an explicit wait
            self._secondary_hits += 1
            return retry_after
        if headers.get("x-ratelimit-remaining") == "0":  # primary limit of this token
            return self.pace()  # 0 when another token still has budget: retried at once with it
        if "rate limit" in _message(response).lower():  # secondary limit without retry-after
            self._secondary_hits += 1
            return min(self.secondary_max, self.secondary_wait * 2 ** (self._secondary_hits - 1))
        return None  # an ordinary 403 (blocked repo, too-large contributor list, missing User-Agent)

    def retry_unauthorized(self) -> bool:
        """Called on a 401: set the token used aside; True when another token is left to retry with."""
        if self._current == ANONYMOUS or self._current not in self._active:
            return False
        self._active.remove(self._current)
        self.set_aside.append(self._current + 1)
        log.warning(
            "GitHub token #%d of %d was rejected (401 Bad credentials); set aside for this run",
            self._current + 1,
            len(self._tokens),
        )
        return bool(self._active)

    # --- helpers ------------------------------------------------------------------------------------------

    def _best_token(self) -> int:
        now = self._clock()
        return max(
            self._active,
            key=lambda index: self._budgets.get((index, self._resource), Budget()).left(now),
        )

    def _reserve_of(self, budget: Budget) -> float:
        return int((budget.limit or 0) * self.reserve)

    def remaining(self, resource: str = "core") -> dict[int, float]:
        """Remaining budget per active token position (1-based; 0 = anonymous), for summaries."""
        now = self._clock()
        return {index + 1: self._budgets.get((index, resource), Budget()).left(now) for index in self._active}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    return str(body.get("message", "")) if isinstance(body, dict) else ""
