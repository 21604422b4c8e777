"""A fake of the Hub's dump dataset (`cfahlgren1/hub-stats`) on 127.0.0.1, for tests and benchmarks.

Speaks the shapes of ../shared/API-FACTS.md 1.11: `GET /api/datasets/{repo}/commits/main` lists commits newest
first as a JSON array with `Link: <...>; rel="next"` pagination; `HEAD`/`GET /datasets/{repo}/resolve/{commit}/
models.parquet` answers 302 to a second host name (`localhost` instead of `127.0.0.1`, the same server) with
`X-Linked-Size`, `X-Linked-Etag` (the sha256) and `X-Repo-Commit`; the storage host honours `Range`. Every
request is recorded with its host and whether it carried an `Authorization` header.

Any other request goes to `api` (the root URL of another fake, e.g. tests.fakes.hub.FakeHub) when set, so
one endpoint serves both the dumps and the model listings.

Faults: `truncate_once` sends half a file's body (with the full `Content-Length`) the first time it is asked
for; `throttle` seconds are slept per `send_chunk` bytes sent (so a test can kill a download in flight).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import requests

from tests.fakes.server import LocalServer

_RESOLVE = re.compile(r"^/datasets/(?P<repo>[^/]+/[^/]+)/resolve/(?P<commit>[^/]+)/(?P<file>[^/]+)$")
_STORAGE = re.compile(r"^/storage/(?P<commit>[^/]+)/(?P<file>[^/]+)$")
_COMMITS = re.compile(r"^/api/datasets/(?P<repo>[^/]+/[^/]+)/commits/(?P<revision>[^/]+)$")
SEND_CHUNK = 16 * 1024


@dataclass
class DumpDay:
    """One commit of the dump dataset and its `models.parquet` bytes (None: the commit has no such file)."""

    commit_id: str
    committed_at: dt.datetime
    content: bytes | None
    truncate_once: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content or b"").hexdigest()


@dataclass
class Seen:
    method: str
    host: str
    path: str
    authorization: str | None
    range: str | None = None


@dataclass
class FakeDumpRepo(LocalServer):
    days: list[DumpDay] = field(default_factory=list)
    repo: str = "cfahlgren1/hub-stats"
    page_size: int = 3
    throttle: float = 0.0
    send_chunk: int = SEND_CHUNK
    api: str | None = None
    requests: list[Seen] = field(default_factory=list)
    body_bytes_sent: int = 0
    _truncated: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeDumpRepo:
        self.serve(self._handler())
        return self

    @property
    def url(self) -> str:
        return self.root_url

    @property
    def storage_url(self) -> str:
        """The same server under a second host name, as the Hub's storage host is another host."""
        return self.root_url.replace("127.0.0.1", "localhost")

    def _commits(self) -> list[DumpDay]:
        return sorted(self.days, key=lambda day: day.committed_at, reverse=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _record(self) -> None:
                with fake._lock:
                    fake.requests.append(
                        Seen(
                            self.command,
                            self.headers.get("Host", ""),
                            self.path,
                            self.headers.get("Authorization"),
                            self.headers.get("Range"),
                        )
                    )

            def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_HEAD(self) -> None:
                self._record()
                self._route(head=True)

            def do_GET(self) -> None:
                self._record()
                self._route(head=False)

            def _route(self, head: bool) -> None:
                parts = urlsplit(self.path)
                if match := _COMMITS.match(parts.path):
                    return self._list_commits(match["repo"], dict(parse_qsl(parts.query)))
                if match := _RESOLVE.match(parts.path):
                    return self._resolve(match["repo"], match["commit"], match["file"])
                if match := _STORAGE.match(parts.path):
                    return self._storage(match["commit"], match["file"], head)
                if fake.api is not None and not head:
                    return self._forward()
                self._json(404, {"error": "not found"})

            def _forward(self) -> None:
                sent = {"Host": self.headers.get("Host", "")}  # its Link headers then name this server
                if self.headers.get("Authorization"):
                    sent["Authorization"] = self.headers["Authorization"]
                answer = requests.get(f"{fake.api}{self.path}", headers=sent, timeout=10)
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in (
                        "content-length",
                        "connection",
                        "transfer-encoding",
                        "date",
                        "server",
                    ):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def _day(self, commit: str) -> DumpDay | None:
                return next((day for day in fake.days if day.commit_id == commit), None)

            def _list_commits(self, repo: str, query: dict[str, str]) -> None:
                if repo != fake.repo:
                    return self._json(404, {"error": "Repository not found"})
                page = int(query.get("p", "0"))
                commits = fake._commits()
                chunk = commits[page * fake.page_size : (page + 1) * fake.page_size]
                body = [
                    {
                        "id": day.commit_id,
                        "title": "Upload models.parquet with huggingface_hub",
                        "message": "",
                        "authors": [{"user": "cfahlgren1"}],
                        "date": day.committed_at.isoformat().replace("+00:00", ".000Z"),
                    }
                    for day in chunk
                ]
                headers = {
                    "RateLimit": '"api";r=999;t=100',
                    "RateLimit-Policy": '"fixed window";"api";q=1000;w=300',
                }
                if (page + 1) * fake.page_size < len(commits):
                    headers["Link"] = (
                        f'<{fake.url}/api/datasets/{repo}/commits/main?p={page + 1}>; rel="next"'
                    )
                self._json(200, body, headers)

            def _resolve(self, repo: str, commit: str, filename: str) -> None:
                day = self._day(commit)
                if repo != fake.repo or day is None or day.content is None or filename != "models.parquet":
                    return self._json(404, {"error": "Entry not found"})
                self.send_response(302)
                self.send_header("Location", f"{fake.storage_url}/storage/{commit}/{filename}")
                self.send_header("X-Linked-Size", str(len(day.content)))
                self.send_header("X-Linked-Etag", f'"{day.sha256}"')
                self.send_header("X-Repo-Commit", commit)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _storage(self, commit: str, filename: str, head: bool) -> None:
                day = self._day(commit)
                if (
                    day is None
                    or day.content is None
                    or not self.headers.get("Host", "").startswith("localhost")
                ):
                    return self._json(404, {"error": "not found"})
                content = day.content
                start = 0
                status = 200
                match = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
                if match:
                    start = int(match[1])
                    if start >= len(content):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status = 206
                body = content[start:]
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
                self.end_headers()
                if head:
                    return
                with fake._lock:
                    cut = day.truncate_once and commit not in fake._truncated
                    if cut:
                        fake._truncated.add(commit)
                if cut:
                    body = body[: len(body) // 2]
                for offset in range(0, len(body), fake.send_chunk):
                    piece = body[offset : offset + fake.send_chunk]
                    try:
                        self.wfile.write(piece)
                        self.wfile.flush()
                    except OSError:
                        return
                    with fake._lock:
                        fake.body_bytes_sent += len(piece)
                    if fake.throttle:
                        time.sleep(fake.throttle)
                if cut:
                    self.close_connection = True

        return Handler
