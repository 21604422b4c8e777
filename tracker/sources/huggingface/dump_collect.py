"""The Hub's daily metadata dumps as a collection source (tracker.collection; see docs/dumps.md).

Each dump is one task: its file is downloaded (resumably, into `[huggingface] download_dir` or `TMPDIR`;
the task's checkpoint says once it is whole on disk), then written in one transaction together with its
`hf_dumps` row, its `hf_coverage` row, its day's roll-up and the task's progress. A dump already in
`hf_dumps` is not planned unless forced; a killed run leaves the dump it was on unwritten and its file (or
partial file) on disk, and the next run continues with that dump.

The day's lineage roots and roll-up need attribution, which lives above this layer: the caller passes
`roots_of` (a first dump's roots, tracker.sources.huggingface.first_dump) and
`on_written(session, day, listed, lineage_changes_table)` (tracker.scheduler.backfill passes the roots' update
and the roll-up; `listed`: where the dump's listed models and their figures are, dump_store.Listed).
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.collection import Checkpoint, Source, Task, TaskContext, TaskFailed
from tracker.config import ConfigError, Settings
from tracker.db.engine import Database
from tracker.db.models import HfDump
from tracker.http import HttpClient, HttpError, RequestCounters
from tracker.http.download import ByteProgress, Downloader, check_free_space, part_of
from tracker.sources.huggingface.api import RetryOptions, make_client
from tracker.sources.huggingface.dump_read import read_ahead, read_dump
from tracker.sources.huggingface.dump_store import (
    LINEAGE_CHANGES,
    Listed,
    count_listed,
    end_dump,
    end_staging,
    holds_models,
    mark_unlisted,
    start_dump,
    store_dump_batch,
)
from tracker.sources.huggingface.dumps import (
    DEFAULT_DUMP_REPO,
    EVERY,
    MODELS_FILE,
    DumpCommit,
    list_dump_commits,
    pick_dumps,
    resolve_path,
)
from tracker.sources.huggingface.first_dump import RootsOf
from tracker.sources.huggingface.store import record_coverage

log = logging.getLogger(__name__)

COLLECTOR = "huggingface-dump"
SOURCES = ("api", "dump")
INGESTED, DUPLICATE, SKIPPED = "ingested", "duplicate", "skipped"

# (rows stored so far in this dump)
RowProgress = Callable[[int], None]
# (session, day, where the listed models and their figures are, table of the repo ids whose lineage roots can
# have changed)
OnWritten = Callable[[Session, dt.date, Listed, str], None]


@dataclass(frozen=True)
class DumpSettings:
    """`[huggingface] source`, `dump_repo` and `download_dir`."""

    source: str = "api"
    repo: str = DEFAULT_DUMP_REPO
    download_dir: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> DumpSettings:
        section = settings.section("huggingface")
        source = section.get("source", "api")
        if source not in SOURCES:
            raise ConfigError(f'[huggingface] source must be "api" or "dump", not {source!r}')
        repo = section.get("dump_repo", DEFAULT_DUMP_REPO)
        if not isinstance(repo, str) or repo.count("/") != 1 or not all(repo.split("/")):
            raise ConfigError(f"[huggingface] dump_repo must be an owner/name dataset id, not {repo!r}")
        directory = section.get("download_dir")
        if directory is not None and (not isinstance(directory, str) or not directory.strip()):
            raise ConfigError(f"[huggingface] download_dir must be a directory path, not {directory!r}")
        return cls(source, repo, Path(directory).expanduser() if directory else None)

    @property
    def directory(self) -> Path:
        """Where downloads are written: `download_dir`, else `TMPDIR` (the system's temporary directory)."""
        return self.download_dir or Path(tempfile.gettempdir())


@dataclass(frozen=True)
class DumpPlan:
    """Which dumps a backfill reads (the CLI's options)."""

    start: dt.date | None = None
    end: dt.date | None = None
    every: str = "week"
    force: bool = False
    retry: RetryOptions = field(default_factory=RetryOptions)

    def __post_init__(self) -> None:
        if self.every not in EVERY:
            raise ValueError(f"every must be one of {', '.join(EVERY)}")

    def as_params(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "every": self.every,
            "force": self.force,
        }


@dataclass
class DumpOutcome:
    """What happened to one dump."""

    commit: DumpCommit
    status: str  # ingested / duplicate / skipped
    models: int = 0
    skipped_rows: int = 0
    size: int | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class DumpCheckpoint(Checkpoint):
    """A dump whose file is on disk, whole and verified: the next run writes it without downloading."""

    kind: ClassVar[str] = "hf-dump-file"
    path: str
    size: int | None
    etag: str | None


@dataclass(frozen=True)
class DumpCallbacks:
    """What the CLI draws while a dump is read (all optional)."""

    on_dump: Callable[[DumpCommit, int, int], None] | None = None  # (dump, position, how many)
    bytes_progress: ByteProgress | None = None
    rows_progress: RowProgress | None = None


class HubDumpSource(Source):
    """The Hub's daily dumps as a collection source: one task per dump file, oldest first.

    It shares the Hugging Face lock with the API source (`huggingface`), so no two Hub collections run at
    once on a database. Planning lists the dump repository's commits; a listing that fails becomes a failed
    task of its own (the run is recorded `failed` with the reason; `tracker run` goes on with the API)."""

    name: ClassVar[str] = COLLECTOR
    lock: ClassVar[str | None] = "huggingface"

    def __init__(
        self,
        database: Database,
        settings: Settings,
        plan: DumpPlan,
        roots_of: RootsOf,
        *,
        newest_only: bool = False,
        stop: threading.Event | None = None,
        on_written: OnWritten | None = None,
        callbacks: DumpCallbacks | None = None,
    ) -> None:
        self.roots_of = roots_of
        self.database = database
        self.dumps = DumpSettings.of(settings)
        self.dump_plan = plan
        self.newest_only = newest_only
        self.on_written = on_written
        self.callbacks = callbacks or DumpCallbacks()
        self.client: HttpClient = make_client(settings, plan.retry, stop)
        self.downloader = Downloader(self.client)
        self.selected: list[DumpCommit] = []  # what the plan chose, oldest first
        self.outcomes: list[DumpOutcome] = []
        self._planned = 0
        self._position = 0

    @property
    def counters(self) -> RequestCounters:
        return self.client.counters

    def params(self) -> dict[str, Any]:
        return {**self.dump_plan.as_params(), "repo": self.dumps.repo, "newest_only": self.newest_only}

    def close(self) -> None:
        self.client.close()

    def plan(self, database: Database) -> list[Task]:
        try:
            if self.newest_only:
                newest = next(iter(list_dump_commits(self.client, self.dumps.repo)), None)
                if newest is None:
                    return [self._listing_failed(f"the dump repository {self.dumps.repo} has no commits")]
                self.selected = [newest]
            else:
                commits = list_dump_commits(self.client, self.dumps.repo)
                plan = self.dump_plan
                self.selected = pick_dumps(commits, every=plan.every, start=plan.start, end=plan.end)
        except HttpError as error:
            return [self._listing_failed(f"listing the commits of {self.dumps.repo}: {error}")]
        with database.session() as session:
            done = set(session.scalars(select(HfDump.commit_id)))
        todo = [commit for commit in self.selected if self.dump_plan.force or commit.commit_id not in done]
        self.outcomes = [DumpOutcome(commit, SKIPPED) for commit in self.selected if commit not in todo]
        self._planned = len(todo)
        return [
            Task(
                f"dump:{commit.commit_id}",
                f"dump {commit.day} {MODELS_FILE}",
                checkpoint=DumpCheckpoint,
                carries_over=True,
                params=commit,
            )
            for commit in todo
        ]

    def _listing_failed(self, reason: str) -> Task:
        return Task("dumps", f"dumps of {self.dumps.repo}", params=reason)

    def run_task(self, task: Task, context: TaskContext) -> None:
        if isinstance(task.params, str):
            raise TaskFailed(task.params)
        commit: DumpCommit = task.params
        self._position += 1
        if self.callbacks.on_dump:
            self.callbacks.on_dump(commit, self._position, self._planned)
        context.check_stop()
        outcome = self._ingest(commit, context)
        self.outcomes.append(outcome)
        context.progress(task.label, context.run_items)
        log.info(
            "dump %s (%s): %s, %d models in %.1fs",
            commit.day,
            commit.commit_id[:8],
            outcome.status,
            outcome.models,
            outcome.seconds,
        )

    def _previous_etag(self, session: Session, day: dt.date) -> str | None:
        return session.scalar(
            select(HfDump.etag).where(HfDump.dump_on < day).order_by(HfDump.dump_on.desc()).limit(1)
        )

    def _ingest(self, commit: DumpCommit, context: TaskContext) -> DumpOutcome:
        """Download (or find on disk) and write one dump."""
        started = time.monotonic()
        with self.database.session() as session:
            previous_etag = self._previous_etag(session, commit.day)
        url = self.client.url(resolve_path(self.dumps.repo, commit.commit_id, MODELS_FILE))
        remote = self.downloader.describe(url)
        outcome = DumpOutcome(commit, INGESTED, size=remote.size)
        if remote.etag and remote.etag == previous_etag:
            with self.database.session() as session:
                self._record(session, commit, remote.etag, remote.size, DUPLICATE, 0, 0, context.run_id)
                context.save(session, None)
            outcome.status, outcome.seconds = DUPLICATE, time.monotonic() - started
            log.info(
                "dump %s (%s): same file as the previous dump, not a new point",
                commit.day,
                commit.commit_id[:8],
            )
            return outcome
        directory = self.dumps.directory
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"tracker-dump-{commit.commit_id}-{MODELS_FILE}"
        saved = context.checkpoint
        whole = (
            isinstance(saved, DumpCheckpoint)
            and saved.path == str(path)
            and saved.etag == remote.etag
            and path.exists()
            and path.stat().st_size == saved.size
        )
        if remote.size is not None:
            with self.database.session() as session:
                first_dump = not holds_models(session)
            if first_dump:  # it also holds its models with parents in temporary files there: the file's size
                on_disk = path.stat().st_size if whole else _size_of(part_of(path))
                check_free_space(
                    directory, 2 * remote.size - on_disk, "the file and a first dump's temporary files"
                )
        if not whole:  # a partial `.part` file left by an earlier run is continued with `Range`
            self.downloader.fetch(remote, path, progress=self.callbacks.bytes_progress)
            with self.database.session() as session:
                context.save(session, DumpCheckpoint(str(path), remote.size, remote.etag))
        else:
            log.info("dump %s: the file downloaded by an earlier run is on disk; writing it", commit.day)
        # Interrupted while writing: the file stays, and the next run writes the dump without downloading it
        outcome.models, outcome.skipped_rows = self._write(commit, path, remote.etag, remote.size, context)
        path.unlink(missing_ok=True)
        outcome.seconds = time.monotonic() - started
        return outcome

    def _write(
        self, commit: DumpCommit, path: Path, etag: str | None, size: int | None, context: TaskContext
    ) -> tuple[int, int]:
        """The whole dump in one transaction: rows, unlisted marks, lineage roots, roll-up, coverage, its
        `hf_dumps` row and the task's progress."""
        rows = skipped = 0
        rows_progress = self.callbacks.rows_progress
        with self.database.session() as session:
            write = start_dump(session, commit.day, self.roots_of, self.dumps.directory)
            # Reading ahead in a thread pays on PostgreSQL, whose server works while the next batch is read, and
            # in a first dump on SQLite, whose batches the thread builds as columns (2M models: 113 -> 103 s). A
            # later dump on SQLite writes most models at its end: reading ahead saved nothing there and took 25 MB.
            postgres = session.get_bind().dialect.name == "postgresql"
            read = read_ahead if postgres or write.into_empty else read_dump
            # A first dump's batches are built as columns in the reading thread; a later dump builds rows only
            # for the models that changed (tracker.sources.huggingface.dump_store).
            # A stop or a failure ends a reading thread at once.
            with closing(read(path, build=write.into_empty)) as batches:
                for batch in batches:
                    context.check_stop()
                    store_dump_batch(session, batch, commit.day, write)
                    rows += len(batch.ids) + batch.skipped
                    skipped += batch.skipped
                    if rows_progress:
                        rows_progress(rows)
            end_staging(session, write)
            listed = count_listed(session, write)
            marked, again = mark_unlisted(session, write)
            if marked or again:
                log.info("dump %s: %d models no longer listed, %d listed again", commit.day, marked, again)
            if self.on_written is not None:
                self.on_written(session, commit.day, write.listed, LINEAGE_CHANGES)
            end_dump(session, write)
            record_coverage(
                session,
                "dump",
                run_id=context.run_id,
                covered_from=None,
                covered_to=commit.committed_at,
                recorded_on=commit.day,
                hub_models=listed,
            )
            self._record(session, commit, etag, size, INGESTED, listed, skipped, context.run_id)
            context.save(session, None, items=listed, skipped=skipped)
        return listed, skipped

    def _record(
        self,
        session: Session,
        commit: DumpCommit,
        etag: str | None,
        size: int | None,
        status: str,
        models: int,
        skipped: int,
        run_id: int | None,
    ) -> None:
        session.execute(delete(HfDump).where(HfDump.commit_id == commit.commit_id))
        session.add(
            HfDump(
                commit_id=commit.commit_id,
                repo=self.dumps.repo,
                filename=MODELS_FILE,
                committed_at=commit.committed_at,
                dump_on=commit.day,
                etag=etag,
                size_bytes=size,
                models=models,
                skipped=skipped,
                status=status,
                run_id=run_id,
            )
        )


def newest_ingested(database: Database) -> HfDump | None:
    """The newest dump written into this database (for the log of a dump collection)."""
    with database.session() as session:
        return session.scalars(
            select(HfDump).where(HfDump.status == INGESTED).order_by(HfDump.dump_on.desc()).limit(1)
        ).first()


def _size_of(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
