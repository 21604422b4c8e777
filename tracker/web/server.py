"""Serving the web application with waitress, a production WSGI server (threads, no reverse proxy needed)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import waitress

from tracker.config import Settings
from tracker.db.engine import Database
from tracker.web.app import create_app

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
THREADS = 8


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve(database: Database, settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until Ctrl-C or SIGTERM (a container stop), then return."""
    app = create_app(database, settings)
    # The figures before the first report and the largest publishers' derivatives take seconds at full-Hub
    # size: load them at start, not on the first visitor's request.
    threading.Thread(target=app.extensions["tracker_warm"], daemon=True).start()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        waitress.serve(app, host=host, port=port, threads=THREADS, ident="tracker", _quiet=True)
    except KeyboardInterrupt:
        return
