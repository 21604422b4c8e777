"""One GitHub collection: owners and their repositories, discovery searches, full repository counts (one
snapshot per repo per UTC day), contributors and their profiles.

Phases run in this order and each records its progress in the run's checkpoint, inside the transaction that
writes its data: owners done, searches done, the last repository id whose counts / contributors are stored.
A run stopped by a rate limit (or a stop request) ends `rate_limited` (or `interrupted`); the next run on the
same UTC day resumes from the checkpoint. Profiles are refreshed at most every `profile_refresh_days`, so a
resumed run simply skips the ones already fetched.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import or_, select

from tracker import runs
from tracker.config import ConfigError, Settings
from tracker.db.engine import Database
from tracker.db.models import Account, GhAccount, GhContributor, GhRepo, utcnow
from tracker.http.client import HttpClient, RequestCounters
from tracker.http.errors import ApiUnreachable, HttpError, HttpStatusError, Interrupted, RateLimitExceeded
from tracker.http.github_ratelimit import GitHubRateLimitPolicy
from tracker.sources.base import CollectResult, Progress
from tracker.sources.github import parse, store
from tracker.sources.github.api import HEADERS, GitHubApi, TooLarge
from tracker.sources.validator_store import DatabaseValidatorStore

log = logging.getLogger(__name__)

COLLECTOR = "github"
DEFAULT_SEARCHES = (
    "topic:llm stars:>200",
    "topic:large-language-models stars:>200",
    "topic:generative-ai stars:>500",
)


@dataclass(frozen=True)
class GhPlan:
    """What one GitHub collection covers and how patiently it waits."""

    orgs: tuple[str, ...] = ()
    searches: tuple[str, ...] | None = None  # None: TOML [github] searches, else DEFAULT_SEARCHES
    contributors: int = 100  # top N per repository; 0 skips contributors (and their profiles)
    include_registry: bool = True  # the registry's publisher accounts on GitHub
    profile_refresh_days: int = 3
    max_wait: float = 900.0  # longest rate-limit wait in seconds before stopping resumably
    per_page: int = 100
    search_results: int = 1000  # per query, at most GitHub's 1,000-result cap
    batch_size: int = 50  # repositories/profiles per transaction (and checkpoint)
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    secondary_wait: float = 60.0  # minimum wait on a secondary limit without retry-after
    reserve: float = 0.02  # fraction of each budget left untouched


def configured_searches(settings: Settings) -> tuple[str, ...]:
    """Discovery queries from TOML `[github] searches`, else the built-in defaults."""
    value = settings.section("github").get("searches")
    if value is None:
        return DEFAULT_SEARCHES
    if isinstance(value, list) and all(isinstance(q, str) for q in value):
        return tuple(q for q in value if q.strip())
    raise ConfigError(f"[github] searches must be a list of search strings, not {value!r}")


def collect_github(
    database: Database,
    settings: Settings,
    plan: GhPlan,
    *,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> CollectResult:
    """Run one GitHub collection and record it in `collection_runs` (see the module docstring).

    `sleep` and `clock` replace real waiting and time (tests pair them with a fake clock)."""
    searches = plan.searches if plan.searches is not None else configured_searches(settings)
    params = {**asdict(plan), "searches": list(searches), "orgs": list(plan.orgs)}
    run_id = runs.start_run(database, COLLECTOR, settings.today, params)
    policy = GitHubRateLimitPolicy(
        settings.github_tokens,
        reserve=plan.reserve,
        secondary_wait=plan.secondary_wait,
        secondary_max=plan.secondary_wait * 16,  # 1, 2, 4, 8, 16 minutes (beyond max_wait: stop resumably)
        clock=clock,
    )
    client = HttpClient(
        settings.github_api_url,
        policy,
        headers=HEADERS,
        max_attempts=plan.max_attempts,
        backoff_base=plan.backoff_base,
        backoff_max=plan.backoff_max,
        max_wait=plan.max_wait,
        stop=stop,
        validators=DatabaseValidatorStore(database),
        sleep=sleep,
    )
    collection = _Collection(
        database,
        settings.today,
        run_id,
        plan,
        GitHubApi(client, per_page=plan.per_page),
        client.counters,
        progress,
    )
    checkpoint = runs.resumable_checkpoint(database, COLLECTOR, exclude_run=run_id)
    if checkpoint and checkpoint.get("run_date") == settings.today.isoformat():
        log.info("resuming the GitHub collection of %s from run checkpoint", settings.today)
        collection.checkpoint.update(checkpoint)
    try:
        collection.run(searches)
    except RateLimitExceeded as error:
        return collection.finish(runs.RATE_LIMITED, f"stopped early on the GitHub rate limit: {error}")
    except Interrupted:
        return collection.finish(runs.INTERRUPTED, "stop requested; the next run resumes")
    except BaseException as error:
        collection.finish(runs.FAILED, f"{type(error).__name__}: {error}")
        raise
    finally:
        client.close()
    message = f"{collection.errors} item(s) failed; see the log" if collection.errors else None
    return collection.finish(runs.OK, message)


class _Collection:
    """The state of one run: counts, the checkpoint, and the phases."""

    def __init__(
        self,
        database: Database,
        today: dt.date,
        run_id: int,
        plan: GhPlan,
        api: GitHubApi,
        counters: RequestCounters,
        progress: Progress | None,
    ) -> None:
        self.database = database
        self.today = today
        self.run_id = run_id
        self.plan = plan
        self.api = api
        self.counters = counters
        self.progress = progress or (lambda what, count: None)
        self.items = 0
        self.skipped = 0
        self.errors = 0
        self.checkpoint: dict[str, Any] = {
            "run_date": today.isoformat(),
            "owners_done": [],
            "searches_done": [],
            "repos_after": 0,
            "contributors_after": 0,
        }

    # --- bookkeeping --------------------------------------------------------------------------------------

    def _save_checkpoint(self, session: Any) -> None:
        runs.save_checkpoint(
            session,
            self.run_id,
            dict(self.checkpoint),
            items=self.items,
            skipped=self.skipped,
            counters=self.counters,
        )

    def finish(self, status: str, message: str | None) -> CollectResult:
        runs.finish_run(
            self.database,
            self.run_id,
            status,
            counters=self.counters,
            items=self.items,
            skipped=self.skipped,
            errors=self.errors,
            message=message,
            checkpoint=None if status == runs.OK else dict(self.checkpoint),
        )
        if status != runs.OK:
            log.warning("GitHub collection %s: %s", status, message)
        return CollectResult(self.run_id, status, self.items, self.skipped, self.counters, message)

    def _skip(self, what: str, error: Exception) -> None:
        self.skipped += 1
        log.warning("skipped malformed %s: %s", what, error)

    def _failed(self, what: str, error: HttpError) -> None:
        if (isinstance(error, HttpStatusError) and error.status == 401) or isinstance(error, ApiUnreachable):
            raise error  # no usable credentials left, or no network: nothing else will work either
        self.errors += 1
        log.warning("could not fetch %s: %s", what, error)

    # --- phases -------------------------------------------------------------------------------------------

    def run(self, searches: Sequence[str]) -> None:
        for login, because in self._owners():
            if login.lower() not in self.checkpoint["owners_done"]:
                self._collect_owner(login, because)
        for query in searches:
            if query not in self.checkpoint["searches_done"]:
                self._collect_search(query)
        self._collect_counts()
        if self.plan.contributors > 0:
            self._collect_contributors()
        self._collect_profiles()

    def _owners(self) -> list[tuple[str, str]]:
        owners: dict[str, tuple[str, str]] = {}
        if self.plan.include_registry:
            with self.database.session() as session:
                handles = session.scalars(
                    select(Account.handle).where(Account.platform == "github").order_by(Account.handle_key)
                ).all()
            for handle in handles:
                owners.setdefault(handle.lower(), (handle, "registry"))
        for login in self.plan.orgs:
            owners.setdefault(login.lower(), (login, "org"))
        return list(owners.values())

    def _fresh_profile(self, login: str) -> GhAccount | None:
        """The stored account when its profile was fetched within `profile_refresh_days`."""
        cutoff = utcnow() - dt.timedelta(days=self.plan.profile_refresh_days)
        with self.database.session() as session:
            return session.scalars(
                select(GhAccount).where(
                    GhAccount.login_key == login.lower(),
                    GhAccount.gone.is_(False),
                    GhAccount.profile_fetched_at >= cutoff,
                )
            ).first()

    def _collect_owner(self, login: str, because: str) -> None:
        """An owner's profile (unless fresh) and every page of its public repositories."""
        known = self._fresh_profile(login)
        if known is not None:
            login, organization = known.login, known.type == "Organization"
        else:
            try:
                fetched = self.api.organization(login) or self.api.user(login)
            except (HttpStatusError, HttpError) as error:
                if isinstance(error, (RateLimitExceeded, Interrupted)):
                    raise
                self._failed(f"account {login}", error)
                return
            if fetched is None:
                log.warning("GitHub account %s not found (404/451): marked gone", login)
                with self.database.session() as session:
                    store.mark_account_gone(session, login)
                    self.checkpoint["owners_done"].append(login.lower())
                    self._save_checkpoint(session)
                return
            try:
                profile = parse.account_profile(fetched.data)
            except parse.Malformed as error:
                self._skip(f"account {login}", error)
                return
            with self.database.session() as session:
                store.save_accounts(session, [profile], self.today, profile=True)
            self.items += 1
            login, organization = profile["login"], profile["type"] == "Organization"
        count = 0
        try:
            for page in self.api.repositories_of(login, organization=organization):
                count += self._save_repo_page(page.data, because)
                self.progress("repositories listed", count)
        except (RateLimitExceeded, Interrupted):
            raise
        except HttpError as error:
            self._failed(f"repositories of {login}", error)
            return
        with self.database.session() as session:
            self.checkpoint["owners_done"].append(login.lower())
            self._save_checkpoint(session)
        self.progress("owners", len(self.checkpoint["owners_done"]))

    def _save_repo_page(self, items: Any, because: str) -> int:
        repos, owners = [], []
        for item in items if isinstance(items, list) else []:
            try:
                repo, owner = parse.repo_description(item)
            except parse.Malformed as error:
                self._skip("repository", error)
                continue
            repos.append(repo)
            owners.append(owner)
        with self.database.session() as session:
            store.save_accounts(session, owners, self.today, profile=False)
            store.save_repos(session, repos, self.today, tracked_because=because)
        return len(repos)

    def _collect_search(self, query: str) -> None:
        count = 0
        try:
            for page in self.api.search_repositories(query, max_results=self.plan.search_results):
                data = page.data if isinstance(page.data, dict) else {}
                if data.get("incomplete_results"):
                    log.info("search %r timed out on GitHub's side: results are partial", query)
                count += self._save_repo_page(data.get("items"), "search")
                self.progress("repositories found", count)
        except (RateLimitExceeded, Interrupted):
            raise
        except HttpError as error:
            self._failed(f"search {query!r}", error)
            return
        with self.database.session() as session:
            self.checkpoint["searches_done"].append(query)
            self._save_checkpoint(session)

    def _tracked_repos(self, after: int, *, counted: bool = False) -> Iterator[list[tuple[int, str]]]:
        """Batches of (id, full_name) of tracked repositories (every one not gone: once tracked, a repository
        keeps its daily history even when it drops out of a search), by id, after `after`."""
        while True:
            with self.database.session() as session:
                query = select(GhRepo.id, GhRepo.full_name).where(GhRepo.gone.is_(False), GhRepo.id > after)
                if counted:
                    query = query.where(GhRepo.metrics_on == self.today)
                batch = [
                    tuple(row)
                    for row in session.execute(query.order_by(GhRepo.id).limit(self.plan.batch_size)).all()
                ]
            if not batch:
                return
            yield batch  # type: ignore[misc]
            after = batch[-1][0]

    def _collect_counts(self) -> None:
        """`GET /repos/{o}/{r}` for every tracked repository: today's counts and snapshot."""
        done = 0
        for batch in self._tracked_repos(self.checkpoint["repos_after"]):
            fetched: list[tuple[int, Any]] = []
            try:
                for repo_id, full_name in batch:
                    fetched.append((repo_id, self._fetch_repository(full_name)))
            finally:
                self._save_counts(fetched)
            done += len(batch)
            self.progress("repositories", done)

    def _fetch_repository(self, full_name: str) -> Any:
        try:
            answer = self.api.repository(full_name)
        except (RateLimitExceeded, Interrupted):
            raise
        except HttpError as error:
            self._failed(f"repository {full_name}", error)
            return False
        if answer is None:
            log.warning("GitHub repository %s not found or blocked (404/451): marked gone", full_name)
            return None
        return answer.data

    def _save_counts(self, fetched: list[tuple[int, Any]]) -> None:
        if not fetched:
            return
        with self.database.session() as session:
            for repo_id, data in fetched:
                if data is None:
                    store.mark_repo_gone(session, repo_id)
                    continue
                if data is False:
                    continue
                try:
                    repo, owner = parse.repo_description(data)
                    counts = parse.repo_counts(data)
                except parse.Malformed as error:
                    self._skip(f"repository {repo_id}", error)
                    continue
                if repo["id"] != repo_id:  # the name now belongs to another repository
                    log.warning(
                        "repository id %s answers as %s (id %s)", repo_id, repo["full_name"], repo["id"]
                    )
                store.save_accounts(session, [owner], self.today, profile=False)
                store.save_repos(session, [repo], self.today, tracked_because=None)
                store.save_snapshots(session, {repo["id"]: counts}, self.today)
                self.items += 1
            self.checkpoint["repos_after"] = fetched[-1][0]
            self._save_checkpoint(session)

    def _collect_contributors(self) -> None:
        done = 0
        for batch in self._tracked_repos(self.checkpoint["contributors_after"], counted=True):
            fetched: list[tuple[int, Any]] = []
            try:
                for repo_id, full_name in batch:
                    fetched.append((repo_id, self._fetch_contributors(full_name)))
            finally:
                self._save_contributors(fetched)
            done += len(batch)
            self.progress("contributor lists", done)

    def _fetch_contributors(self, full_name: str) -> Any:
        try:
            return self.api.contributors(full_name, self.plan.contributors)
        except TooLarge:
            log.info("GitHub will not list contributors of %s (history too large): skipped", full_name)
            return False
        except (RateLimitExceeded, Interrupted):
            raise
        except HttpError as error:
            self._failed(f"contributors of {full_name}", error)
            return False

    def _save_contributors(self, fetched: list[tuple[int, Any]]) -> None:
        if not fetched:
            return
        with self.database.session() as session:
            for repo_id, items in fetched:
                if items is None:
                    store.mark_repo_gone(session, repo_id)
                    continue
                if items is False:
                    continue
                identities, pairs = [], []
                for item in items:
                    try:
                        parsed = parse.contributor(item)
                    except parse.Malformed as error:
                        self._skip("contributor", error)
                        continue
                    if parsed is None:
                        continue  # anonymous: no account to link
                    identities.append(parsed[0])
                    pairs.append((parsed[0]["id"], parsed[1]))
                store.save_accounts(session, identities, self.today, profile=False)
                store.save_contributors(session, repo_id, pairs, self.today)
            self.checkpoint["contributors_after"] = fetched[-1][0]
            self._save_checkpoint(session)

    def _stale_profiles(self, after: int) -> list[tuple[int, str]]:
        """Owners of today's repositories and today's contributors whose profile is missing or stale."""
        cutoff = utcnow() - dt.timedelta(days=self.plan.profile_refresh_days)
        owners = select(GhRepo.owner_id).where(GhRepo.metrics_on == self.today)
        contributors = select(GhContributor.account_id).where(GhContributor.captured_on == self.today)
        with self.database.session() as session:
            rows = session.execute(
                select(GhAccount.id, GhAccount.login)
                .where(
                    GhAccount.id > after,
                    GhAccount.gone.is_(False),
                    or_(GhAccount.profile_fetched_at.is_(None), GhAccount.profile_fetched_at < cutoff),
                    or_(GhAccount.id.in_(owners), GhAccount.id.in_(contributors)),
                )
                .order_by(GhAccount.id)
                .limit(self.plan.batch_size)
            ).all()
        return [(row[0], row[1]) for row in rows]

    def _collect_profiles(self) -> None:
        """`GET /users/{login}` for accounts without a recent profile (location and company)."""
        after, done = 0, 0
        while batch := self._stale_profiles(after):
            profiles: list[dict[str, Any]] = []
            gone: list[str] = []
            try:
                for account_id, login in batch:
                    after = account_id
                    try:
                        answer = self.api.user(login)
                    except (RateLimitExceeded, Interrupted):
                        raise
                    except HttpError as error:
                        self._failed(f"profile of {login}", error)
                        continue
                    if answer is None:
                        log.warning("GitHub user %s not found (404/451): marked gone", login)
                        gone.append(login)
                        continue
                    try:
                        profiles.append(parse.account_profile(answer.data))
                    except parse.Malformed as error:
                        self._skip(f"profile of {login}", error)
            finally:
                with self.database.session() as session:
                    store.save_accounts(session, profiles, self.today, profile=True)
                    for login in gone:
                        store.mark_account_gone(session, login)
                    self.items += len(profiles)
                    self._save_checkpoint(session)
            done += len(batch)
            self.progress("profiles", done)
