"""`tracker collect huggingface`: models, datasets, lineage and today's snapshots from the Hub."""

from __future__ import annotations

import datetime as dt
import threading

import click

from tracker.cli.app import AppContext, pass_app
from tracker.cli.collect_commands import (
    collect_group,
    conclude_collection,
    max_wait_option,
    run_collection,
    wait_option,
)
from tracker.cli.progress import progress_display, stop_on_signals
from tracker.db.migrate import ensure_schema
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface


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
    A listing that fails is recorded and the others go on (exit 1 at the end, naming it). Exit 3 when
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
    with stop_on_signals(stop), progress_display(app, "huggingface") as progress:
        result = run_collection(
            "huggingface",
            lambda: collect_huggingface(
                database, app.settings, plan, stop=stop, progress=progress, wait=wait
            ),
        )
    conclude_collection(app, "huggingface", result, stop)
