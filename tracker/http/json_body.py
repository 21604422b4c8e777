"""Decoding an API's JSON body into values every database can store.

JSON may legally carry `\\u0000` and lone surrogates (`\\ud800`): PostgreSQL refuses NUL in text and no UTF-8
encoder accepts a lone surrogate, so one such string would fail a whole page's transaction. They are rare,
so the body is scanned for their escapes first and only then walked: NUL removed, lone surrogates replaced.
"""

from __future__ import annotations

import json
import re
from typing import Any

_UNSAFE_ESCAPE = re.compile(rb"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)


def decode_json(content: bytes) -> Any:
    """The body's JSON value (None when empty). Raises ValueError when it is not JSON, too deeply nested
    included (`RecursionError` would escape the callers' handling of bad bodies)."""
    if not content.strip():
        return None
    try:
        data = json.loads(content)
        return _storable(data) if _UNSAFE_ESCAPE.search(content) else data
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value
