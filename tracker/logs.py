"""Logging: one line per event on stderr (plain or JSON), with secrets scrubbed from every message."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from tracker.config import known_secrets, scrub


class _ScrubSecrets(logging.Filter):
    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = (*self.secrets, *known_secrets())
        if secrets:
            record.msg = scrub(record.getMessage(), secrets)
            record.args = None
            if record.exc_info and not record.exc_text:  # a traceback quotes values: scrub it too
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = scrub(record.exc_text, secrets)
            if record.stack_info:
                record.stack_info = scrub(record.stack_info, secrets)
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("run_id", "job"):
            if hasattr(record, key):
                event[key] = getattr(record, key)
        return json.dumps(event, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is at each event (tests and embedding code swap it between calls)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(verbose: int = 0, json_lines: bool = False, secrets: tuple[str, ...] = ()) -> None:
    """Send tracker's log events to stderr; `verbose` 0 = warnings, 1 = info, 2 = debug."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = _StderrHandler()
    handler.addFilter(_ScrubSecrets(secrets))
    if json_lines:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        )
        handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    root = logging.getLogger("tracker")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
