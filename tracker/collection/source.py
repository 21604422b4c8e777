"""The pieces of the source contract (described at length in `tracker.collection`): tasks, typed checkpoints,
the context a task runs in, and the `Source` base class."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker import runs
from tracker.db.engine import Database
from tracker.db.models import CollectionTask
from tracker.http import HttpError, Interrupted
from tracker.http.client import RequestCounters
from tracker.http.errors import ApiUnreachable, HttpStatusError

# Progress callback: (what, count so far). Sources call it as they go; the CLI draws it.
Progress = Callable[[str, int], None]

C = TypeVar("C", bound="Checkpoint")


class TaskFailed(Exception):
    """A task ends failed with this reason after storing what it could (e.g. a refused `Link`)."""


@dataclass(frozen=True)
class Checkpoint:
    """Base of typed checkpoints: each source declares frozen dataclasses of JSON-friendly fields.

    Stored as the fields plus `kind`; a stored value of another kind or shape reads back as None (the task
    then starts over, with a warning), so a changed checkpoint format never jams a source."""

    kind: ClassVar[str] = "checkpoint"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls: type[C], data: Any) -> C | None:
        if not isinstance(data, dict) or data.get("kind") != cls.kind:
            return None
        names = {field.name for field in dataclasses.fields(cls)}
        try:
            return cls(**{key: value for key, value in data.items() if key in names})
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Task:
    """One unit of work of a run. `key` is stable across runs (outcomes and checkpoints are found by it)."""

    key: str
    label: str  # for people: "models by openai", "dump 2026-11-29 models.parquet"
    checkpoint: type[Checkpoint] | None = None  # the checkpoint type this task saves, if it saves one
    carries_over: bool = False  # its checkpoint stays valid on later run dates (else: same run date only)
    params: Any = None  # the source's own description of the task (never stored)


class TaskContext:
    """What a running task sees: its resumed checkpoint, the run, and `save` for progress.

    `save` writes inside the caller's transaction, so a page's rows and the checkpoint that says they are
    stored commit together."""

    def __init__(
        self,
        database: Database,
        run_id: int,
        row_id: int,
        run_date: dt.date,
        checkpoint: Checkpoint | None,
        stop: threading.Event,
        progress: Progress,
        counters: RequestCounters,
        totals: dict[str, int],
    ) -> None:
        self.database = database
        self.run_id = run_id
        self.row_id = row_id
        self.run_date = run_date
        self.checkpoint = checkpoint
        self.stop = stop
        self.progress = progress
        self.counters = counters
        self.items = 0  # stored by this task in this run
        self.skipped = 0
        self._totals = totals  # the run's items and skipped before this task

    @property
    def run_items(self) -> int:
        return self._totals["items"] + self.items

    @property
    def run_skipped(self) -> int:
        return self._totals["skipped"] + self.skipped

    def check_stop(self) -> None:
        """Raise `Interrupted` once a stop was requested (between pages or items, never mid-write)."""
        if self.stop.is_set():
            raise Interrupted("stop requested")

    def save(
        self, session: Session, checkpoint: Checkpoint | None, *, items: int = 0, skipped: int = 0
    ) -> None:
        """Record progress in the caller's transaction: `items` and `skipped` more, and where to continue
        (None: nothing to resume, the task starts over if it does not complete)."""
        self.items += items
        self.skipped += skipped
        self.checkpoint = checkpoint
        session.execute(
            update(CollectionTask)
            .where(CollectionTask.id == self.row_id)
            .values(checkpoint=checkpoint.to_json() if checkpoint else None, items=self.items)
        )
        runs.save_progress(
            session, self.run_id, items=self.run_items, skipped=self.run_skipped, counters=self.counters
        )


class Source(ABC):
    """A data source (see `tracker.collection` for the contract). Subclasses set `name` and implement `plan`
    and `run_task`; `counters` are their HTTP client's."""

    name: ClassVar[str]
    lock: ClassVar[str | None] = None  # the lock's name when shared with another source (default: `name`)

    @property
    @abstractmethod
    def counters(self) -> RequestCounters: ...

    def params(self) -> dict[str, Any]:
        """The plan as stored on the run row."""
        return {}

    @abstractmethod
    def plan(self, database: Database) -> list[Task]:
        """The run's tasks in order (called once the lock is held and the run is recorded)."""

    @abstractmethod
    def run_task(self, task: Task, context: TaskContext) -> None:
        """Do one task to its end, saving progress through `context.save`; raise to fail it."""

    def ends_run(self, error: HttpError) -> bool:
        """Whether a task's error ends the whole run at once: nothing else would work either."""
        return isinstance(error, ApiUnreachable) or (
            isinstance(error, HttpStatusError) and error.status == 401
        )

    @abstractmethod
    def close(self) -> None:
        """Release the source's resources (its HTTP session)."""
