"""The Hub API source: which listings a run crawls, the high-water mark, and storing page by page.

A run (see `tracker.collection` for locks, task isolation and checkpoints) is a list of tasks, each a
Link-paginated listing processed page by page (parse, upsert, checkpoint; a few pages per transaction, so
memory stays flat and a crash loses at most the pages in flight):

1. `models:<author>` / `datasets:<author>`: everything by each registry account on `hf` and each `--org`;
2. `global`: new models by `createdAt` (descending) down to a floor: `--since`, else the high-water mark
   minus an overlap, else `first_window` back from the run date. The mark advances (and `hf_coverage`
   records the window) only when this crawl completes; a crawl stopped part-way keeps its floor and next
   page in its checkpoint and resumes there on any later day, so nothing between its top and the old mark
   is skipped;
3. `top`: the `top` most downloaded models, so the popular head gets a snapshot every day.

Checkpoints keep the next page's path and query (the Hub's cursor), not its host: after a change of
`HF_ENDPOINT` the listing continues at the new endpoint, or starts over with a warning if the cursor is
refused there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.collection import Checkpoint, CollectResult, Progress, Source, Task, TaskContext, collect
from tracker.config import Settings
from tracker.db.engine import Database
from tracker.db.models import Account
from tracker.http import Fetched, HttpError, HttpStatusError, OffHostLink, RequestCounters
from tracker.http.errors import PaginationLoop
from tracker.sources.huggingface.api import PATHS, RetryOptions, list_params, make_client
from tracker.sources.huggingface.parse import MalformedItem, RepoRow, parse_dataset, parse_model
from tracker.sources.huggingface.store import read_state, record_coverage, store_repos, write_state

log = logging.getLogger(__name__)

COLLECTOR = "huggingface"
MARK_KEY = "huggingface.models.created_at_mark"
MAX_PAGE_SIZE = 1000
PAGES_PER_COMMIT = 5  # a transaction holds a few pages (each with its checkpoint): fewer, larger commits
COMMIT_EVERY_SECONDS = 2.0


@dataclass(frozen=True)
class HfPlan:
    """What one collection covers (the CLI's options; `tracker run` and the daemon build one too)."""

    since: dt.date | None = None
    orgs: tuple[str, ...] = ()
    top: int = 1000
    datasets: bool = True
    include_registry: bool = True
    page_size: int = 1000
    global_crawl: bool = True
    overlap: dt.timedelta = dt.timedelta(days=1)  # re-read below the mark: late-indexed repos
    first_window: dt.timedelta = dt.timedelta(days=30)  # first global crawl without `since` or a mark
    retry: RetryOptions = field(default_factory=RetryOptions)

    def as_params(self) -> dict[str, Any]:
        """The plan as stored on the run row."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "orgs": list(self.orgs),
            "top": self.top,
            "datasets": self.datasets,
            "include_registry": self.include_registry,
            "page_size": self.page_size,
            "global_crawl": self.global_crawl,
        }


@dataclass(frozen=True)
class Listing:
    """What one task lists: `/api/models` or `/api/datasets`, sorted, optionally by one author."""

    kind: str  # 'models' or 'datasets'
    sort: str
    author: str | None = None


@dataclass(frozen=True)
class ListingCheckpoint(Checkpoint):
    """Where a listing continues: the next page's path and query (the Hub's cursor), and items so far."""

    kind = "hf.listing"
    path: str
    query: list[list[str]]
    items: int = 0


@dataclass(frozen=True)
class NewModelsCheckpoint(Checkpoint):
    """The new-model crawl: its floor, the newest creation time it saw, and its next page (None: from the top)."""

    kind = "hf.new_models"
    floor: str
    top: str | None = None
    path: str | None = None
    query: list[list[str]] | None = None


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def _authors(database: Database, plan: HfPlan) -> list[str]:
    """Registry accounts on `hf` (linked to a publisher) then `--org`s, without case-insensitive repeats."""
    handles: list[str] = []
    if plan.include_registry:
        with database.session() as session:
            handles += session.scalars(
                select(Account.handle)
                .where(Account.platform == "hf", Account.publisher_id.is_not(None))
                .order_by(Account.handle_key)
            ).all()
    handles += list(plan.orgs)
    seen: set[str] = set()
    unique = []
    for handle in handles:
        handle = handle.strip()
        if handle and handle.lower() not in seen:
            seen.add(handle.lower())
            unique.append(handle)
    return unique


def plan_tasks(database: Database, plan: HfPlan) -> list[Task]:
    """The run's listings in order."""
    tasks: list[Task] = []
    for author in _authors(database, plan):
        tasks.append(
            Task(
                f"models:{author}",
                f"models by {author}",
                ListingCheckpoint,
                params=Listing("models", "createdAt", author),
            )
        )
        if plan.datasets:
            tasks.append(
                Task(
                    f"datasets:{author}",
                    f"datasets by {author}",
                    ListingCheckpoint,
                    params=Listing("datasets", "createdAt", author),
                )
            )
    if plan.global_crawl:
        tasks.append(
            Task(
                "global",
                "new models",
                NewModelsCheckpoint,
                carries_over=True,
                params=Listing("models", "createdAt"),
            )
        )
    if plan.top > 0:
        tasks.append(
            Task(
                "top",
                f"top {plan.top} models by downloads",
                ListingCheckpoint,
                params=Listing("models", "downloads"),
            )
        )
    return tasks


