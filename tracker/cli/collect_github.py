"""`tracker collect github`: owners, repositories, searches, contributors and profiles from the GitHub API."""

from __future__ import annotations

import contextlib
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
from tracker.sources.github import GhPlan, collect_github

LOG_EVERY_SECONDS = 15.0


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM finish the request in flight, keep the checkpoint and end the run `interrupted`."""
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
def _progress(app: AppContext) -> Iterator[ProgressCallback]:
    """A live spinner on a terminal; elsewhere a line per phase and every few seconds."""
    if app.show_progress:
        with Progress(
            SpinnerColumn(),
            TextColumn("github: {task.description}"),
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
            click.echo(f"github: {what}: {count:,}", err=True)

    yield log_line


@collect_group.command("github")
@click.option(
    "--org", "orgs", multiple=True, metavar="LOGIN", help="Also collect this org or user (repeatable)."
)
@click.option(
    "--search",
    "searches",
    multiple=True,
    metavar="QUERY",
    help="Discovery search, e.g. 'topic:llm stars:>200' (repeatable; default: [github] searches in the "
    "TOML file, else a few AI topics).",
)
@click.option(
    "--contributors",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Top N contributors per repository (0: none).",
)
@click.option(
    "--no-registry", is_flag=True, help="Skip the registry's GitHub accounts (only --org/--search)."
)
@click.option("--no-search", is_flag=True, help="Skip discovery searches.")
@click.option(
    "--profile-refresh-days",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Refetch an account's profile (location, company) at most this often.",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=900.0,
    show_default=True,
    help="Longest rate-limit wait in seconds; a longer one stops the run (exit 3, resumable).",
)
@pass_app
def collect_github_command(
    app: AppContext,
    orgs: tuple[str, ...],
    searches: tuple[str, ...],
    contributors: int,
    no_registry: bool,
    no_search: bool,
    profile_refresh_days: int,
    max_wait: float,
) -> None:
    """Collect repositories, contributors and profiles from GitHub (GITHUB_API_URL, GITHUB_TOKEN).

    Covers every registry account on `github` and each --org (profile, all public repositories), the
    discovery searches, full counts for each repository (one snapshot per UTC day), the top contributors
    and their profiles; then runs attribution. Unchanged objects cost no rate limit (ETag/304).
    Exit 3 when stopped early (rate limit or Ctrl-C): the next run resumes from the checkpoint.
    """
    plan = GhPlan(
        orgs=tuple(orgs),
        searches=() if no_search else (tuple(searches) or None),
        contributors=contributors,
        include_registry=not no_registry,
        profile_refresh_days=profile_refresh_days,
        max_wait=max_wait,
    )
    settings = app.settings
    database = app.database
    ensure_schema(database)
    anonymous = not settings.github_tokens
    if anonymous:
        click.echo("github: no GITHUB_TOKEN set: anonymous requests (60 per hour)", err=True)
    stop = threading.Event()
    with _stop_on_signals(stop), _progress(app) as progress:
        result = collect_github(database, settings, plan, stop=stop, progress=progress)
    counters = result.counters
    click.echo(
        f"github run {result.run_id}: {result.status}; {result.items:,} items stored, "
        f"{result.skipped:,} malformed skipped; {counters.requests:,} requests "
        f"({counters.not_modified:,} unchanged, 304), {counters.retries:,} retries, "
        f"{counters.waits:.1f}s waiting"
    )
    if result.message and result.status == "ok":
        click.echo(f"github: {result.message}")
    if result.status != "failed" and not stop.is_set():
        summary = run_attribution(database)
        click.echo(f"attribution: {summary.attributed:,} of {summary.accounts:,} accounts attributed")
    if result.status == "failed":
        raise CliError(f"github collection failed: {result.message}", EXIT_FAILED)
    if result.resumable:
        hint = (
            " A GitHub token (GITHUB_TOKEN, 5,000 requests per hour) would complete the run."
            if (anonymous and result.status == "rate_limited")
            else ""
        )
        raise CliError(
            f"stopped early ({result.status}): {result.message}; run again to resume.{hint}", EXIT_RESUMABLE
        )
