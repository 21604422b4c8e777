"""The GitHub REST endpoints the collector reads, as methods named for what they return.

Every GET is conditional (ETag/If-None-Match; a 304 is free and hands back the stored body). Missing or
blocked objects (404, 451) come back as `None`; the caller marks them gone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from tracker.http.client import Fetched, HttpClient
from tracker.http.errors import HttpStatusError

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
GONE_STATUSES = (404, 410, 451)
SEARCH_CAP = 1000  # GitHub returns at most 1,000 results per search query


class TooLarge(Exception):
    """GitHub refuses to list contributors of a very large repository (403)."""


def _path(*parts: str) -> str:
    return "/" + "/".join(quote(part, safe="") for part in parts)


class GitHubApi:
    """Endpoints over the shared `HttpClient` (which carries tokens, rate limits and validators)."""

    def __init__(self, client: HttpClient, *, per_page: int = 100) -> None:
        self.client = client
        self.per_page = max(1, min(100, per_page))

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Fetched | None:
        try:
            return self.client.get(path, params, conditional=True)
        except HttpStatusError as error:
            if error.status in GONE_STATUSES or (
                error.status == 403 and "access blocked" in error.message.lower()
            ):
                return None  # some blocked repositories answer 403 "Repository access blocked" instead of 451
            raise

    def organization(self, login: str) -> Fetched | None:
        """`GET /orgs/{login}`; None when no such organisation (it may be a user)."""
        return self._get(_path("orgs", login))

    def user(self, login: str) -> Fetched | None:
        """`GET /users/{login}` (also answers for organisations, with type "Organization")."""
        return self._get(_path("users", login))

    def repositories_of(self, login: str, *, organization: bool) -> Iterator[Fetched]:
        """Pages of an owner's public repositories (minimal repository objects)."""
        kind = "orgs" if organization else "users"
        return self.client.pages(_path(kind, login, "repos"), {"per_page": self.per_page}, conditional=True)

    def repository(self, repo_id: int) -> Fetched | None:
        """`GET /repositories/{id}`: the full object, the only one with `subscribers_count`. By id, so a
        renamed or transferred repository is still found and a name taken over by another is not."""
        return self._get(f"/repositories/{int(repo_id)}")

    def contributors(self, repo_id: int, limit: int) -> list[Any] | None:
        """The top `limit` contributors by contributions ([] for an empty repository, which answers 204;
        None when the repository is gone). Raises `TooLarge` for GitHub's 403 on huge histories."""
        per_page = max(1, min(self.per_page, limit))
        items: list[Any] = []
        try:
            for page in self.client.pages(
                f"/repositories/{int(repo_id)}/contributors", {"per_page": per_page}, conditional=True
            ):
                if page.status == 204 or not page.data:
                    break
                if not isinstance(page.data, list):
                    break
                items.extend(page.data)
                if len(items) >= limit:
                    break
        except HttpStatusError as error:
            if error.status in GONE_STATUSES:
                return None
            if error.status == 403:
                raise TooLarge(error.message or "contributor list too large") from None
            raise
        return items[:limit]

    def search_repositories(self, query: str, *, max_results: int = SEARCH_CAP) -> Iterator[Fetched]:
        """Pages of `GET /search/repositories` by stars, stopping at the 1,000-result cap (or at a 422)."""
        max_pages = math.ceil(min(max_results, SEARCH_CAP) / self.per_page)
        params = {"q": query, "sort": "stars", "order": "desc", "per_page": self.per_page}
        pages = self.client.pages("/search/repositories", params, conditional=True)
        try:
            for number, page in enumerate(pages, start=1):
                yield page
                if number >= max_pages:
                    return
        except HttpStatusError as error:
            if error.status == 422:  # "Only the first 1000 search results are available"
                return
            raise
