"""A fake Hugging Face Hub API on 127.0.0.1 (random port) for tests and benchmarks.

Serves `GET /api/models` and `GET /api/datasets` from in-memory sequences the way the real Hub does (see
../shared/API-FACTS.md sections 1-2): a bare JSON array per page; `sort` always descending; `author`
filter; `expand` returning only `_id`, `id` and the asked properties (an unknown one is a 400); an opaque
cursor in the `Link: <...>; rel="next"` header with a server-chosen page size smaller than asked; and
`RateLimit`/`RateLimit-Policy` headers over a real fixed-window budget. Faults can be injected per request:
429 with `r=0`, 500/502/503, a dropped connection, a body cut mid-transfer, a truncated JSON body.

Item sequences only need `__len__` and `__getitem__`, so a benchmark can serve a million generated items
without building them: `GeneratedModels(n)` makes item i on demand and declares itself presorted.

    with FakeHub(models=[hub_model("org/a", created="2024-05-01T00:00:00.000Z")]) as hub:
        ...  # HF_ENDPOINT=hub.url
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.server import LocalServer

MODEL_PROPERTIES = frozenset(
    "author cardData config createdAt disabled downloads downloadsAllTime evalResults gated gguf inference "
    "inferenceProviderMapping lastModified library_name likes mask_token model-index pipeline_tag private "
    "resourceGroup safetensors sha siblings spaces tags transformersInfo trendingScore widgetData".split()
)
DATASET_PROPERTIES = frozenset(
    "author cardData citation createdAt description disabled downloads downloadsAllTime gated lastModified "
    "likes mainSize paperswithcode_id private resourceGroup sha siblings tags trendingScore usedStorage".split()
)
DEFAULT_MODEL_VIEW = (
    "likes trendingScore private downloads tags pipeline_tag library_name createdAt modelId".split()
)
DEFAULT_DATASET_VIEW = "author createdAt disabled downloads gated lastModified likes private tags".split()
SORTS = ("createdAt", "downloads", "likes", "lastModified", "trendingScore")
FAULTS = ("429", "500", "502", "503", "drop", "cut", "truncate")


def hub_id_for(repo_id: str) -> str:
    """A stable 24-hex `_id` for a repo id (the real Hub's are MongoDB ObjectIds)."""
    return hashlib.sha1(repo_id.encode()).hexdigest()[:24]


def hub_model(
    repo_id: str,
    *,
    created: str = "2024-06-01T12:00:00.000Z",
    downloads: int = 0,
    downloads_all_time: int | None = None,
    likes: int = 0,
    tags: Sequence[str] = (),
    card: dict[str, Any] | None = None,
    hub_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A model item in the Hub's full shape (the server trims it to what `expand` asks)."""
    item = {
        "_id": hub_id or hub_id_for(repo_id),
        "id": repo_id,
        "modelId": repo_id,
        "author": repo_id.split("/")[0] if "/" in repo_id else None,
        "createdAt": created,
        "lastModified": created,
        "downloads": downloads,
        "downloadsAllTime": downloads * 3 if downloads_all_time is None else downloads_all_time,
        "likes": likes,
        "trendingScore": likes // 10,
        "private": False,
        "disabled": False,
        "gated": False,
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "tags": ["transformers", "safetensors", *tags, "region:us"],
        "sha": "0" * 40,
    }
    if card is not None:
        item["cardData"] = card
    item.update(extra)
    return item


def hub_dataset(
    repo_id: str, *, created: str = "2024-06-01T12:00:00.000Z", downloads: int = 0, **extra: Any
) -> dict[str, Any]:
    """A dataset item in the Hub's full shape."""
    item = {
        "_id": hub_id_for("datasets/" + repo_id),
        "id": repo_id,
        "author": repo_id.split("/")[0] if "/" in repo_id else None,
        "createdAt": created,
        "lastModified": created,
        "downloads": downloads,
        "downloadsAllTime": downloads * 2,
        "likes": 1,
        "trendingScore": 0,
        "private": False,
        "disabled": False,
        "gated": False,
        "tags": ["license:mit", "region:us"],
    }
    item.update(extra)
    return item


class GeneratedModels(Sequence[dict[str, Any]]):
    """`n` synthetic models made on demand, newest first by `createdAt` and by downloads alike."""

    presorted = ("createdAt", "downloads")

    def __init__(self, n: int, *, orgs: int = 500, newest: str = "2026-01-01T00:00:00") -> None:
        self.n = n
        self.orgs = orgs
        self.newest = time.mktime(time.strptime(newest, "%Y-%m-%dT%H:%M:%S")) - time.timezone

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> dict[str, Any]:  # type: ignore[override]
        if not 0 <= index < self.n:
            raise IndexError(index)
        created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.newest - index * 60))
        org = f"org{index % self.orgs}"
        tags = []
        if index % 3 == 1:
            parent = f"org{(index + 1) % self.orgs}/base-{index // 100}"
            tags = [f"base_model:{parent}", f"base_model:finetune:{parent}"]
        return hub_model(
            f"{org}/model-{index}",
            hub_id=f"{index:024x}",
            created=created,
            downloads=self.n - index,
            likes=(self.n - index) % 1000,
            tags=tags,
            card={"license": "apache-2.0"} if index % 2 else None,
        )


