"""`tracker collect huggingface`: models, datasets, lineage and today's snapshots from the Hub."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import click

from tracker.cli.app import EXIT_FAILED, EXIT_RESUMABLE, AppContext, CliError, pass_app
from tracker.cli.collect_commands import (
    collect_group,
    conclude_collection,
    max_wait_option,
    run_collection,
    wait_option,
)
from tracker.cli.progress import progress_display, stop_on_signals
from tracker.db.migrate import ensure_schema
from tracker.scheduler.backfill import ingest_dumps
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface
from tracker.sources.huggingface.dump_collect import DumpPlan, DumpSettings


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
@max_wait_option
@wait_option
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
    wait: float,
) -> None:
    """Collect models and datasets from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN).

    Covers every registry account on `hf` and each --org, new models by creation date back to --since
    (or the last complete crawl), and the --top most downloaded models; then runs attribution.
    With `[huggingface] source = "dump"` the newest daily dump is read first for the whole Hub, and new
    models are crawled only from its day on (unless --since); a failed dump step still runs the API tasks
    and exits 1. A listing that fails is recorded and the others go on (exit 1 at the end, naming it). Exit 3 when
    stopped early (rate limit or Ctrl-C; the next run resumes from the checkpoints) or when another
    Hub collection runs on this database (see --wait).
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
    dump_failure = None
    result = None
    with stop_on_signals(stop), progress_display(app, "huggingface") as progress:
        if DumpSettings.of(app.settings).source == "dump":
            dump = run_collection(
                "huggingface",
                lambda: ingest_dumps(
                    database,
                    app.settings,
                    DumpPlan(),
                    newest_only=True,
                    stop=stop,
                    wait=wait,
                    attribute_after=False,
                ),
            )
            newest = dump.outcomes[-1] if dump.outcomes else None
            described = (
                f"; dump of {newest.commit.day}: {newest.status}, {newest.models:,} models" if newest else ""
            )
            stale = f" ({dump.stale})" if dump.stale else ""
            click.echo(f"huggingface dump run {dump.run_id}: {dump.status}{described}{stale}")
            if dump.status != "ok":
                dump_failure = dump.message or dump.status
            elif newest is not None and since is None:
                plan = dataclasses.replace(plan, since=newest.commit.day)
        if not stop.is_set():
            result = run_collection(
                "huggingface",
                lambda: collect_huggingface(
                    database, app.settings, plan, stop=stop, progress=progress, wait=wait
                ),
            )
    if result is None:
        raise CliError("stopped on request; run again to resume", EXIT_RESUMABLE)
    conclude_collection(app, "huggingface", result, stop)
    if dump_failure is not None:
        raise CliError(f"the dump step failed (the API tasks ran): {dump_failure}", EXIT_FAILED)
