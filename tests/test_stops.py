"""Prompt stops: a server trickling its body a byte at a time holds a request no longer than the client's
overall deadline, and SIGTERM/SIGINT stop a real `tracker collect` subprocess within seconds with exit 3
(a second signal at once), leaving a resumable run (SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fakes.server import LocalServer
from tracker.db.engine import Database
from tracker.db.models import CollectionRun
from tracker.http import HttpClient
from tracker.http.errors import Interrupted, RetriesExhausted
from tracker.http.ratelimit import HubRateLimitPolicy

BODY = b'[{"_id": "x", "id": "a/b"}]' + b" " * 4000


class TricklingServer(LocalServer):
    """Answers every request 200 with a body of `BODY`, one byte every `interval` seconds (with
    `headers=True`, the status line and headers too)."""

    def __init__(self, interval: float = 0.2, *, headers: bool = False) -> None:
        self.interval = interval
        self.headers = headers
        self.requested = threading.Event()

    def start(self) -> TricklingServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                server.requested.set()
                if server.headers:
                    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\nX-Slow: {'x' * 200}\r\n\r\n"
                    try:
                        for byte in head.encode():
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(server.interval)
                    except OSError:
                        pass
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                try:
                    for index in range(len(BODY)):
                        self.wfile.write(BODY[index : index + 1])
                        self.wfile.flush()
                        time.sleep(server.interval)
                except OSError:  # the client gave up: that is the point
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.serve(Handler)
        return self

    @property
    def url(self) -> str:
        return self.root_url


def test_a_trickled_body_ends_at_the_overall_deadline() -> None:
    with TricklingServer() as server:
        client = HttpClient(server.url, HubRateLimitPolicy(), deadline=1.5, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(RetriesExhausted, match="Timeout"):
            client.get("/api/models")
        elapsed = time.monotonic() - started
    assert elapsed < 5, f"the request was held {elapsed:.1f}s past its 1.5s deadline"


def test_trickled_headers_end_at_the_overall_deadline_too() -> None:
    with TricklingServer(headers=True) as server:
        client = HttpClient(server.url, HubRateLimitPolicy(), deadline=1.5, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(RetriesExhausted, match="deadline"):
            client.get("/api/models")
        elapsed = time.monotonic() - started
    assert elapsed < 5, f"the request was held {elapsed:.1f}s past its 1.5s deadline"


def test_a_stop_request_ends_trickled_headers_at_once() -> None:
    stop = threading.Event()
    with TricklingServer(headers=True) as server:
        client = HttpClient(server.url, HubRateLimitPolicy(), stop=stop)
        threading.Timer(1.0, stop.set).start()
        started = time.monotonic()
        with pytest.raises(Interrupted):
            client.get("/api/models")
        assert time.monotonic() - started < 4


def test_a_stop_request_ends_a_trickled_body_at_once() -> None:
    stop = threading.Event()
    with TricklingServer() as server:
        client = HttpClient(server.url, HubRateLimitPolicy(), stop=stop)
        threading.Timer(1.0, stop.set).start()
        started = time.monotonic()
        with pytest.raises(Interrupted):
            client.get("/api/models")
        assert time.monotonic() - started < 4


def _collect(database_url: str, hub_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "HF_ENDPOINT": hub_url,
        "TRACKER_TODAY": "2026-03-02",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tracker.cli import run; run()",
            "collect",
            "huggingface",
            "--no-registry",
            "--top",
            "0",
            "--since",
            "2026-01-01",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_a_collection_against_a_trickling_server_with_exit_3(
    database: Database, database_url: str, tmp_path: Path, number: signal.Signals
) -> None:
    with TricklingServer() as server:
        process = _collect(database_url, server.url, tmp_path)
        assert server.requested.wait(60), process.communicate(timeout=60)
        time.sleep(0.5)  # well inside the trickled body
        process.send_signal(number)
        sent = time.monotonic()
        out, err = process.communicate(timeout=60)
        elapsed = time.monotonic() - sent
    assert process.returncode == 3, (out, err)
    assert elapsed < 8, f"stopped {elapsed:.1f}s after the signal"
    assert "Traceback" not in err, err
    with database.session() as session:
        statuses = list(
            session.scalars(select(CollectionRun.status).where(CollectionRun.collector == "huggingface"))
        )
    assert statuses == ["interrupted"], statuses


def test_a_second_signal_exits_at_once(database: Database, database_url: str, tmp_path: Path) -> None:
    with TricklingServer(interval=5.0) as server:  # a stalled server: the first stop waits for a byte
        process = _collect(database_url, server.url, tmp_path)
        assert server.requested.wait(60), process.communicate(timeout=60)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        out, err = process.communicate(timeout=60)
        elapsed = time.monotonic() - sent
    assert process.returncode == 3, (out, err)
    assert elapsed < 3, f"exited {elapsed:.1f}s after the second signal"
    assert "again" in err, err
