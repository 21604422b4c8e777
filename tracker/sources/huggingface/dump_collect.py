"""Ingesting the Hub's daily metadata dumps, one dump at a time (see docs/dumps.md).

Each dump is one unit of work: it is downloaded (resumably, into `[huggingface] download_dir` or `TMPDIR`),
then written in one transaction together with its `hf_dumps` row, its `hf_coverage` row and its day's
roll-up. A dump already in `hf_dumps` is skipped unless forced; a killed run leaves the dump it was on
unwritten and its partial file on disk, and the next run continues with that dump (the download resumes).

The day's roll-up needs attribution's countries, which live above this layer: the caller passes
`on_written(session, day, staging_table)` (tracker.scheduler.backfill passes the roll-up).
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from tracker.config import ConfigError, Settings
from tracker.db.engine import Database
from tracker.db.models import HfDump
from tracker.http import HttpClient, Interrupted
from tracker.http.download import ByteProgress, Downloader
from tracker.sources.huggingface.api import RetryOptions, make_client
from tracker.sources.huggingface.dump_read import read_dump
from tracker.sources.huggingface.dump_store import STAGING, mark_unlisted, start_dump, store_dump_batch
from tracker.sources.huggingface.dumps import (
    DEFAULT_DUMP_REPO,
    EVERY,
    MODELS_FILE,
    DumpCommit,
    list_dump_commits,
    pick_dumps,
    resolve_path,
)
from tracker.sources.huggingface.store import record_coverage

log = logging.getLogger(__name__)

COLLECTOR = "huggingface-dump"
SOURCES = ("api", "dump")
STALE_AFTER = dt.timedelta(days=3)
INGESTED, DUPLICATE, SKIPPED = "ingested", "duplicate", "skipped"

# (rows stored so far in this dump)
RowProgress = Callable[[int], None]
OnWritten = Callable[[Session, dt.date, str], None]


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
    downloaded: int = 0
    seconds: float = 0.0


class DumpReader:
    """Lists and ingests the dumps of one repository through one HTTP client."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        retry: RetryOptions | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.database = database
        self.dumps = DumpSettings.of(settings)
        self.client: HttpClient = make_client(settings, retry or RetryOptions(), stop)
        self.downloader = Downloader(self.client)

    def close(self) -> None:
        self.client.close()

    def find(self, plan: DumpPlan) -> list[DumpCommit]:
        """The dumps `plan` selects, oldest first."""
        commits = list_dump_commits(self.client, self.dumps.repo)
        return pick_dumps(commits, every=plan.every, start=plan.start, end=plan.end)

    def newest(self) -> DumpCommit | None:
        """The newest commit of the dump repository (one page of the listing)."""
        return next(iter(list_dump_commits(self.client, self.dumps.repo)), None)

    def ingested(self) -> dict[str, str]:
        """commit id -> status of every dump already in `hf_dumps`."""
        with self.database.session() as session:
            return dict(session.execute(select(HfDump.commit_id, HfDump.status)).all())

    def _previous_etag(self, session: Session, day: dt.date) -> str | None:
        return session.scalar(
            select(HfDump.etag).where(HfDump.dump_on < day).order_by(HfDump.dump_on.desc()).limit(1)
        )

    def ingest(
        self,
        commit: DumpCommit,
        *,
        run_id: int | None,
        force: bool = False,
        on_written: OnWritten | None = None,
        bytes_progress: ByteProgress | None = None,
        rows_progress: RowProgress | None = None,
    ) -> DumpOutcome:
        """Download and write one dump (or skip it when already ingested and not `force`)."""
        started = time.monotonic()
        with self.database.session() as session:
            done = session.get(HfDump, commit.commit_id)
            if done is not None and not force:
                return DumpOutcome(commit, SKIPPED, done.models, done.skipped, done.size_bytes)
            previous_etag = self._previous_etag(session, commit.day)
        url = self.client.url(resolve_path(self.dumps.repo, commit.commit_id, MODELS_FILE))
        remote = self.downloader.describe(url)
        outcome = DumpOutcome(commit, INGESTED, size=remote.size)
        if remote.etag and remote.etag == previous_etag:
            self._record(commit, remote.etag, remote.size, DUPLICATE, 0, 0, run_id)
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
        before = self.client.counters.bytes
        if not (path.exists() and remote.size is not None and path.stat().st_size == remote.size):
            self.downloader.fetch(remote, path, progress=bytes_progress)
        outcome.downloaded = self.client.counters.bytes - before
        # Interrupted while writing: the file stays, and the next run writes the dump again without downloading
        outcome.models, outcome.skipped_rows = self._write(
            commit, path, remote.etag, remote.size, run_id, force, on_written, rows_progress
        )
        path.unlink(missing_ok=True)
        outcome.seconds = time.monotonic() - started
        return outcome

    def _write(
        self,
        commit: DumpCommit,
        path: Path,
        etag: str | None,
        size: int | None,
        run_id: int | None,
        force: bool,
        on_written: OnWritten | None,
        rows_progress: RowProgress | None,
    ) -> tuple[int, int]:
        """The whole dump in one transaction: rows, unlisted marks, roll-up, coverage and its `hf_dumps` row."""
        rows = skipped = 0
        with self.database.session() as session:
            start_dump(session)
            for batch in read_dump(path):
                if self.client.stop.is_set():
                    raise Interrupted("stopped while writing a dump; the next run writes it again")
                store_dump_batch(session, batch.rows, commit.day)
                rows += len(batch.rows) + batch.skipped
                skipped += batch.skipped
                if rows_progress:
                    rows_progress(rows)
            listed = session.execute(text(f"SELECT COUNT(DISTINCT hub_id) FROM {STAGING}")).scalar() or 0
            marked, again = mark_unlisted(session, commit.day)
            if marked or again:
                log.info("dump %s: %d models no longer listed, %d listed again", commit.day, marked, again)
            if on_written is not None:
                on_written(session, commit.day, STAGING)
            record_coverage(
                session,
                "dump",
                run_id=run_id,
                covered_from=None,
                covered_to=commit.committed_at,
                recorded_on=commit.day,
                hub_models=int(listed),
            )
            if force:
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
                    models=int(listed),
                    skipped=skipped,
                    status=INGESTED,
                    run_id=run_id,
                )
            )
        return int(listed), skipped

    def _record(
        self,
        commit: DumpCommit,
        etag: str | None,
        size: int | None,
        status: str,
        models: int,
        skipped: int,
        run_id: int | None,
    ) -> None:
        with self.database.session() as session:
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
    """The newest dump written into this database (for the log and the report's staleness note)."""
    with database.session() as session:
        return session.scalars(
            select(HfDump).where(HfDump.status == INGESTED).order_by(HfDump.dump_on.desc()).limit(1)
        ).first()


def stale_dump_note(newest: dt.date | None, today: dt.date) -> str | None:
    """A sentence naming a newest dump older than `STALE_AFTER` (None when fresh or when there is none)."""
    if newest is None or today - newest <= STALE_AFTER:
        return None
    return f"the newest Hub dump is from {newest.isoformat()}, {(today - newest).days} days before {today.isoformat()}"
