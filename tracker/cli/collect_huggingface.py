"""`tracker collect huggingface`: models, datasets, lineage and today's snapshots from the Hub."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading
import time
from collections.abc import Iterator

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tracker.attribution.attribute import run_attribution
from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, AppContext, CliError, pass_app
from tracker.cli.collect_commands import collect_group
from tracker.db.migrate import ensure_schema
from tracker.sources.base import Progress as ProgressCallback
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface

LOG_EVERY_SECONDS = 15.0


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM finish the request in flight, save the checkpoint and end the run `interrupted`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def progress_display(app: AppContext) -> Iterator[ProgressCallback]:
    """A live spinner on a terminal, a log line every few seconds elsewhere."""
    if app.show_progress:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,} items"),
            TimeElapsedColumn(),
            console=app.err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("starting", total=None)
            yield lambda what, count: bar.update(task, description=what, completed=count)
        return
    last = [time.monotonic()]

    def log_line(what: str, count: int) -> None:
        if time.monotonic() - last[0] >= LOG_EVERY_SECONDS:
            last[0] = time.monotonic()
            click.echo(f"huggingface: {count:,} items stored ({what})", err=True)

    yield log_line


@collect_group.command("huggingface")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Crawl new models back to this date (overrides the high-water mark).",
)
@click.option(
    "--org",
    "orgs",
    multiple=True,
    metavar="HANDLE",
    help="Also collect everything by this Hub user or org (repeatable).",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Snapshot the N most downloaded models (0: none).",
)
@click.option("--no-datasets", is_flag=True, help="Skip the datasets of registry accounts and --org handles.")
@click.option(
    "--no-registry", is_flag=True, help="Skip the registry's Hub accounts (only --org, new and top models)."
)
@click.option("--no-new", is_flag=True, help="Skip the crawl of new models by creation date.")
@click.option(
    "--page-size",
    type=click.IntRange(1, 1000),
    default=1000,
    show_default=True,
    help="Items asked per request (the Hub may send fewer).",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=900.0,
    show_default=True,
    help="Longest rate-limit wait in seconds; a longer one stops the run (exit 3, resumable).",
)
@pass_app
def collect_huggingface_command(
    app: AppContext,
    since: dt.datetime | None,
    orgs: tuple[str, ...],
    top: int,
    no_datasets: bool,
    no_registry: bool,
    no_new: bool,
    page_size: int,
    max_wait: float,
) -> None:
    """Collect models and datasets from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN).

    Covers every registry account on `hf` and each --org, new models by creation date back to --since
    (or the last complete crawl), and the --top most downloaded models; then runs attribution.
    Exit 3 when stopped early (rate limit or Ctrl-C): the next run resumes from the checkpoint.
    """
    plan = HfPlan(
        since=since.date() if since else None,
        orgs=tuple(orgs),
        top=top,
        datasets=not no_datasets,
        include_registry=not no_registry,
        global_crawl=not no_new,
        page_size=page_size,
        retry=RetryOptions(max_wait=max_wait),
    )
    database = app.database
    ensure_schema(database)
    stop = threading.Event()
    with stop_on_signals(stop), progress_display(app) as progress:
        result = collect_huggingface(database, app.settings, plan, stop=stop, progress=progress)
    counters = result.counters
    click.echo(
        f"huggingface run {result.run_id}: {result.status}; {result.items:,} items stored, "
        f"{result.skipped:,} malformed skipped; {counters.requests:,} requests, {counters.retries:,} retries, "
        f"{counters.waits:.1f}s waiting, {counters.bytes / 1e6:.1f} MB"
    )
    if result.status != "failed" and not stop.is_set():
        summary = run_attribution(database)
        click.echo(f"attribution: {summary.attributed:,} of {summary.accounts:,} accounts attributed")
    if result.status == "failed":
        raise CliError(f"huggingface collection failed: {result.message}", EXIT_FAILED)
    if result.resumable:
        raise CliError(
            f"stopped early ({result.status}): {result.message}; run again to resume", EXIT_RESUMABLE
        )
