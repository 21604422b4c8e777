"""The SQLite fast path's value conversions equal what the generic conversions give."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tracker.db.models import UTCDateTime
from tracker.sources.huggingface.parse import parse_hub_time
from tracker.sources.huggingface.store import _sqlite_time, _tags_json


@pytest.mark.parametrize(
    "tags",
    [
        None,
        [],
        ["transformers", "base_model:finetune:org/m"],
        ['say "hi"', "back\\slash", "tab\there", "new\nline"],
        ["中文", "émoji 🙂", "\u2028", "\x00"],
    ],
)
def test_tags_json_is_json_dumps(tags: list[str] | None) -> None:
    assert _tags_json(tags) == json.dumps(tags)
    assert json.loads(_tags_json(tags)) == tags


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-05T05:05:05.000Z",
        "2024-05-05T05:05:05Z",
        "2024-05-05T05:05:05.123456Z",
        "2024-05-05T07:05:05.500+02:00",
        "2024-05-05T05:05:05",
    ],
)
def test_sqlite_time_matches_sqlalchemy_storage(value: str) -> None:
    parsed = parse_hub_time(value, "createdAt")
    assert parsed is not None and parsed.utcoffset() == dt.timedelta(0)
    naive = UTCDateTime().process_bind_param(parsed, None)
    assert naive is not None
    # SQLAlchemy's SQLite DateTime stores `YYYY-MM-DD HH:MM:SS.ffffff`
    assert _sqlite_time(parsed) == naive.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert _sqlite_time(None) is None