class _Pages:
    """A transaction that holds a few pages, each written with its checkpoint: fewer, larger commits."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._transaction: contextlib.AbstractContextManager[Session] | None = None
        self._session: Session | None = None
        self._pending = 0
        self._opened = 0.0

    def session(self) -> Session:
        if self._session is None:
            self._transaction = self.database.session()
            self._session = self._transaction.__enter__()
            self._opened = time.monotonic()
        return self._session

    def stored(self, finished: bool) -> None:
        """One more page in the transaction; commit when the listing ended or enough piled up."""
        self._pending += 1
        if (
            finished
            or self._pending >= PAGES_PER_COMMIT
            or time.monotonic() - self._opened >= COMMIT_EVERY_SECONDS
        ):
            self.commit()

    def commit(self) -> None:
        if self._transaction is not None:
            transaction, self._transaction, self._session, self._pending = self._transaction, None, None, 0
            transaction.__exit__(None, None, None)

    def rollback(self) -> None:
        if self._transaction is not None:
            transaction, self._transaction, self._session, self._pending = self._transaction, None, None, 0
            error = RuntimeError("rolled back")
            transaction.__exit__(RuntimeError, error, None)


class HuggingFaceSource(Source):
    """The Hub API as a collection source (module docstring: what its tasks crawl)."""

    name = COLLECTOR

    def __init__(self, database: Database, settings: Settings, plan: HfPlan, stop: threading.Event) -> None:
        self.database = database
        self.settings = settings
        self.run_plan = plan
        self.client = make_client(settings, plan.retry, stop)
        self.page_size = max(1, min(plan.page_size, MAX_PAGE_SIZE))

    @property
    def counters(self) -> RequestCounters:
        return self.client.counters

    def params(self) -> dict[str, Any]:
        return self.run_plan.as_params()

    def plan(self, database: Database) -> list[Task]:
        return plan_tasks(database, self.run_plan)

    def close(self) -> None:
        self.client.close()

    def run_task(self, task: Task, context: TaskContext) -> None:
        pages = _Pages(self.database)
        try:
            _Crawl(self, task, context, pages).run()
        except HttpError:  # stored pages are whole and carry their checkpoint (rate limits and stops too)
            pages.commit()
            raise
        except BaseException:
            pages.rollback()
            raise
        pages.commit()

    def global_floor(self, run_date: dt.date) -> dt.datetime:
        if self.run_plan.since is not None:
            return _start_of(self.run_plan.since)
        with self.database.session() as session:
            mark = read_state(session, MARK_KEY)
        if mark and mark.get("created_at"):
            return dt.datetime.fromisoformat(mark["created_at"]) - self.run_plan.overlap
        return _start_of(run_date) - self.run_plan.first_window


class _Crawl:
    """One task's listing: pages in, rows and checkpoints out."""

    def __init__(self, source: HuggingFaceSource, task: Task, context: TaskContext, pages: _Pages) -> None:
        self.source = source
        self.client = source.client
        self.task = task
        self.listing: Listing = task.params
        self.context = context
        self.pages = pages
        self.is_global = task.key == "global"
        self.items = 0  # listed so far (including earlier runs, for the top N)
        self.floor: dt.datetime | None = None
        self.top: str | None = None

    def _resume_from(self) -> tuple[str, list[tuple[str, str]]] | None:
        saved = self.context.checkpoint
        if self.is_global:
            self.floor = self.source.global_floor(self.context.run_date)
            if isinstance(
                saved, NewModelsCheckpoint
            ):  # keep the stored floor unless the plan reaches further
                self.floor = min(self.floor, dt.datetime.fromisoformat(saved.floor))
                self.top = saved.top
                if saved.path:
                    return saved.path, [(key, value) for key, value in saved.query or []]
            return None
        if isinstance(saved, ListingCheckpoint):
            self.items = saved.items
            return saved.path, [(key, value) for key, value in saved.query]
        return None

    def _first_page(self) -> Fetched:
        listing = self.listing
        limit = self.source.page_size
        if self.task.key == "top":
            limit = min(limit, self.source.run_plan.top)
        resume = self._resume_from()
        if resume is not None:
            try:
                return self.client.get(*resume)
            except HttpStatusError as error:
                if error.status not in (400, 404, 410, 422):
                    raise
                log.warning(
                    "%s: the endpoint refused the stored next page (%s); starting the listing over",
                    self.task.label,
                    error,
                )
                self.items = 0
        return self.client.get(
            PATHS[listing.kind],
            list_params(listing.kind, sort=listing.sort, limit=limit, author=listing.author),
        )

    def run(self) -> None:
        self.context.check_stop()
        with ThreadPoolExecutor(1, thread_name_prefix="hf-fetch") as pool:
            ahead: Future[Fetched] | None = pool.submit(self._first_page)
            seen: set[str] = set()  # a next link back at a page already read would never end
            while ahead is not None:
                fetched = ahead.result()
                self.context.check_stop()  # not stored: the checkpoint still points at this page
                rows, skipped = self._parse(fetched.data, fetched.url)
                finished = not fetched.next_url and not fetched.refused_link
                # every valid item seen is stored, also those past the floor or the top N on a last page
                if self.is_global:
                    finished = finished or self._reached_floor(rows)
                elif self.task.key == "top":
                    finished = finished or self.items + len(rows) >= self.source.run_plan.top
                seen.add(fetched.url)
                if not finished and fetched.refused_link:
                    self._save(rows, skipped, None, False)  # kept; the listing starts over next time
                    raise OffHostLink(f"{self.task.label}: {fetched.refused_link}", url=fetched.url)
                if not finished and fetched.next_url in seen:
                    self._save(rows, skipped, None, False)
                    raise PaginationLoop(
                        f"{self.task.label}: the next-page link points back at a page already read; listing abandoned",
                        url=fetched.next_url,
                    )
                # the next page downloads while this one is stored
                ahead = None if finished else pool.submit(self.client.get, fetched.next_url)
                self._save(rows, skipped, None if finished else fetched.next_url, finished)
                self.context.progress(self.task.label, self.context.run_items)

    def _parse(self, data: Any, url: str) -> tuple[list[RepoRow], int]:
        kind = self.listing.kind
        if not isinstance(data, list):
            raise HttpError(f"expected a JSON array from {url}, got {type(data).__name__}", url=url)
        parse = parse_model if kind == "models" else parse_dataset
        rows: dict[str, RepoRow] = {}
        skipped = 0
        for item in data:
            try:
                row = parse(item)
            except MalformedItem as error:
                skipped += 1
                log.warning("skipped a malformed %s item: %s", kind[:-1], error)
                continue
            rows[row.hub_id] = row  # the same repo twice on a page: stored once
        return list(rows.values()), skipped

    def _reached_floor(self, rows: list[RepoRow]) -> bool:
        """Whether this page of the new-model crawl goes below its floor (and notes the crawl's top)."""
        assert self.floor is not None
        dated = [row.created_at_raw for row in rows if row.created_at_raw is not None]
        if self.top is None and dated:
            self.top = max(dated).isoformat()
        return any(created < self.floor for created in dated)

    def _checkpoint(self, next_url: str | None) -> Checkpoint | None:
        where = self.client.relative(next_url) if next_url else None
        if self.is_global:
            assert self.floor is not None
            path, query = where if where else (None, None)
            return NewModelsCheckpoint(
                self.floor.isoformat(), self.top, path, [list(pair) for pair in query] if query else None
            )
        if where is None:
            return None
        return ListingCheckpoint(where[0], [list(pair) for pair in where[1]], self.items)

    def _save(self, rows: list[RepoRow], skipped: int, next_url: str | None, finished: bool) -> None:
        session = self.pages.session()
        stored = store_repos(session, self.listing.kind, rows, self.context.run_date)
        self.items += len(rows)
        checkpoint = None if finished else self._checkpoint(next_url)
        if self.is_global and finished and self.top is not None:
            assert self.floor is not None
            self._advance_mark(session, self.top)
            record_coverage(
                session,
                "api",
                run_id=self.context.run_id,
                covered_from=self.floor,
                covered_to=dt.datetime.fromisoformat(self.top),
                recorded_on=self.context.run_date,
            )
        self.context.save(session, checkpoint, items=stored, skipped=skipped)
        self.pages.stored(finished)

    @staticmethod
    def _advance_mark(session: Session, top: str) -> None:
        old = read_state(session, MARK_KEY)
        if (
            old
            and old.get("created_at")
            and dt.datetime.fromisoformat(old["created_at"]) >= dt.datetime.fromisoformat(top)
        ):
            return
        write_state(session, MARK_KEY, {"created_at": top})


def collect_huggingface(
    database: Database,
    settings: Settings,
    plan: HfPlan,
    *,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    wait: float = 0.0,
) -> CollectResult:
    """Run one Hub collection per `plan` under the source's lock (`SourceBusy` when another holds it beyond
    `wait` seconds); returns how it ended (the run row has the same figures)."""
    stop = stop or threading.Event()
    source = HuggingFaceSource(database, settings, plan, stop)
    return collect(database, source, settings.today, wait=wait, stop=stop, progress=progress)
