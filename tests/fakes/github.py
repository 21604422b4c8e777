"""A fake GitHub REST API on 127.0.0.1 (random port) that speaks the real shapes, for tests and benchmarks.

Shapes follow the recorded responses in ../shared/data/github-api-samples (PyGithub ReplayData, LGPL-3.0)
and github/docs: organisation and user objects, minimal repositories in listings, full repositories (with
`subscribers_count`) from `GET /repos/{o}/{r}`, contributors, search results. Behaviour:

* `Link` pagination (`rel="next"/"last"/"prev"/"first"`, `per_page` default 30, max 100, copied into links);
* `ETag` on every 200, `If-None-Match` answered `304` without spending budget;
* a real budget per token and resource (`x-ratelimit-*` headers; anonymous 60/h core, 10/min search), a
  `403` primary limit with `remaining: 0` and the reset time once it is spent; `401` for unknown tokens;
* `403` without a `User-Agent`; `301` for a renamed repository; `404` and `451`; `204` contributors of an
  empty repository and `403` for a too-large one; the 1,000-result search cap (`422` beyond);
* scripted faults (`fail(...)`): 5xx, dropped connections, primary and secondary limits.

Time comes from `clock` (epoch seconds), so tests can pair a `FakeClock` with injected sleeps.

    with FakeGitHub(tokens={"t1": 5000}) as github:
        github.add_org("acme", location="Paris, France")
        github.add_repo("acme", "rocket", stars=10, watchers=3)
        ... GITHUB_API_URL=github.url ...
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from tests.fakes.server import LocalServer

DOCS = "https://docs.github.com/rest"


class FakeClock:
    """Epoch seconds that move only when told: pass `clock` to the fake and `sleep` to the client."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


@dataclass
class Served:
    """One request as the fake saw it (the token is recorded as its label, e.g. 't1' or 'anonymous')."""

    path: str
    status: int
    token: str
    user_agent: str | None
    query: str = ""


@dataclass
class _Fault:
    kind: str
    path_contains: str
    times: int


@dataclass
class _Budget:
    limit: int
    window: float
    start: float | None = None
    used: int = 0

    def reset_at(self, now: float) -> int:
        if self.start is None or now >= self.start + self.window:
            self.start, self.used = now, 0
        return int(math.ceil(self.start + self.window))


