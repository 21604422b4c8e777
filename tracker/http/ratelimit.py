"""Rate-limit policies: how each API says its budget and what to do about it.

A policy sees every response (`observe`), decides whether a response means "rate limited, wait N seconds"
(`limited_wait`), and may ask for pacing before the next request (`pace`). The HTTP client owns retries
and sleeping; policies only compute.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import requests

# The Hub's headers follow draft-ietf-httpapi-ratelimit-headers:  RateLimit: "api";r=489;t=189
#                                                            RateLimit-Policy: "fixed window";"api";q=500;w=300
_RATELIMIT = re.compile(r'"(?P<bucket>[^"]+)"\s*;\s*r\s*=\s*(?P<r>\d+)\s*;\s*t\s*=\s*(?P<t>\d+)')
_RATELIMIT_POLICY = re.compile(r"q\s*=\s*(?P<q>\d+).*?w\s*=\s*(?P<w>\d+)")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RateLimitPolicy(Protocol):
    """What the HTTP client asks of an API's rate-limit rules.

    Optional hooks the client calls when a policy has them: `route(url)` before each attempt (budgets that
    depend on the URL, e.g. GitHub's `search` resource) and `retry_unauthorized() -> bool` on a 401 (set the
    credential aside; True when another one is left to retry with).
    """

    def auth_headers(self) -> Mapping[str, str]:
        """Headers that authenticate the next request (empty when anonymous)."""

    def pace(self) -> float:
        """Seconds to wait before the next request (0 while the budget is plentiful)."""

    def observe(self, response: requests.Response) -> None:
        """Learn the budget from a response's headers."""

    def limited_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait when `response` is a rate-limit answer; None when it is not one."""


@dataclass
class HubBudget:
    remaining: int | None = None
    resets_in: float | None = None
    quota: int | None = None
    window: float | None = None
    observed_at: float = 0.0


class HubRateLimitPolicy:
    """The Hugging Face Hub: fixed 5-minute windows announced in `RateLimit`/`RateLimit-Policy`.

    Runs at full speed while the remaining budget is above `reserve` (a fraction of the quota); below it,
    spreads the remaining requests evenly over the rest of the window.
    """

    def __init__(self, token: str | None = None, reserve: float = 0.10) -> None:
        self._token = token
        self.reserve = reserve
        self.budget = HubBudget()
        self._monotonic = time.monotonic

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def observe(self, response: requests.Response) -> None:
        match = _RATELIMIT.search(response.headers.get("RateLimit", ""))
        if match:
            self.budget.remaining = int(match["r"])
            self.budget.resets_in = float(match["t"])
            self.budget.observed_at = self._monotonic()
        policy = _RATELIMIT_POLICY.search(response.headers.get("RateLimit-Policy", ""))
        if policy:
            self.budget.quota = int(policy["q"])
            self.budget.window = float(policy["w"])

    def _time_left(self) -> float:
        if self.budget.resets_in is None:
            return 0.0
        return max(0.0, self.budget.resets_in - (self._monotonic() - self.budget.observed_at))

    def pace(self) -> float:
        budget = self.budget
        if budget.remaining is None or budget.quota is None:
            return 0.0
        if budget.remaining >= budget.quota * self.reserve:
            return 0.0
        left = self._time_left()
        if budget.remaining <= 0:
            return left
        return left / (budget.remaining + 1)

    def limited_wait(self, response: requests.Response) -> float | None:
        if response.status_code != 429:
            return None
        if self.budget.remaining == 0 and self.budget.resets_in is not None:
            return self._time_left() + 1.0
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return retry_after  # None: the client backs off exponentially like any transient error
