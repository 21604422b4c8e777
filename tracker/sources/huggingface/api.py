"""The Hub's list endpoints as this collector calls them: which fields to `expand`, how to sort, page size.

Every field comes from one list request per page (`expand` repeated once per property); nothing is fetched
per model. With `expand` the Hub returns only `_id`, `id` and the asked properties; an unknown property is
a 400, and `baseModels`, `childrenModelCount` and `usedStorage` are refused on list calls (lineage comes from
tags and `cardData` instead).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from tracker.config import Settings
from tracker.http import Fetched, HttpClient, HubRateLimitPolicy

MODEL_EXPAND = (
    "author",
    "cardData",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "gated",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "private",
    "tags",
    "trendingScore",
)
DATASET_EXPAND = (
    "author",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "gated",
    "lastModified",
    "likes",
    "private",
    "tags",
    "trendingScore",
)
PATHS = {"models": "/api/models", "datasets": "/api/datasets"}
EXPANDS = {"models": MODEL_EXPAND, "datasets": DATASET_EXPAND}


@dataclass(frozen=True)
class RetryOptions:
    """How patient the HTTP client is (tests pass tiny values; `sleep` replaces real waiting)."""

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_wait: float = 900.0  # a rate-limit reset further away than this stops the run (resumable)
    sleep: Callable[[float], None] | None = None


def make_client(settings: Settings, retry: RetryOptions, stop: threading.Event | None = None) -> HttpClient:
    """The HTTP client for `settings.hf_endpoint`, authenticated with `HF_TOKEN` when set."""
    return HttpClient(
        settings.hf_endpoint,
        HubRateLimitPolicy(settings.hf_token),
        max_attempts=retry.max_attempts,
        backoff_base=retry.backoff_base,
        backoff_max=retry.backoff_max,
        max_wait=retry.max_wait,
        stop=stop,
        sleep=retry.sleep,
    )


def list_params(kind: str, *, sort: str, limit: int, author: str | None = None) -> list[tuple[str, str]]:
    """Query parameters for one listing (`direction` is ignored by the Hub: sorting is always descending)."""
    params: list[tuple[str, str]] = []
    if author:
        params.append(("author", author))
    params += [("sort", sort), ("limit", str(limit))]
    params += [("expand", name) for name in EXPANDS[kind]]
    return params


def first_page(
    client: HttpClient,
    kind: str,
    *,
    sort: str,
    limit: int,
    author: str | None = None,
    resume_url: str | None = None,
) -> Fetched:
    """The first page of `/api/models` or `/api/datasets`, or the page at a stored `rel="next"` URL."""
    if resume_url:
        return client.get(resume_url)
    return client.get(PATHS[kind], list_params(kind, sort=sort, limit=limit, author=author))
