"""The GitHub source: owners and their repositories, discovery searches, full repository counts (one
snapshot per repo per UTC day), contributors and their profiles (see `tracker.collection` for the run).

Tasks, in this order: `owner:<login>` for each `github` account linked to a publisher and each `--org`
(profile and every public repository; nobody else is an owner, contributors are fetched for their profiles
only), `search:<query>` for each discovery search, then `counts`, `contributors` and `profiles` over every
tracked repository by id (`GET /repositories/{id}`, so a name taken over by another repository does not
swap them), each checkpointed by the last repository id stored. Requests are conditional (ETag), so an
unchanged rerun is answered mostly `304`. Profiles are refreshed at most every `profile_refresh_days`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import or_, select

from tracker.collection import (
    Checkpoint,
    CollectResult,
    Progress,
    Source,
    Task,
    TaskContext,
    TaskFailed,
    collect,
)
from tracker.config import ConfigError, Settings
from tracker.db.engine import Database
from tracker.db.models import Account, GhAccount, GhContributor, GhRepo, utcnow
from tracker.http.client import HttpClient, RequestCounters
from tracker.http.errors import HttpError, Interrupted, RateLimitExceeded
from tracker.http.github_ratelimit import GitHubRateLimitPolicy
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


@dataclass(frozen=True)
class AfterIdCheckpoint(Checkpoint):
    """A pass over tracked repositories by id: the last repository id whose answer is stored."""

    kind = "github.after_id"
    after: int


class GitHubSource(Source):
    """The GitHub API as a collection source (module docstring: its tasks)."""

    name = COLLECTOR

    def __init__(
        self,
        database: Database,
        settings: Settings,
        plan: GhPlan,
        stop: threading.Event,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.database = database
        self.today = settings.today
        self.run_plan = plan
        self.searches = plan.searches if plan.searches is not None else configured_searches(settings)
        policy = GitHubRateLimitPolicy(
            settings.github_tokens,
            reserve=plan.reserve,
            secondary_wait=plan.secondary_wait,
            secondary_max=plan.secondary_wait
            * 16,  # 1, 2, 4, 8, 16 minutes (beyond max_wait: stop resumably)
            clock=clock,
        )
        self.validators = DatabaseValidatorStore(database)
        self.client = HttpClient(
            settings.github_api_url,
            policy,
            headers=HEADERS,
            max_attempts=plan.max_attempts,
            backoff_base=plan.backoff_base,
            backoff_max=plan.backoff_max,
            max_wait=plan.max_wait,
            stop=stop,
            validators=self.validators,
            sleep=sleep,
        )
        self.api = GitHubApi(self.client, per_page=plan.per_page)

    @property
    def counters(self) -> RequestCounters:
        return self.client.counters

    def params(self) -> dict[str, Any]:
        return {**asdict(self.run_plan), "searches": list(self.searches), "orgs": list(self.run_plan.orgs)}

    def close(self) -> None:
        self.client.close()

    def plan(self, database: Database) -> list[Task]:
        pruned = self.validators.prune()
        if pruned:
            log.info("pruned the validators of %d URL(s) not requested in 30 days", pruned)
        tasks = [
            Task(f"owner:{login.lower()}", f"owner {login}", params=(login, because))
            for login, because in self._owners()
        ]
        tasks += [Task(f"search:{query}", f"search {query!r}", params=query) for query in self.searches]
        tasks.append(Task("counts", "repository counts", AfterIdCheckpoint))
        if self.run_plan.contributors > 0:
            tasks.append(Task("contributors", "contributors", AfterIdCheckpoint))
        tasks.append(Task("profiles", "profiles"))
        return tasks

    def run_task(self, task: Task, context: TaskContext) -> None:
        work = _Work(self, context)
        if task.key.startswith("owner:"):
            work.owner(*task.params)
        elif task.key.startswith("search:"):
            work.search(task.params)
        elif task.key == "counts":
            work.counts()
        elif task.key == "contributors":
            work.contributors()
        else:
            work.profiles()
        work.raise_if_items_failed()

    def _owners(self) -> list[tuple[str, str]]:
        """`github` accounts linked to a publisher, then `--org` logins (contributors are never owners)."""
        owners: dict[str, tuple[str, str]] = {}
        if self.run_plan.include_registry:
            with self.database.session() as session:
                handles = session.scalars(
                    select(Account.handle)
                    .where(Account.platform == "github", Account.publisher_id.is_not(None))
                    .order_by(Account.handle_key)
                ).all()
            for handle in handles:
                owners.setdefault(handle.lower(), (handle, "registry"))
        for login in self.run_plan.orgs:
            owners.setdefault(login.lower(), (login, "org"))
        return list(owners.values())


class _Work:
    """One task's work: fetch, parse, store in batches with the task's checkpoint."""

    def __init__(self, source: GitHubSource, context: TaskContext) -> None:
        self.source = source
        self.database = source.database
        self.today = source.today
        self.plan = source.run_plan
        self.api = source.api
        self.context = context
        self.failures: list[str] = []  # items of this task that could not be fetched

    def progress(self, what: str, count: int) -> None:
        self.context.progress(what, count)

    def _skip(self, what: str, error: Exception) -> int:
        log.warning("skipped malformed %s: %s", what, error)
        return 1

    def _failed(self, what: str, error: HttpError) -> None:
        if isinstance(error, (RateLimitExceeded, Interrupted)) or self.source.ends_run(error):
            raise error
        self.failures.append(f"{what}: {error}")
        log.warning("could not fetch %s: %s", what, error)

    def raise_if_items_failed(self) -> None:
        if self.failures:
            raise TaskFailed(f"{len(self.failures)} item(s) could not be fetched, first {self.failures[0]}")

    def owner(self, login: str, because: str) -> None:
        """An owner's profile (unless fresh) and every page of its public repositories."""
        known = self._fresh_profile(login)
        if known is not None:
            login, organization = known.login, known.type == "Organization"
        else:
            fetched = self.api.organization(login) or self.api.user(login)
            if fetched is None:
                log.warning("GitHub account %s not found (404/451): marked gone", login)
                with self.database.session() as session:
                    store.mark_account_gone(session, login)
                return
            try:
                profile = parse.account_profile(fetched.data)
            except parse.Malformed as error:
                raise TaskFailed(f"malformed profile of {login}: {error}") from None
            with self.database.session() as session:
                store.save_accounts(session, [profile], self.today, profile=True)
                self.context.save(session, None, items=1)
            login, organization = profile["login"], profile["type"] == "Organization"
        count = 0
        for page in self.api.repositories_of(login, organization=organization):
            count += self._save_repo_page(page.data, because)
            self.progress("repositories listed", count)

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

    def _save_repo_page(self, items: Any, because: str) -> int:
        repos, owners, skipped = [], [], 0
        for item in items if isinstance(items, list) else []:
            try:
                repo, owner = parse.repo_description(item)
            except parse.Malformed as error:
                skipped += self._skip("repository", error)
                continue
            repos.append(repo)
            owners.append(owner)
        with self.database.session() as session:
            store.save_accounts(session, owners, self.today, profile=False)
            store.save_repos(session, repos, self.today, tracked_because=because)
            self.context.save(session, None, skipped=skipped)
        return len(repos)

    def search(self, query: str) -> None:
        count = 0
        for page in self.api.search_repositories(query, max_results=self.plan.search_results):
            data = page.data if isinstance(page.data, dict) else {}
            if data.get("incomplete_results"):
                log.info("search %r timed out on GitHub's side: results are partial", query)
            count += self._save_repo_page(data.get("items"), "search")
            self.progress("repositories found", count)

    def _after(self) -> int:
        saved = self.context.checkpoint
        return saved.after if isinstance(saved, AfterIdCheckpoint) else 0

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

    def _finish_pass(self) -> None:
        """After a pass with failed items: no checkpoint, so the next try goes over every repository again
        (unchanged ones answer 304)."""
        if self.failures:
            with self.database.session() as session:
                self.context.save(session, None)

    def counts(self) -> None:
        """`GET /repositories/{id}` for every tracked repository: today's counts and snapshot."""
        done = 0
        for batch in self._tracked_repos(self._after()):
            fetched: list[tuple[int, str, Any]] = []
            try:
                for repo_id, full_name in batch:
                    fetched.append((repo_id, full_name, self._fetch_repository(repo_id, full_name)))
            finally:
                self._save_counts(fetched)
            done += len(batch)
            self.progress("repositories", done)
        self._finish_pass()

    def _fetch_repository(self, repo_id: int, full_name: str) -> Any:
        try:
            answer = self.api.repository(repo_id)
        except HttpError as error:
            self._failed(f"repository {full_name}", error)
            return False
        if answer is None:
            log.warning(
                "GitHub repository %s (id %s) not found or blocked (404/451): marked gone", full_name, repo_id
            )
            return None
        return answer.data

    def _save_counts(self, fetched: list[tuple[int, str, Any]]) -> None:
        if not fetched:
            return
        items = skipped = 0
        with self.database.session() as session:
            for repo_id, _name, data in fetched:
                if data is None:
                    store.mark_repo_gone(session, repo_id)
                    continue
                if data is False:
                    continue
                try:
                    repo, owner = parse.repo_description(data)
                    counts = parse.repo_counts(data)
                except parse.Malformed as error:
                    skipped += self._skip(f"repository {repo_id}", error)
                    continue
                if repo["id"] != repo_id:
                    log.warning("repository id %s answered as id %s: skipped", repo_id, repo["id"])
                    continue
                store.save_accounts(session, [owner], self.today, profile=False)
                store.save_repos(session, [repo], self.today, tracked_because=None)
                store.save_snapshots(session, {repo["id"]: counts}, self.today)
                items += 1
            self.context.save(session, AfterIdCheckpoint(fetched[-1][0]), items=items, skipped=skipped)

    def contributors(self) -> None:
        done = 0
        for batch in self._tracked_repos(self._after(), counted=True):
            fetched: list[tuple[int, Any]] = []
            try:
                for repo_id, full_name in batch:
                    fetched.append((repo_id, self._fetch_contributors(repo_id, full_name)))
            finally:
                self._save_contributors(fetched)
            done += len(batch)
            self.progress("contributor lists", done)
        self._finish_pass()

    def _fetch_contributors(self, repo_id: int, full_name: str) -> Any:
        try:
            return self.api.contributors(repo_id, self.plan.contributors)
        except TooLarge:
            log.info("GitHub will not list contributors of %s (history too large): skipped", full_name)
            return False
        except HttpError as error:
            self._failed(f"contributors of {full_name}", error)
            return False

    def _save_contributors(self, fetched: list[tuple[int, Any]]) -> None:
        if not fetched:
            return
        skipped = 0
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
                        skipped += self._skip("contributor", error)
                        continue
                    if parsed is None:
                        continue  # anonymous: no account to link
                    identities.append(parsed[0])
                    pairs.append((parsed[0]["id"], parsed[1]))
                store.save_accounts(session, identities, self.today, profile=False)
                store.save_contributors(session, repo_id, pairs, self.today)
            self.context.save(session, AfterIdCheckpoint(fetched[-1][0]), skipped=skipped)

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

    def profiles(self) -> None:
        """`GET /users/{login}` for accounts without a recent profile (location and company)."""
        after, done = 0, 0
        while batch := self._stale_profiles(after):
            profiles: list[dict[str, Any]] = []
            gone: list[str] = []
            skipped = 0
            try:
                for account_id, login in batch:
                    after = account_id
                    try:
                        answer = self.api.user(login)
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
                        skipped += self._skip(f"profile of {login}", error)
            finally:
                with self.database.session() as session:
                    store.save_accounts(session, profiles, self.today, profile=True)
                    for login in gone:
                        store.mark_account_gone(session, login)
                    self.context.save(session, None, items=len(profiles), skipped=skipped)
            done += len(batch)
            self.progress("profiles", done)


def collect_github(
    database: Database,
    settings: Settings,
    plan: GhPlan,
    *,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    wait: float = 0.0,
) -> CollectResult:
    """Run one GitHub collection under the source's lock (`SourceBusy` when another holds it beyond `wait`
    seconds). `sleep` and `clock` replace real waiting and time (tests pair them with a fake clock)."""
    stop = stop or threading.Event()
    source = GitHubSource(database, settings, plan, stop, sleep=sleep, clock=clock)
    return collect(database, source, settings.today, wait=wait, stop=stop, progress=progress)
