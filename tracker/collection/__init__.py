"""The collection framework every source runs on: one lock per source, isolated tasks, typed checkpoints.

A source (the Hub API, the Hub's daily dumps, GitHub) is a subclass of `Source`; `collect(database, source,
run_date)` runs it. This docstring is the contract; sources do not repeat it.

The run
    `collect` takes the source's lock (`SourceLock`, one per source per database: an advisory lock on
    PostgreSQL, `<real database path>.collect.<source>.lock` on SQLite). A second collection of the same
    source, whoever starts it (`tracker collect`, `tracker run`, the daemon), gets `SourceBusy` at once,
    naming the holder, or waits up to `wait` seconds. With the lock held, runs of the source still
    `running` belong to a process that is gone: they are closed `interrupted` and their tasks resume.
    Then the run is recorded (`collection_runs`), `plan` lists its tasks, and each task runs in turn.

Tasks
    A `Task` is one unit of work: an organisation's listing, the new-model crawl, the top N, a GitHub
    owner, a search, one dump file. Its `key` is stable across runs; each run writes a `collection_tasks`
    row per task it starts, and the newest row of a key says where that task stands. A task that raises
    `HttpError` (retries exhausted, a 500 that never heals, a refused `Link`) or `TaskFailed` is recorded
    `failed` with the reason, and the run goes on with the next task; the run ends `failed` only after
    every task had its turn, its message naming each failed task. Tasks that failed last time run after
    the others, so one failing task never blocks the rest and is never silently skipped. Three things stop
    the whole run at once: `RateLimitExceeded` (`rate_limited`) and `Interrupted` (`interrupted`), both
    resumable, and an error for which `Source.ends_run` is true (no network, credentials refused:
    nothing else would work either). Any other exception is a bug or a dead database: the run is marked
    `failed` and the exception propagates.

    When the newest run of the source did not finish `ok` (stopped, failed, killed), the next run on the
    same run date skips the tasks completed since the last complete run; otherwise every planned task runs.
    Work that must never be repeated once done (a dump file already ingested) is simply not planned: `plan`
    leaves it out, knowing it from the source's own tables or from `tasks.standings(database, name, keys)`
    (the newest outcome of each key).

Checkpoints
    A task that can continue part-way declares a `Checkpoint` subclass (a frozen dataclass of JSON values
    with a `kind`) as `Task.checkpoint` and saves it with `TaskContext.save(session, checkpoint, items=n)`
    inside the transaction that writes the data it describes, so the database never claims progress it
    does not hold. The next run that plans the same key gets it back typed as `context.checkpoint` (read
    once the lock is held, so never a live run's): for a task with `carries_over` on any later day (a crawl
    by creation time, a dump file), otherwise only on the same run date. A run that does not plan a task
    leaves its checkpoint alone, so a pending crawl survives runs that skip it. Checkpoints hold what the
    API needs to continue, a path and query or a cursor, never a host: a run against another endpoint
    continues there. A stored value that no longer reads as the task's type is dropped with a warning and
    the task starts over. `save(session, None)` says there is nothing to resume (e.g. before failing a
    listing whose next link was refused: it starts over next time). A completed task keeps no checkpoint.

Writing a source
    Set `name` (the lock, `collection_runs.collector` and `collection_tasks.collector`; `lock` names another
    source's lock when both must never run at once, as the Hub's API and dumps), give `counters`
    (the HTTP client's, stored on the run row) and `params()` (the plan, stored on the run row), and
    implement `plan(database)` and `run_task(task, context)`; release the HTTP session in `close()`.
    `run_task` stores page by page (or batch by batch), calls `context.save` with each batch, calls
    `context.check_stop()` between requests, and reports `context.progress(what, count)`. Items of a page
    that arrived are stored even when the page's `Link` is refused; then the task raises. `CollectResult`
    is what `collect` returns to the CLI, `tracker run` and the daemon, which treat every source alike.
"""

from tracker.collection.lock import SourceBusy, SourceLock
from tracker.collection.runner import CollectResult, collect
from tracker.collection.source import Checkpoint, Progress, Source, Task, TaskContext, TaskFailed

__all__ = [
    "Checkpoint",
    "CollectResult",
    "Progress",
    "Source",
    "SourceBusy",
    "SourceLock",
    "Task",
    "TaskContext",
    "TaskFailed",
    "collect",
]
