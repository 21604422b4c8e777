"""`tracker collect github`: owners, repositories, searches, contributors and profiles from the GitHub API."""

from __future__ import annotations

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
from tracker.sources.github import GhPlan, collect_github


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
@max_wait_option
@wait_option
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
    wait: float,
) -> None:
    """Collect repositories, contributors and profiles from GitHub (GITHUB_API_URL, GITHUB_TOKEN).

    Covers every registry account on `github` and each --org (profile, all public repositories), the
    discovery searches, full counts for each repository (one snapshot per UTC day), the top contributors
    and their profiles; then runs attribution. Unchanged objects cost no rate limit (ETag/304).
    A task that fails (an owner, a search) is recorded and the others go on (exit 1 at the end, naming
    it). Exit 3 when stopped early (rate limit or Ctrl-C; the next run resumes from the checkpoints) or
    when another GitHub collection runs on this database (see --wait).
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
    with stop_on_signals(stop), progress_display(app, "github") as progress:
        result = run_collection(
            "github",
            lambda: collect_github(database, settings, plan, stop=stop, progress=progress, wait=wait),
        )
    hint = (
        " A GitHub token (GITHUB_TOKEN, 5,000 requests per hour) would complete the run." if anonymous else ""
    )
    conclude_collection(
        app, "github", result, stop, resume_hint=hint if result.status == "rate_limited" else ""
    )
