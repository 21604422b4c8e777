"""GitHub API objects -> row dicts for `gh_accounts`, `gh_repos` and `gh_contributors`.

Each function takes one decoded JSON object and raises `Malformed` when it lacks what a row needs, so the
collector can log and skip that one item.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


class Malformed(ValueError):
    """An API object without the fields a row needs (logged and skipped)."""


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO-8601 timestamp such as `2014-01-09T16:56:17Z` as an aware UTC datetime (None when absent)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


_INT64_MAX = 2**63 - 1


def _id(obj: Any, what: str) -> int:
    if not isinstance(obj, dict):
        raise Malformed(f"{what} is not an object")
    value = obj.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _INT64_MAX:
        raise Malformed(f"{what} has no numeric id")
    return value


def _int(value: Any) -> int | None:
    """A count: a whole number from 0 to BIGINT's maximum, else None (negative or huge counts are garbage)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _INT64_MAX:
        return None
    return value


def _text(value: Any, limit: int) -> str | None:
    """A string field, cut to `limit`; anything but a string (a list, an object) is unknown, not its repr."""
    return value[:limit] if isinstance(value, str) and value else None


def account_identity(obj: Any) -> dict[str, Any]:
    """The columns every embedded user/org object has (owner, contributor): id, login, type."""
    account_id = _id(obj, "account")
    login = obj.get("login")
    if not isinstance(login, str) or not login:
        raise Malformed(f"account {account_id} has no login")
    return {"id": account_id, "login": login, "login_key": login.lower(), "type": _text(obj.get("type"), 20)}


def account_profile(obj: Any) -> dict[str, Any]:
    """A full `GET /orgs/{o}` or `GET /users/{u}` object: identity plus location, company and counts."""
    row = account_identity(obj)
    row.update(
        name=_text(obj.get("name"), 300),
        location=_text(obj.get("location"), 10_000),
        company=_text(obj.get("company"), 300),
        blog=_text(obj.get("blog"), 10_000),
        public_repos=_int(obj.get("public_repos")),
        followers=_int(obj.get("followers")),
        created_at=parse_time(obj.get("created_at")),
    )
    return row


def repo_description(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(repo columns, owner identity) from a minimal or full repository object; no counts."""
    repo_id = _id(obj, "repository")
    full_name = obj.get("full_name")
    if not isinstance(full_name, str) or "/" not in full_name:
        raise Malformed(f"repository {repo_id} has no full_name")
    owner = account_identity(obj.get("owner"))
    license_object = obj.get("license") if isinstance(obj.get("license"), dict) else {}
    topics = obj.get("topics")
    row = {
        "id": repo_id,
        "full_name": full_name[:300],
        "owner_id": owner["id"],
        "owner_login": owner["login"],
        "description": _text(obj.get("description"), 10_000),
        "language": _text(obj.get("language"), 100),
        "license": _text(license_object.get("spdx_id"), 100),
        "topics": [str(t) for t in topics] if isinstance(topics, list) else None,
        "fork": bool(obj.get("fork")) if obj.get("fork") is not None else None,
        "archived": bool(obj.get("archived")) if obj.get("archived") is not None else None,
        "created_at": parse_time(obj.get("created_at")),
        "pushed_at": parse_time(obj.get("pushed_at")),
    }
    return row, owner


def repo_counts(obj: Any) -> dict[str, int | None]:
    """The counts of a full repository object (`GET /repos/{o}/{r}`).

    `watchers_count` is the star count under its legacy name; the real watchers are `subscribers_count`,
    which only this endpoint returns."""
    if not isinstance(obj, dict) or _int(obj.get("stargazers_count")) is None:
        raise Malformed("repository has no stargazers_count")
    return {
        "stars": _int(obj.get("stargazers_count")),
        "forks": _int(obj.get("forks_count")),
        "watchers": _int(obj.get("subscribers_count")),
        "open_issues": _int(obj.get("open_issues_count")),
    }


def contributor(obj: Any) -> tuple[dict[str, Any], int] | None:
    """(account identity, contributions) of one contributor item; None for an anonymous contributor."""
    if isinstance(obj, dict) and (obj.get("type") == "Anonymous" or obj.get("id") is None):
        return None
    identity = account_identity(obj)
    contributions = _int(obj.get("contributions"))
    if contributions is None:
        raise Malformed(f"contributor {identity['login']} has no contributions count")
    return identity, contributions
