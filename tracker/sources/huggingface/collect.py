"""Orchestrating a Hub collection: which listings to crawl, checkpoints, the high-water mark, the run row.

A run is a list of tasks, each a Link-paginated listing processed page by page (parse, upsert, checkpoint,
all in one transaction per page, so memory stays flat and a crash loses at most the page in flight):

1. `models:<author>` / `datasets:<author>`: everything by each registry account on `hf` and each `--org`;
2. `global`: new models by `createdAt` (descending) down to a floor: `--since`, else the high-water mark
   minus an overlap, else `first_window` back from the run date. The mark advances only when this crawl
   completes; a crawl stopped part-way keeps its floor and cursor in the checkpoint and resumes there, on
   any later day, so nothing between its top and the old mark is skipped;
3. `top`: the `top` most downloaded models, so the popular head gets a snapshot every day.

A resumed run on the same run date skips the tasks already done and continues the current one from its
stored `rel="next"` URL; on a later date only the global crawl's progress carries over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import runs
from tracker.config import Settings
from tracker.db.engine import Database
from tracker.db.models import Account
from tracker.http import Fetched, HttpClient, HttpError, Interrupted, RateLimitExceeded
from tracker.http.errors import PaginationLoop
from tracker.sources.base import CollectResult, Progress
from tracker.sources.huggingface.api import RetryOptions, first_page, make_client
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
class Task:
    key: str
    kind: str  # 'models' or 'datasets'
    sort: str
    label: str
    author: str | None = None


@dataclass
class CrawlState:
    """What a checkpoint holds (stored as JSON on the run row)."""

    run_date: str
    done: list[str] = field(default_factory=list)
    task: str | None = None
    next_url: str | None = None
    task_items: int = 0
    global_crawl: dict[str, Any] | None = None  # floor, top, next_url: survives a change of day

    @classmethod
    def resume(cls, checkpoint: dict[str, Any] | None, run_date: dt.date) -> CrawlState:
        state = cls(run_date=run_date.isoformat())
        if not checkpoint:
            return state
        state.global_crawl = checkpoint.get("global_crawl")
        if checkpoint.get("run_date") == state.run_date:
            state.done = list(checkpoint.get("done") or [])
            if checkpoint.get("task") != "global":
                state.task = checkpoint.get("task")
                state.next_url = checkpoint.get("next_url")
                state.task_items = int(checkpoint.get("task_items") or 0)
        return state


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
        tasks.append(Task(f"models:{author}", "models", "createdAt", f"models by {author}", author))
        if plan.datasets:
            tasks.append(Task(f"datasets:{author}", "datasets", "createdAt", f"datasets by {author}", author))
    if plan.global_crawl:
        tasks.append(Task("global", "models", "createdAt", "new models"))
    if plan.top > 0:
        tasks.append(Task("top", "models", "downloads", f"top {plan.top} models by downloads"))
    return tasks


class _Crawl:
    """One run's crawling: pages in, rows and checkpoints out."""

    def __init__(
        self,
        database: Database,
        client: HttpClient,
        plan: HfPlan,
        run_id: int,
        run_date: dt.date,
        state: CrawlState,
        progress: Progress | None,
    ) -> None:
        self.database = database
        self.client = client
        self.plan = plan
        self.run_id = run_id
        self.run_date = run_date
        self.state = state
        self.progress = progress
        self.items = 0
        self._transaction: contextlib.AbstractContextManager[Session] | None = None
        self._session: Session | None = None
        self._pending = 0
        self._opened = 0.0
        self.skipped = 0
        self._committed = (0, 0)  # items and skipped as of the last commit
        self.page_size = max(1, min(plan.page_size, MAX_PAGE_SIZE))

    def _parse(self, kind: str, data: Any, url: str) -> list[RepoRow]:
        if not isinstance(data, list):
            raise HttpError(f"expected a JSON array from {url}, got {type(data).__name__}", url=url)
        parse = parse_model if kind == "models" else parse_dataset
        rows: dict[str, RepoRow] = {}
        for item in data:
            try:
                row = parse(item)
            except MalformedItem as error:
                self.skipped += 1
                log.warning("skipped a malformed %s item: %s", kind[:-1], error)
                continue
            rows[row.hub_id] = row  # the same repo twice on a page: stored once
        return list(rows.values())

    def _global_floor(self) -> dt.datetime:
        if self.plan.since is not None:
            return _start_of(self.plan.since)
        with self.database.session() as session:
            mark = read_state(session, MARK_KEY)
        if mark and mark.get("created_at"):
            return dt.datetime.fromisoformat(mark["created_at"]) - self.plan.overlap
        return _start_of(self.run_date) - self.plan.first_window

    def run(self, task: Task) -> None:
        if task.key in self.state.done:
            return
        if self.client.stop.is_set():
            raise Interrupted("stop requested")
        resume_url = None
        if task.key == "global":
            floor = self._global_floor()
            saved = self.state.global_crawl
            if saved:  # keep the stored floor unless the plan reaches further back
                floor = min(floor, dt.datetime.fromisoformat(saved["floor"]))
                resume_url = saved.get("next_url")
            self.state.global_crawl = {
                "floor": floor.isoformat(),
                "top": (saved or {}).get("top"),
                "next_url": resume_url,
            }
        elif self.state.task == task.key:
            resume_url = self.state.next_url
        if self.state.task != task.key:
            self.state.task_items = 0
        if resume_url:
            log.info("resuming %s from its checkpoint", task.label)
        limit = min(self.page_size, self.plan.top) if task.key == "top" else self.page_size
        with ThreadPoolExecutor(1, thread_name_prefix="hf-fetch") as pool:
            ahead: Future[Fetched] | None = pool.submit(
                first_page,
                self.client,
                task.kind,
                sort=task.sort,
                limit=limit,
                author=task.author,
                resume_url=resume_url,
            )
            seen: set[str] = set()  # a next link back at a page already read would never end
            while ahead is not None:
                fetched = ahead.result()
                if self.client.stop.is_set():  # not stored: the checkpoint still points at this page
                    raise Interrupted("stop requested")
                rows = self._parse(task.kind, fetched.data, fetched.url)
                finished = not fetched.next_url
                # every valid item seen is stored, also those past the floor or the top N on a last page
                if task.key == "global":
                    finished = finished or self._reached_floor(rows)
                elif task.key == "top":
                    finished = finished or self.state.task_items + len(rows) >= self.plan.top
                seen.add(fetched.url)
                if not finished and fetched.next_url in seen:
                    self._save_page(task, rows, None, False)  # kept; the listing restarts next time
                    raise PaginationLoop(
                        f"{task.label}: the next-page link points back at a page already read; listing abandoned",
                        url=fetched.next_url,
                    )
                # the next page downloads while this one is stored
                ahead = None if finished else pool.submit(self.client.get, fetched.next_url)
                self._save_page(task, rows, None if finished else fetched.next_url, finished)
                if self.progress:
                    self.progress(task.label, self.items)

    def _reached_floor(self, rows: list[RepoRow]) -> bool:
        """Whether this page of the new-model crawl goes below its floor (and notes the crawl's top)."""
        assert self.state.global_crawl is not None
        crawl = self.state.global_crawl
        dated = [row.created_at_raw for row in rows if row.created_at_raw is not None]
        if crawl.get("top") is None and dated:
            crawl["top"] = max(dated).isoformat()
        floor = dt.datetime.fromisoformat(crawl["floor"])
        return any(created < floor for created in dated)

    def _page_session(self) -> Session:
        if self._session is None:
            self._transaction = self.database.session()
            self._session = self._transaction.__enter__()
            self._opened = time.monotonic()
        return self._session

    def commit(self) -> None:
        """Commit the pages stored so far, each written together with its checkpoint."""
        if self._transaction is not None:
            transaction, self._transaction, self._session, self._pending = self._transaction, None, None, 0
            transaction.__exit__(None, None, None)
        self._committed = (self.items, self.skipped)

    def rollback(self) -> None:
        """Drop uncommitted pages; the last committed checkpoint still describes what is stored."""
        if self._transaction is not None:
            transaction, self._transaction, self._session, self._pending = self._transaction, None, None, 0
            error = RuntimeError("rolled back")
            transaction.__exit__(RuntimeError, error, None)
        self.items, self.skipped = self._committed  # the run row must not claim rolled-back pages

    def _save_page(self, task: Task, rows: list[RepoRow], next_url: str | None, finished: bool) -> None:
        state = self.state
        session = self._page_session()
        self.items += store_repos(session, task.kind, rows, self.run_date)
        state.task_items += len(rows)
        if task.key == "global":
            assert state.global_crawl is not None
            if finished:
                top = state.global_crawl.get("top")
                self._advance_mark(session, top)
                if top is not None:
                    record_coverage(
                        session,
                        "api",
                        run_id=self.run_id,
                        covered_from=dt.datetime.fromisoformat(state.global_crawl["floor"]),
                        covered_to=dt.datetime.fromisoformat(top),
                        recorded_on=self.run_date,
                    )
                state.global_crawl = None
            else:
                state.global_crawl["next_url"] = next_url
        if finished:
            state.done.append(task.key)
            state.task, state.next_url, state.task_items = None, None, 0
        else:
            state.task, state.next_url = task.key, next_url
        runs.save_checkpoint(
            session,
            self.run_id,
            asdict(state),
            items=self.items,
            skipped=self.skipped,
            counters=self.client.counters,
        )
        self._pending += 1
        if (
            finished
            or self._pending >= PAGES_PER_COMMIT
            or time.monotonic() - self._opened >= COMMIT_EVERY_SECONDS
        ):
            self.commit()

    def _advance_mark(self, session: Any, top: str | None) -> None:
        if top is None:
            return
        old = read_state(session, MARK_KEY)
        if (
            old
            and old.get("created_at")
            and dt.datetime.fromisoformat(old["created_at"]) >= (dt.datetime.fromisoformat(top))
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
) -> CollectResult:
    """Run one Hub collection per `plan`; returns how it ended (the run row has the same figures).

    Rate limits beyond `plan.retry.max_wait` end it as `rate_limited`, `stop` as `interrupted`, HTTP
    failures as `failed` (all resumable from the checkpoint); anything unexpected marks the run `failed`
    and propagates.
    """
    run_date = settings.today
    previous = runs.resumable_checkpoint(database, COLLECTOR)
    run_id = runs.start_run(database, COLLECTOR, run_date, params=plan.as_params())
    state = CrawlState.resume(previous, run_date)
    if previous:  # carried over now, so a run that dies before its first page still hands it on
        with database.session() as session:
            runs.save_checkpoint(session, run_id, asdict(state))
    client = make_client(settings, plan.retry, stop)
    crawl = _Crawl(database, client, plan, run_id, run_date, state, progress)
    status, message = runs.OK, None
    try:
        try:
            for task in plan_tasks(database, plan):
                crawl.run(task)
        except (RateLimitExceeded, Interrupted, HttpError):
            crawl.commit()  # every stored page is whole and carries its checkpoint
            raise
        crawl.commit()
    except RateLimitExceeded as error:
        status, message = runs.RATE_LIMITED, str(error)
    except Interrupted:
        status, message = runs.INTERRUPTED, "stopped on request; the next run resumes"
    except HttpError as error:
        status, message = runs.FAILED, str(error)
    except BaseException as error:
        crawl.rollback()
        runs.finish_run(
            database,
            run_id,
            runs.FAILED,
            counters=client.counters,
            items=crawl.items,
            skipped=crawl.skipped,
            message=f"{type(error).__name__}: {error}"[:500],
        )
        raise
    finally:
        client.close()
    if status != runs.OK:
        log.warning("huggingface collection %s: %s", status, message)
    runs.finish_run(
        database,
        run_id,
        status,
        counters=client.counters,
        items=crawl.items,
        skipped=crawl.skipped,
        message=message,
        checkpoint=None if status == runs.OK else False,
    )
    return CollectResult(run_id, status, crawl.items, crawl.skipped, client.counters, message)
