"""Finding the Hub's daily metadata dumps: the commits of the dump dataset, and which of them to read.

The dataset (`[huggingface] dump_repo`, default `cfahlgren1/hub-stats`) rewrites `models.parquet` about once a
day, each time as a commit. Its commits are listed the way `HfApi.list_repo_commits` does
(`/api/datasets/{repo}/commits/{revision}`, newest first, `Link` pagination, items with `id` and `date`).
The dump of a day is the day's last commit (UTC); `--every week` or `month` keeps the last dump of each
ISO week or calendar month. A file is read from `/datasets/{repo}/resolve/{commit}/{filename}`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from tracker.http import HttpClient, HttpError
from tracker.sources.huggingface.parse import MalformedItem, parse_hub_time

DEFAULT_DUMP_REPO = "cfahlgren1/hub-stats"
MODELS_FILE = "models.parquet"
EVERY = ("day", "week", "month")


@dataclass(frozen=True)
class DumpCommit:
    """One commit of the dump dataset: its id and time (UTC)."""

    commit_id: str
    committed_at: dt.datetime

    @property
    def day(self) -> dt.date:
        return self.committed_at.date()


def commits_path(repo: str, revision: str = "main") -> str:
    return f"/api/datasets/{repo}/commits/{quote(revision, safe='')}"


def resolve_path(repo: str, commit_id: str, filename: str = MODELS_FILE) -> str:
    return f"/datasets/{repo}/resolve/{commit_id}/{filename}"


def list_dump_commits(client: HttpClient, repo: str, revision: str = "main") -> Iterator[DumpCommit]:
    """Every commit of `repo`, newest first (pages follow the `Link` header on the endpoint's host)."""
    for page in client.pages(commits_path(repo, revision)):
        if not isinstance(page.data, list):
            raise HttpError(f"expected a JSON array of commits from {page.url}", url=page.url)
        for item in page.data:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            try:
                when = parse_hub_time(item.get("date"), "date")
            except MalformedItem:
                continue
            if when is not None:
                yield DumpCommit(item["id"], when)


def _period(day: dt.date, every: str) -> tuple[int, ...]:
    if every == "day":
        return (day.toordinal(),)
    if every == "week":
        year, week, _ = day.isocalendar()
        return (year, week)
    return (day.year, day.month)


def pick_dumps(
    commits: Iterable[DumpCommit],
    *,
    every: str = "week",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[DumpCommit]:
    """The last commit of each day, then of each `every` period, within [start, end]; oldest first."""
    if every not in EVERY:
        raise ValueError(f"every must be one of {', '.join(EVERY)}, not {every!r}")
    last: dict[tuple[int, ...], DumpCommit] = {}
    for commit in commits:
        if (start and commit.day < start) or (end and commit.day > end):
            continue
        key = _period(commit.day, every)
        if key not in last or commit.committed_at > last[key].committed_at:
            last[key] = commit
    return sorted(last.values(), key=lambda commit: commit.committed_at)
