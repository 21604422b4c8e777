"""Serving the web application with waitress, a production WSGI server (threads, no reverse proxy needed)."""

from __future__ import annotations

import waitress

from tracker.config import Settings
from tracker.db.engine import Database
from tracker.web.app import create_app

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
THREADS = 8


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS


def serve(database: Database, settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    app = create_app(database, settings)
    waitress.serve(app, host=host, port=port, threads=THREADS, ident="tracker", _quiet=True)
