"""Turning list items of `/api/models` and `/api/datasets` into rows, strictly: a malformed item raises
`MalformedItem` (the collector logs, skips and counts it) instead of storing half-truths.

Hub quirks handled here: `createdAt = 2022-03-02T23:29:04.000Z` is a placeholder for "before creation dates
were recorded"; lineage lives in `base_model:[relation:]repo` tags and in `cardData.base_model` (a string or a
list); `gated` is `false`, `"auto"` or `"manual"`. `region:*` tags are storage regions and are kept only as tags.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER_CREATED_AT = "2022-03-02T23:29:04.000Z"
PLACEHOLDER_DATETIME = dt.datetime(2022, 3, 2, 23, 29, 4, tzinfo=dt.timezone.utc)
RELATIONS = ("finetune", "adapter", "quantized", "merge")
UNKNOWN_RELATION = "unknown"

_REPO_ID = re.compile(r"^[\w.\-]+(/[\w.\-]+)?$")
_HUB_URL_PREFIX = re.compile(r"^https?://(www\.)?huggingface\.co/", re.IGNORECASE)
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


class MalformedItem(ValueError):
    """An item the Hub sent that cannot be stored faithfully (missing id, wrong types)."""


@dataclass(frozen=True)
class Parent:
    """A base-model edge as listed by the Hub (position 0 = first listed)."""

    repo_id: str
    relation: str
    position: int
    source: str  # 'tag' or 'card'


@dataclass
class RepoRow:
    """The columns shared by models and datasets, plus the model-only ones and lineage."""

    hub_id: str
    repo_id: str
    author: str | None
    created_at: dt.datetime | None
    created_at_unknown: bool
    created_at_raw: dt.datetime | None  # the Hub's value even when it is the placeholder (crawl ordering)
    last_modified: dt.datetime | None
    license: str | None
    gated: str | None
    private: bool | None
    disabled: bool | None
    tags: list[str] | None
    downloads_30d: int | None
    downloads_all_time: int | None
    likes: int | None
    trending_score: int | None
    pipeline_tag: str | None = None
    library_name: str | None = None
    parents: list[Parent] = field(default_factory=list)
    digest: int | None = None  # of the dump values read into the row (tracker.sources.huggingface.dump_read)


def parse_hub_time(value: Any, name: str) -> dt.datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime (None when absent)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedItem(f"{name} is not a string: {value!r:.60}")
    try:
        if value.endswith("Z"):  # the Hub's form: 2024-05-05T05:05:05.000Z (an offset parses faster than
            return dt.datetime.fromisoformat(value[:-1] + "+00:00")  # `.replace(tzinfo=...)` costs)
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise MalformedItem(f"{name} is not an ISO-8601 time: {value!r:.60}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _count(item: dict[str, Any], key: str, maximum: int) -> int | None:
    value = item.get(key)
    if type(value) is int and 0 <= value <= maximum:  # the usual case first: four counts on every item
        return value
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedItem(f"{key} is not a number: {value!r:.60}")
    if isinstance(value, float):
        if not value.is_integer():
            raise MalformedItem(f"{key} is not a whole number: {value!r}")
        value = int(value)
    if not 0 <= value <= maximum:  # a count is never negative: a negative one is garbage, not a fall
        raise MalformedItem(f"{key} is out of range: {value}")
    return value


def _flag(item: dict[str, Any], key: str) -> bool | None:
    value = item.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise MalformedItem(f"{key} is not true/false: {value!r:.60}")


def _text(item: dict[str, Any], key: str, limit: int) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedItem(f"{key} is not a string: {value!r:.60}")
    value = value.strip()
    return value[:limit] if value else None


def _gated(value: Any) -> str | None:
    if value is None:
        return None
    if value is False:
        return "false"
    if value is True:  # not documented; seen in old clients as "gated, mode unknown"
        return "true"
    if isinstance(value, str) and value.lower() in ("false", "auto", "manual", "true"):
        return value.lower()
    raise MalformedItem(f"gated is not false/'auto'/'manual': {value!r:.60}")


def _tags(item: dict[str, Any]) -> list[str] | None:
    tags = item.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise MalformedItem("tags is not a list of strings")
    return tags


def _card(item: dict[str, Any]) -> dict[str, Any]:
    card = item.get("cardData")
    return card if isinstance(card, dict) else {}  # authors write anything in cards: never fatal


def _license(tags: list[str] | None, card: dict[str, Any]) -> str | None:
    for tag in tags or ():
        if tag.startswith("license:") and len(tag) > len("license:"):
            return tag[len("license:") :][:100]
    value = card.get("license")
    if isinstance(value, list) and value and isinstance(value[0], str):
        value = value[0]
    if not isinstance(value, str):
        return None
    return value.strip()[:100] or None


def _clean_repo(value: Any) -> str | None:
    """A parent repo id as written in a tag or card (URLs reduced to `owner/name`), or None if not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if ":" in value:  # a URL (a repo id never holds a colon)
        value = _HUB_URL_PREFIX.sub("", value)
    value = value.strip("/")
    if not value or len(value) > 300 or not _REPO_ID.match(value):
        return None
    return value