@dataclass
class Fault:
    kind: str
    when: Callable[[str, list[tuple[str, str]]], bool] | None = None  # (path, query) -> applies?


@dataclass
class Budget:
    """A fixed-window request budget, as the Hub announces it."""

    quota: int
    window: int
    started: float = field(default_factory=time.monotonic)
    used: int = 0

    def _roll(self) -> None:
        now = time.monotonic()
        if now - self.started >= self.window:
            self.started = now - (now - self.started) % self.window
            self.used = 0

    def take(self) -> bool:
        self._roll()
        if self.used >= self.quota:
            return False
        self.used += 1
        return True

    def headers(self) -> dict[str, str]:
        self._roll()
        left = max(0, self.quota - self.used)
        reset = max(0, int(self.window - (time.monotonic() - self.started) + 0.999))
        return {
            "RateLimit": f'"api";r={left};t={reset}',
            "RateLimit-Policy": f'"fixed window";"api";q={self.quota};w={self.window}',
        }


class FakeHub(LocalServer):
    """The fake server. `models`/`datasets` may be replaced or mutated between requests."""

    def __init__(
        self,
        models: Sequence[dict[str, Any]] = (),
        datasets: Sequence[dict[str, Any]] = (),
        *,
        page_size: int = 7,
        quota: int = 100_000,
        window: int = 300,
        fault_reset: int = 0,
    ) -> None:
        self.models: Sequence[Any] = list(models) if isinstance(models, (list, tuple)) else models
        self.datasets: Sequence[Any] = list(datasets) if isinstance(datasets, (list, tuple)) else datasets
        self.page_size = page_size
        self.budget = Budget(quota, window)
        self.fault_reset = fault_reset
        self.faults: deque[Fault] = deque()
        # requests it matches answer 500 every time, as a listing that never heals
        self.broken: Callable[[str, list[tuple[str, str]]], bool] | None = None
        self.requests: list[tuple[str, list[tuple[str, str]]]] = []
        self.authorizations: set[str | None] = set()  # the Authorization headers seen
        self.served: dict[str, int] = {}
        self.record_requests = True
        self._lock = threading.Lock()

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self.serve(Handler, _Server)
        return self

    @property
    def url(self) -> str:
        return self.root_url

    # --- faults -------------------------------------------------------------------------------------------

    def inject(self, *kinds: str, when: Callable[[str, list[tuple[str, str]]], bool] | None = None) -> None:
        """Queue faults; each is served instead of the next matching API request."""
        for kind in kinds:
            if kind not in FAULTS:
                raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
            self.faults.append(Fault(kind, when))

    def _next_fault(self, path: str, query: list[tuple[str, str]]) -> str | None:
        with self._lock:
            for fault in self.faults:
                if fault.when is None or fault.when(path, query):
                    self.faults.remove(fault)
                    return fault.kind
        return None

    def count(self, what: str) -> None:
        with self._lock:
            self.served[what] = self.served.get(what, 0) + 1

    # --- listing ------------------------------------------------------------------------------------------

    def listing(self, kind: str, query: list[tuple[str, str]]) -> tuple[int, Any, int | None]:
        """(status, body, next offset) for one list request."""
        params = dict(query)
        expand = [value for key, value in query if key in ("expand", "expand[]")]
        allowed = MODEL_PROPERTIES if kind == "models" else DATASET_PROPERTIES
        unknown = [name for name in expand if name not in allowed]
        if unknown:
            return 400, {"error": f'"expand" contains an invalid value: {unknown[0]}'}, None
        if expand and any(params.get(key) for key in ("full", "cardData", "config")):
            return 400, {"error": "expand cannot be combined with full, cardData or config"}, None
        sort = params.get("sort")
        if sort is not None and sort not in SORTS:
            return 400, {"error": f"invalid sort {sort!r}"}, None
        try:
            asked = int(params.get("limit", self.page_size))
            offset = _decode_cursor(params["cursor"]) if "cursor" in params else 0
        except (ValueError, KeyError):
            return 400, {"error": "invalid limit or cursor"}, None
        source = self.models if kind == "models" else self.datasets
        order = _ordered(source, sort, params.get("author"))
        size = max(1, min(asked, self.page_size))
        page = [_view(source[i], expand, kind) for i in order[offset : offset + size]]
        following = offset + size if offset + size < len(order) else None
        return 200, page, following


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (killed collectors, dropped connections) are expected here, not errors."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeHub

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.fake
        split = urlsplit(self.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        kind = {"/api/models": "models", "/api/datasets": "datasets"}.get(split.path)
        if fake.record_requests:
            with fake._lock:
                fake.requests.append((split.path, query))
                fake.authorizations.add(self.headers.get("Authorization"))
        if kind is None:
            self._send(404, {"error": "Not found"}, {"X-Error-Code": "EntryNotFound"})
            return
        fault = fake._next_fault(split.path, query)
        if fault is None and fake.broken is not None and fake.broken(split.path, query):
            fault = "500"
        if fault is not None:
            fake.count(fault)
        if fault == "drop":
            self.close_connection = True
            return
        if not fake.budget.take() or fault == "429":
            fake.count("rate_limited")
            headers = fake.budget.headers()
            if fault == "429":
                headers["RateLimit"] = f'"api";r=0;t={fake.fault_reset}'
            left = headers["RateLimit"].rsplit("t=", 1)[1]
            headers["Retry-After"] = left
            message = f"you have reached your 'api' rate limit. Retry after {left} seconds"
            self._send(429, {"error": message}, headers)
            return
        if fault in ("500", "502", "503"):
            self._send(int(fault), {"error": "Internal Error"}, fake.budget.headers())
            return
        status, body, following = fake.listing(kind, query)
        headers = fake.budget.headers()
        if following is not None:
            kept = [(key, value) for key, value in query if key != "cursor"]
            kept.append(("cursor", _encode_cursor(following)))
            host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
            headers["Link"] = f'<http://{host}{split.path}?{urlencode(kept)}>; rel="next"'
        if status == 200:
            fake.count(kind)
        self._send(status, body, headers, fault=fault)

    def _send(self, status: int, body: Any, headers: dict[str, str], fault: str | None = None) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        if fault == "truncate":
            payload = payload[: max(1, len(payload) // 2)]
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        if status >= 400:
            self.send_header("X-Error-Message", str(body.get("error", ""))[:200])
        self.end_headers()
        if fault == "cut":  # promise the whole body, send half, hang up
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(json.dumps({"$offset": offset}).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    return int(json.loads(base64.b64decode(cursor))["$offset"])


def _sort_value(item: Any, sort: str) -> tuple[int, Any]:
    value = item.get(sort) if isinstance(item, dict) else None
    if sort in ("createdAt", "lastModified"):
        return (1, value) if isinstance(value, str) else (0, "")
    return (1, value) if isinstance(value, (int, float)) and not isinstance(value, bool) else (0, 0)


def _author_of(item: Any) -> str:
    repo = item.get("id") if isinstance(item, dict) else None
    return repo.split("/", 1)[0].lower() if isinstance(repo, str) and "/" in repo else ""


def _ordered(source: Sequence[Any], sort: str | None, author: str | None) -> Sequence[int]:
    """Indices of `source` in the listing's order (descending by `sort`, ties by ascending `_id`)."""
    if sort and sort in getattr(source, "presorted", ()) and not author:
        return range(len(source))
    indices = range(len(source))
    if author:
        wanted = author.lower()
        indices = [i for i in indices if _author_of(source[i]) == wanted]
    if not sort:
        return indices
    by_id = sorted(
        indices, key=lambda i: str(source[i].get("_id", "")) if isinstance(source[i], dict) else ""
    )
    return sorted(by_id, key=lambda i: _sort_value(source[i], sort), reverse=True)


def _view(item: Any, expand: list[str], kind: str) -> Any:
    """What the list endpoint shows of `item` for this `expand` (malformed items pass through as they are)."""
    if not isinstance(item, dict):
        return item
    keys = expand or (DEFAULT_MODEL_VIEW if kind == "models" else DEFAULT_DATASET_VIEW)
    view = {key: item[key] for key in ("_id", "id") if key in item}
    view.update({key: item[key] for key in keys if key in item})
    return view


PLACEHOLDER = "2022-03-02T23:29:04.000Z"


def sample_models() -> list[dict[str, Any]]:
    """A small Hub: three orgs, lineage of every kind, the placeholder date, gated variants, a repeat, and
    malformed items. Newest first is not assumed (the server sorts)."""
    models = [
        hub_model("org-a/base-7b", created="2024-03-01T10:00:00.000Z", downloads=9000, likes=500),
        hub_model("org-a/old-model", created=PLACEHOLDER, downloads=40, likes=3),
        hub_model("org-a/gated-auto", created="2023-06-01T00:00:00.000Z", downloads=7, gated="auto"),
        hub_model("org-a/gated-manual", created="2024-02-01T00:00:00.000Z", downloads=8, gated="manual"),
        hub_model(
            "org-b/chat",
            created="2024-05-05T05:05:05.000Z",
            downloads=5000,
            likes=120,
            tags=["base_model:org-a/base-7b", "base_model:finetune:org-a/base-7b", "license:apache-2.0"],
        ),
        hub_model("org-b/ds-export", created="2023-01-01T00:00:00.000Z", downloads=3),
        hub_model(
            "someone/chat-GGUF",
            created="2024-07-01T00:00:00.000Z",
            downloads=800,
            tags=["gguf", "base_model:org-b/chat", "base_model:quantized:org-b/chat"],
        ),
        hub_model(
            "someone/merged",
            created="2024-07-02T00:00:00.000Z",
            downloads=90,
            tags=[
                "base_model:org-b/chat",
                "base_model:merge:org-b/chat",
                "base_model:never/collected",
                "base_model:merge:never/collected",
            ],
            card={"base_model": ["org-b/chat", "never/collected", "https://huggingface.co/third/card-only"]},
        ),
        hub_model(
            "someone/lora",
            created="2024-07-03T00:00:00.000Z",
            downloads=12,
            card={"base_model": "org-a/base-7b", "base_model_relation": "adapter"},
        ),
        hub_model(
            "someone/no-dates",
            created="2024-08-01T00:00:00.000Z",
            downloads=0,
            likes=0,
            pipeline_tag=None,
            library_name=None,
        ),
    ]
    models += [
        hub_model(
            f"crowd/model-{i:02d}",
            created=f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}T00:00:00.000Z",
            downloads=i * 11,
            likes=i,
        )
        for i in range(30)
    ]
    models.append(dict(models[4]))  # the Hub listing the same repo twice (keyset cursor on a changing sort)
    models += [
        {"id": "broken/no-underscore-id", "createdAt": "2024-09-01T00:00:00.000Z", "downloads": 1},
        {
            "_id": "bad000000000000000000001",
            "id": "broken/downloads-text",
            "createdAt": "2024-09-02T00:00:00.000Z",
            "downloads": "many",
        },
        {
            "_id": "bad000000000000000000002",
            "id": "broken/bad-date",
            "createdAt": "yesterday",
            "downloads": 1,
        },
        {"_id": "bad000000000000000000003", "id": ["not", "a", "string"], "downloads": 1},
    ]
    return models


def sample_datasets() -> list[dict[str, Any]]:
    """Datasets of the sample orgs (one with the placeholder date, one malformed)."""
    return [
        hub_dataset("org-a/corpus", created="2024-01-10T00:00:00.000Z", downloads=300),
        hub_dataset("org-a/ancient", created=PLACEHOLDER, downloads=2),
        hub_dataset("org-b/eval", created="2024-04-10T00:00:00.000Z", downloads=30, gated="manual"),
        *[hub_dataset(f"org-a/shard-{i}", created=f"2024-02-{i + 1:02d}T00:00:00.000Z") for i in range(9)],
        {
            "_id": "bad000000000000000000009",
            "id": "org-a/bad-likes",
            "createdAt": "2024-03-01T00:00:00.000Z",
            "likes": [1],
        },
    ]
