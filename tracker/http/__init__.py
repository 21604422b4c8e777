"""The HTTP core shared by every collector (see `client`), its errors and rate-limit policies."""

from tracker.http.client import Fetched, HttpClient, RequestCounters, StoredResponse, ValidatorStore
from tracker.http.errors import (
    ApiUnreachable,
    HttpError,
    HttpStatusError,
    Interrupted,
    OffHostLink,
    RateLimitExceeded,
    ResponseTooLarge,
    RetriesExhausted,
)
from tracker.http.ratelimit import HubRateLimitPolicy, RateLimitPolicy, parse_retry_after

__all__ = [
    "ApiUnreachable",
    "Fetched",
    "HttpClient",
    "HttpError",
    "HttpStatusError",
    "HubRateLimitPolicy",
    "Interrupted",
    "OffHostLink",
    "RateLimitExceeded",
    "RateLimitPolicy",
    "RequestCounters",
    "ResponseTooLarge",
    "RetriesExhausted",
    "StoredResponse",
    "ValidatorStore",
    "parse_retry_after",
]