def parse_lineage(repo_id: str, tags: list[str] | None, card: dict[str, Any]) -> list[Parent]:
    """Direct parents from `base_model:` tags (in the order listed), then any only named in the card."""
    lineage_tags = [tag for tag in tags if tag.startswith("base_model:")] if tags else ()
    card_parents = card.get("base_model")
    if not lineage_tags and card_parents is None:
        return []  # most models: no lineage at all
    found: dict[str, list[str]] = {}  # key -> [repo_id, relation, source]
    for tag in lineage_tags:
        parts = tag.split(":")
        if len(parts) == 2:
            relation, repo = None, parts[1]
        elif len(parts) == 3 and parts[1] in RELATIONS:
            relation, repo = parts[1], parts[2]
        else:
            continue
        cleaned = _clean_repo(repo)
        if cleaned is None:
            continue
        entry = found.setdefault(cleaned.lower(), [cleaned, UNKNOWN_RELATION, "tag"])
        if relation is not None and entry[1] == UNKNOWN_RELATION:
            entry[1] = relation
    if isinstance(card_parents, str):
        card_parents = [card_parents]
    card_relation = card.get("base_model_relation")
    if card_relation not in RELATIONS:
        card_relation = UNKNOWN_RELATION
    if isinstance(card_parents, list):
        for value in card_parents:
            cleaned = _clean_repo(value)
            if cleaned is None:
                continue
            entry = found.setdefault(cleaned.lower(), [cleaned, card_relation, "card"])
            if entry[1] == UNKNOWN_RELATION:
                entry[1] = card_relation
    own = repo_id.lower()
    parents = [entry for key, entry in found.items() if key != own]
    return [
        Parent(repo, relation, position, source) for position, (repo, relation, source) in enumerate(parents)
    ]


def _identity(item: Any) -> tuple[str, str, str | None]:
    if not isinstance(item, dict):
        raise MalformedItem(f"item is not an object: {item!r:.60}")
    hub_id, repo_id = item.get("_id"), item.get("id")
    if not isinstance(hub_id, str) or not hub_id.strip() or len(hub_id) > 40:
        raise MalformedItem(f"missing or invalid _id: {hub_id!r:.60}")
    if not isinstance(repo_id, str) or not repo_id.strip() or len(repo_id) > 300:
        raise MalformedItem(f"missing or invalid id for _id {hub_id}: {repo_id!r:.60}")
    author = _text(item, "author", 200)
    if author is None and "/" in repo_id:
        author = repo_id.split("/", 1)[0]
    return hub_id.strip(), repo_id.strip(), author


def parse_repo(item: Any, *, model: bool) -> RepoRow:
    """One list item as a row; raises `MalformedItem` with a short reason."""
    hub_id, repo_id, author = _identity(item)
    try:
        created_raw = parse_hub_time(item.get("createdAt"), "createdAt")
        tags = _tags(item)
        card = _card(item)
        row = RepoRow(
            hub_id=hub_id,
            repo_id=repo_id,
            author=author,
            created_at=None if created_raw == PLACEHOLDER_DATETIME else created_raw,
            created_at_unknown=created_raw == PLACEHOLDER_DATETIME,
            created_at_raw=created_raw,
            last_modified=parse_hub_time(item.get("lastModified"), "lastModified"),
            license=_license(tags, card),
            gated=_gated(item.get("gated")),
            private=_flag(item, "private"),
            disabled=_flag(item, "disabled"),
            tags=tags,
            downloads_30d=_count(item, "downloads", _INT64_MAX),
            downloads_all_time=_count(item, "downloadsAllTime", _INT64_MAX),
            likes=_count(item, "likes", _INT32_MAX),
            trending_score=_count(item, "trendingScore", _INT32_MAX),
        )
        if model:
            row.pipeline_tag = _text(item, "pipeline_tag", 100)
            row.library_name = _text(item, "library_name", 100)
            row.parents = parse_lineage(repo_id, tags, card)
    except MalformedItem as error:
        raise MalformedItem(f"{repo_id} ({hub_id}): {error}") from None
    return row


def parse_model(item: Any) -> RepoRow:
    return parse_repo(item, model=True)


def parse_dataset(item: Any) -> RepoRow:
    return parse_repo(item, model=False)