@dataclass
class FakeRepo:
    id: int
    owner: str
    name: str
    stars: int = 0
    forks: int = 0
    watchers: int = 0  # subscribers_count
    open_issues: int = 0
    language: str | None = None
    license: str | None = None
    topics: list[str] = field(default_factory=list)
    archived: bool = False
    fork: bool = False
    description: str | None = None
    created_at: str = "2023-01-01T00:00:00Z"
    pushed_at: str = "2024-01-01T00:00:00Z"
    contributors: list[dict[str, Any]] | str = field(default_factory=list)  # or "empty" / "too_large"
    blocked: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class FakeGitHub(LocalServer):
    """The fake API. `tokens` maps token -> core limit per hour; without tokens only anonymous works."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tokens: dict[str, int] | None = None,
        anonymous_limit: int = 60,
        search_limit: int = 30,
        anonymous_search_limit: int = 10,
        search_cap: int = 1000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.tokens = dict(tokens or {})
        self.anonymous_limit = anonymous_limit
        self.search_limit = search_limit
        self.anonymous_search_limit = anonymous_search_limit
        self.search_cap = search_cap
        self.clock = clock or time.time
        self.accounts: dict[str, dict[str, Any]] = {}  # login_key -> account object
        self.repos: dict[int, FakeRepo] = {}
        self.redirects: dict[str, int] = {}  # lower(old full name) -> repo id
        self.stale_search_names: dict[int, str] = {}  # id -> the old name search still reports
        self.requests: list[Served] = []
        self._faults: list[_Fault] = []
        self._budgets: dict[tuple[str, str], _Budget] = {}
        self._next_id = 1000
        self._lock = threading.RLock()

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"fake": self})
        self.serve(handler)
        return self

    @property
    def url(self) -> str:
        """The API base URL (with the path prefix, if any): use it as GITHUB_API_URL."""
        return f"{self.root_url}{self.prefix}"

    # --- data ---------------------------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_org(self, login: str, **fields: Any) -> dict[str, Any]:
        return self._add_account(login, "Organization", fields)

    def add_user(self, login: str, **fields: Any) -> dict[str, Any]:
        return self._add_account(login, "User", fields)

    def _add_account(self, login: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        existing = self.accounts.get(login.lower())
        if existing is not None:  # e.g. created as a contributor first: keep its id, update the fields
            existing.update(type=kind, **fields)
            return existing
        account = {
            "login": login,
            "id": fields.pop("id", None) or self._new_id(),
            "type": kind,
            "name": fields.pop("name", login.title()),
            "company": fields.pop("company", None),
            "blog": fields.pop("blog", ""),
            "location": fields.pop("location", None),
            "email": None,
            "public_repos": 0,
            "followers": fields.pop("followers", 0),
            "following": 0,
            "created_at": fields.pop("created_at", "2015-03-04T05:06:07Z"),
            "updated_at": "2024-08-20T08:44:26Z",
            **fields,
        }
        self.accounts[login.lower()] = account
        return account

    def add_repo(self, owner: str, name: str, **fields: Any) -> FakeRepo:
        """A repository of an existing account (a user is created when the owner is unknown)."""
        if owner.lower() not in self.accounts:
            self.add_user(owner)
        owner_login = self.accounts[owner.lower()]["login"]
        repo = FakeRepo(id=fields.pop("id", None) or self._new_id(), owner=owner_login, name=name, **fields)
        self.repos[repo.id] = repo
        return repo

    def set_contributors(self, full_name: str, contributors: Iterable[tuple[str, int]] | str) -> None:
        """(login, contributions) pairs (a user is created per unknown login; `None` login = anonymous),
        or "empty" (204) or "too_large" (403)."""
        repo = self.repo(full_name)
        if isinstance(contributors, str):
            repo.contributors = contributors
            return
        items = []
        for login, count in contributors:
            if login is None:
                items.append(
                    {
                        "type": "Anonymous",
                        "email": "someone@example.com",
                        "name": "someone",
                        "contributions": count,
                    }
                )
                continue
            account = self.accounts.get(login.lower()) or self.add_user(login)
            items.append({**_simple(account), "contributions": count})
        repo.contributors = sorted(items, key=lambda item: -item["contributions"])

    def repo(self, full_name: str) -> FakeRepo:
        for repo in self.repos.values():
            if repo.full_name.lower() == full_name.lower():
                return repo
        raise KeyError(full_name)

    def rename_repo(self, full_name: str, new_name: str, *, stale_search: bool = False) -> FakeRepo:
        """Rename (`new_name` without '/') or transfer (`owner/name`); the old name answers 301."""
        repo = self.repo(full_name)
        self.redirects[repo.full_name.lower()] = repo.id
        if stale_search:
            self.stale_search_names[repo.id] = repo.full_name
        if "/" in new_name:
            owner, new_name = new_name.split("/", 1)
            if owner.lower() not in self.accounts:
                self.add_user(owner)
            repo.owner = self.accounts[owner.lower()]["login"]
        repo.name = new_name
        return repo

    def delete_repo(self, full_name: str) -> None:
        """The repository disappears: 404 everywhere."""
        del self.repos[self.repo(full_name).id]

    def block_repo(self, full_name: str) -> None:
        """Legally blocked: 451 with a `block` object."""
        self.repo(full_name).blocked = True

    def rename_account(self, login: str, new_login: str) -> None:
        account = self.accounts.pop(login.lower())
        account["login"] = new_login
        self.accounts[new_login.lower()] = account
        for repo in self.repos.values():
            if repo.owner.lower() == login.lower():
                repo.owner = new_login

    def fail(self, kind: str, path_contains: str = "", times: int = 1) -> None:
        """Script a fault for the next `times` requests whose path contains `path_contains`. Kinds: '500',
        '502', '503', 'drop' (connection closed without an answer), 'primary' (403 remaining 0),
        'primary429', 'secondary' (403 retry-after: 1), 'secondary-no-retry-after' (403 message only)."""
        with self._lock:
            self._faults.append(_Fault(kind, path_contains, times))

    def paths(self, status: int | None = None) -> list[str]:
        return [s.path for s in self.requests if status is None or s.status == status]

    def count(self, status: int) -> int:
        return sum(1 for s in self.requests if s.status == status)

    # --- objects ------------------------------------------------------------------------------------------

    def minimal_repo(self, repo: FakeRepo, *, name: str | None = None) -> dict[str, Any]:
        full_name = name or repo.full_name
        owner = self.accounts[repo.owner.lower()]
        license_object = (
            {
                "key": repo.license.lower(),
                "name": repo.license,
                "spdx_id": repo.license,
                "url": None,
                "node_id": "MDc6TGljZW5zZTE=",
            }
            if repo.license
            else None
        )
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": full_name.split("/", 1)[1],
            "full_name": full_name,
            "private": False,
            "owner": _simple(owner),
            "html_url": f"https://github.com/{full_name}",
            "description": repo.description,
            "fork": repo.fork,
            "url": f"https://api.github.com/repos/{full_name}",
            "created_at": repo.created_at,
            "updated_at": repo.pushed_at,
            "pushed_at": repo.pushed_at,
            "homepage": None,
            "size": 1234,
            "stargazers_count": repo.stars,
            "watchers_count": repo.stars,  # legacy naming: this is stars
            "language": repo.language,
            "forks_count": repo.forks,
            "archived": repo.archived,
            "disabled": False,
            "open_issues_count": repo.open_issues,
            "license": license_object,
            "topics": list(repo.topics),
            "visibility": "public",
            "forks": repo.forks,
            "open_issues": repo.open_issues,
            "watchers": repo.stars,
            "default_branch": "main",
        }

    def full_repo(self, repo: FakeRepo) -> dict[str, Any]:
        full = self.minimal_repo(repo)
        owner = self.accounts[repo.owner.lower()]
        full.update(
            {"subscribers_count": repo.watchers, "network_count": repo.forks, "temp_clone_token": None}
        )
        if owner["type"] == "Organization":
            full["organization"] = _simple(owner)
        return full

    # --- request handling ---------------------------------------------------------------------------------

    def _budget(self, key: str, resource: str) -> _Budget:
        budget = self._budgets.get((key, resource))
        if budget is None:
            if resource == "search":
                limit, window = (
                    (self.anonymous_search_limit if key == "anonymous" else self.search_limit),
                    60.0,
                )
            else:
                limit, window = (self.anonymous_limit if key == "anonymous" else self.tokens[key]), 3600.0
            budget = self._budgets[(key, resource)] = _Budget(limit, window)
        return budget

    def handle(self, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict[str, str]]:
        """(status, body or the string 'DROP', headers) for one GET."""
        with self._lock:
            if not headers.get("User-Agent"):
                return (
                    403,
                    {
                        "message": "Request forbidden by administrative rules. Please make sure your "
                        "request has a User-Agent header (https://docs.github.com/en/rest/overview/"
                        "resources-in-the-rest-api#user-agent-required). Check "
                        "https://developer.github.com for other possible causes."
                    },
                    {},
                )
            auth = headers.get("Authorization") or ""
            token = auth.split(" ", 1)[1].strip() if " " in auth else ""
            if auth and token not in self.tokens:
                return 401, {"message": "Bad credentials", "documentation_url": DOCS}, {}
            key = token or "anonymous"
            resource = "search" if path.startswith("/search/") else "core"
            budget = self._budget(key, resource)
            now = self.clock()
            reset = budget.reset_at(now)

            def limits(used: int) -> dict[str, str]:
                return {
                    "x-ratelimit-limit": str(budget.limit),
                    "x-ratelimit-remaining": str(max(0, budget.limit - used)),
                    "x-ratelimit-used": str(used),
                    "x-ratelimit-reset": str(reset),
                    "x-ratelimit-resource": resource,
                }

            fault = self._take_fault(path)
            if fault in ("500", "502", "503"):
                return int(fault), {"message": "Server Error"}, limits(budget.used)
            if fault == "drop":
                return 0, "DROP", {}
            if fault == "secondary":
                return (
                    403,
                    {
                        "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again.",
                        "documentation_url": DOCS,
                    },
                    {**limits(budget.used), "retry-after": "1"},
                )
            if fault == "secondary-no-retry-after":
                return (
                    403,
                    {
                        "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again.",
                        "documentation_url": DOCS,
                    },
                    limits(budget.used),
                )
            if fault in ("primary", "primary429") or budget.used >= budget.limit:
                status = 429 if fault == "primary429" else 403
                return (
                    status,
                    {"message": f"API rate limit exceeded for {key}.", "documentation_url": DOCS},
                    {**limits(budget.limit)},
                )

            status, body, extra = self._route(path, query)
            text = json.dumps(body) if body is not None else ""
            etag = 'W/"' + hashlib.sha256(text.encode()).hexdigest()[:40] + '"'
            if status == 200 and headers.get("If-None-Match") == etag:
                return (
                    304,
                    None,
                    {**limits(budget.used), "ETag": etag, **{k: v for k, v in extra.items() if k == "Link"}},
                )
            budget.used += 1
            out = {**limits(budget.used), **extra}
            if status == 200:
                out["ETag"] = etag
            return status, body, out

    def _take_fault(self, path: str) -> str | None:
        for fault in self._faults:
            if fault.times > 0 and fault.path_contains in path:
                fault.times -= 1
                return fault.kind
        return None

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in path.split("/") if p]
        not_found = (404, {"message": "Not Found", "documentation_url": DOCS}, {})
        if parts[:1] == ["rate_limit"]:
            return 200, self._rate_limit_body(), {}
        if len(parts) == 2 and parts[0] in ("orgs", "users"):
            account = self.accounts.get(parts[1].lower())
            if account is None or (parts[0] == "orgs" and account["type"] != "Organization"):
                return not_found
            public = sum(1 for r in self.repos.values() if r.owner.lower() == parts[1].lower())
            return 200, {**account, "public_repos": public}, {}
        if len(parts) == 3 and parts[0] in ("orgs", "users") and parts[2] == "repos":
            account = self.accounts.get(parts[1].lower())
            if account is None or (parts[0] == "orgs" and account["type"] != "Organization"):
                return not_found
            repos = [r for r in self.repos.values() if r.owner.lower() == parts[1].lower()]
            if parts[0] == "orgs":
                repos.sort(key=lambda r: r.id)  # sort=created
            else:
                repos.sort(key=lambda r: r.full_name.lower())  # sort=full_name
            return self._paginate(path, query, [self.minimal_repo(r) for r in repos])
        if parts[:1] == ["repositories"] and len(parts) >= 2 and parts[1].isdigit():
            repo = self.repos.get(int(parts[1]))
            return self._repo_answer(repo, parts[2:], path, query) if repo else not_found
        if parts[:1] == ["repos"] and len(parts) >= 3:
            full_name = f"{parts[1]}/{parts[2]}".lower()
            repo = next((r for r in self.repos.values() if r.full_name.lower() == full_name), None)
            if repo is None and full_name in self.redirects and self.redirects[full_name] in self.repos:
                target = "/".join(["repositories", str(self.redirects[full_name]), *parts[3:]])
                location = f"{self.url}/{target}"
                if query:
                    location += "?" + urlencode({k: v[0] for k, v in query.items()})
                return (
                    301,
                    {"message": "Moved Permanently", "url": location, "documentation_url": DOCS},
                    {"Location": location},
                )
            return self._repo_answer(repo, parts[3:], path, query) if repo else not_found
        if parts == ["search", "repositories"]:
            return self._search(path, query)
        return not_found

    def _repo_answer(
        self, repo: FakeRepo, rest: list[str], path: str, query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        if repo.blocked:
            return (
                451,
                {
                    "message": "Repository access blocked",
                    "block": {
                        "reason": "dmca",
                        "created_at": "2024-01-01T00:00:00Z",
                        "html_url": "https://github.com/github/dmca/blob/master/2024/01/2024-01-01-example.md",
                    },
                },
                {},
            )
        if not rest:
            return 200, self.full_repo(repo), {}
        if rest == ["contributors"]:
            if repo.contributors == "empty":
                return 204, None, {}
            if repo.contributors == "too_large":
                return (
                    403,
                    {
                        "message": "The history or contributor list is too large to list contributors "
                        "for this repository via the API.",
                        "documentation_url": DOCS,
                    },
                    {},
                )
            anon = (query.get("anon") or [""])[0] in ("1", "true")
            items = [c for c in repo.contributors if anon or c.get("type") != "Anonymous"]
            return self._paginate(path, query, items)
        return 404, {"message": "Not Found", "documentation_url": DOCS}, {}

    def _search(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        q = (query.get("q") or [""])[0]
        if not q.strip():
            return (
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Search", "field": "q", "code": "missing"}],
                    "documentation_url": DOCS,
                },
                {},
            )
        matches = [r for r in self.repos.values() if _matches(r, q) and not r.blocked]
        matches.sort(key=lambda r: (-r.stars, r.id))
        per_page = _per_page(query)
        page = _page(query)
        if (page - 1) * per_page >= self.search_cap:
            return (
                422,
                {
                    "message": f"Only the first {self.search_cap} search results are available",
                    "documentation_url": DOCS,
                },
                {},
            )
        # Like GitHub, Link headers do not stop at the cap: asking past it is the client's mistake (422).
        items = [
            {**self.minimal_repo(r, name=self.stale_search_names.get(r.id)), "score": 1.0} for r in matches
        ]
        status, page_items, headers = self._paginate(path, query, items)
        body = {"total_count": len(matches), "incomplete_results": False, "items": page_items}
        return status, body, headers

    def _paginate(
        self, path: str, query: dict[str, list[str]], items: list[dict[str, Any]]
    ) -> tuple[int, Any, dict[str, str]]:
        per_page, page = _per_page(query), _page(query)
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if last > 1:
            base = {k: v[0] for k, v in query.items() if k not in ("page", "per_page")}

            def link(number: int) -> str:
                params = urlencode({**base, "per_page": per_page, "page": number}, quote_via=quote)
                return f"{self.url}{path}?{params}"

            rels = []
            if page > 1:
                rels += [f'<{link(page - 1)}>; rel="prev"']
            if page < last:
                rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
            if page > 1:
                rels += [f'<{link(1)}>; rel="first"']
            headers["Link"] = ", ".join(rels)
        return 200, chunk, headers

    def _rate_limit_body(self) -> dict[str, Any]:
        return {
            "resources": {
                name: {"limit": 0, "used": 0, "remaining": 0, "reset": 0}
                for name in ("core", "search", "graphql")
            }
        }


def _simple(account: dict[str, Any]) -> dict[str, Any]:
    login = account["login"]
    return {
        "login": login,
        "id": account["id"],
        "node_id": f"U_{account['id']}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{account['id']}?v=4",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": account["type"],
        "user_view_type": "public",
        "site_admin": False,
    }


def _per_page(query: dict[str, list[str]]) -> int:
    try:
        return max(1, min(100, int((query.get("per_page") or ["30"])[0])))
    except ValueError:
        return 30


def _page(query: dict[str, list[str]]) -> int:
    try:
        return max(1, int((query.get("page") or ["1"])[0]))
    except ValueError:
        return 1


def _matches(repo: FakeRepo, q: str) -> bool:
    """A small subset of the search syntax: topic:, stars:>N, stars:>=N, user:/org:, language:, words."""
    for term in q.split():
        key, _, value = term.partition(":")
        if not _:
            text = f"{repo.full_name} {repo.description or ''}".lower()
            if term.lower() not in text:
                return False
        elif key == "topic" and value.lower() not in [t.lower() for t in repo.topics]:
            return False
        elif key == "stars":
            match = re.fullmatch(r"(>=|>|<=|<)?(\d+)", value)
            if match:
                op, number = match.group(1) or "=", int(match.group(2))
                ok = {
                    ">": repo.stars > number,
                    ">=": repo.stars >= number,
                    "<": repo.stars < number,
                    "<=": repo.stars <= number,
                    "=": repo.stars == number,
                }[op]
                if not ok:
                    return False
        elif key in ("user", "org") and repo.owner.lower() != value.lower():
            return False
        elif key == "language" and (repo.language or "").lower() != value.lower():
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.fake
        split = urlsplit(self.path)
        path = split.path
        auth = self.headers.get("Authorization") or ""
        token = auth.split(" ", 1)[1].strip() if " " in auth else ""
        label = token or "anonymous"
        if fake.prefix and not path.startswith(fake.prefix + "/"):
            status, body, headers = 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        else:
            path = path[len(fake.prefix) :]
            status, body, headers = fake.handle(path, parse_qs(split.query), self.headers)
        fake.requests.append(Served(path, status, label, self.headers.get("User-Agent"), split.query))
        if body == "DROP":
            self.close_connection = True
            return
        payload = b"" if body is None or status in (204, 304) else json.dumps(body).encode()
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)


def add_example_data(fake: FakeGitHub) -> None:
    """A small world for tests and benchmarks: two orgs (one in China, one in France), a user, LLM repos
    found by `topic:llm`, contributors with an anonymous one, an empty repo (204) and a huge one (403)."""
    fake.add_org("qwen-lab", name="Qwen Lab", location="Hangzhou, China", company=None, followers=900)
    fake.add_org("mistral-like", name="Mistral-like", location="Paris, France", followers=500)
    fake.add_user("carol", name="Carol", location="Berlin, Germany", company="@beta")
    fake.add_user("dave", name="Dave", location="Shenzhen", company="Dave Co")
    fake.add_user("erin", name="Erin", location=None)
    for index in range(5):
        fake.add_repo(
            "qwen-lab",
            f"model-{index}",
            stars=1000 - index * 100,
            forks=50 + index,
            watchers=20 + index,
            open_issues=index,
            language="Python",
            license="Apache-2.0",
            topics=["llm", "qwen"],
            description=f"model {index}",
        )
    fake.add_repo("qwen-lab", "empty-repo", stars=1, topics=[])
    fake.add_repo(
        "mistral-like",
        "inference",
        stars=700,
        forks=70,
        watchers=30,
        language="Rust",
        license="MIT",
        topics=["llm"],
    )
    fake.add_repo("mistral-like", "huge-history", stars=300, forks=30, watchers=10, topics=["llm"])
    fake.add_repo("carol", "agent", stars=400, forks=4, watchers=5, license="NOASSERTION", topics=["llm"])
    fake.add_repo("dave", "chatbot", stars=250, forks=2, watchers=3, topics=["llm"])
    fake.add_repo("erin", "notes", stars=3, topics=["cooking"])
    fake.set_contributors("qwen-lab/model-0", [("carol", 50), ("dave", 20), (None, 5), ("erin", 2)])
    fake.set_contributors("qwen-lab/model-1", [("dave", 10)])
    fake.set_contributors("qwen-lab/empty-repo", "empty")
    fake.set_contributors("mistral-like/huge-history", "too_large")
    fake.set_contributors("mistral-like/inference", [("erin", 7), ("carol", 3)])
    fake.set_contributors("carol/agent", [("carol", 40)])
    fake.set_contributors("dave/chatbot", [("dave", 12), ("carol", 1)])
