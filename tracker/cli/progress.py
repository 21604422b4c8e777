"""What long commands show while they work, and how they stop: shared by `collect`, `run` and friends."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tracker.cli.app import AppContext
from tracker.collection import Progress as ProgressCallback

LOG_EVERY_SECONDS = 15.0


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM set `stop`: the request in flight finishes, the checkpoint is kept and the run ends
    `interrupted`. A second Ctrl-C stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(*_: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, on_signal)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def progress_display(app: AppContext, label: str) -> Iterator[ProgressCallback]:
    """A live spinner with counts on a terminal; elsewhere a line on stderr per phase and every few seconds."""
    if app.show_progress:
        with Progress(
            SpinnerColumn(),
            TextColumn(f"{label}: {{task.description}}"),
            TextColumn("{task.completed:,}"),
            TimeElapsedColumn(),
            console=app.err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("starting", total=None)
            yield lambda what, count: bar.update(task, description=what, completed=count)
        return
    state = {"what": "", "at": time.monotonic()}

    def log_line(what: str, count: int) -> None:
        if what != state["what"] or time.monotonic() - float(state["at"]) >= LOG_EVERY_SECONDS:
            state["what"], state["at"] = what, time.monotonic()
            app.err_console.print(f"{label}: {what}: {count:,}")

    yield log_line
