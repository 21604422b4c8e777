"""Hand-built databases for the analyses, views, query and report tests: rows inserted directly, every figure known."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from tracker.db.models import (
    Account,
    GhAccount,
    GhContributor,
    GhRepo,
    GhRepoSnapshot,
    HfCoverage,
    HfModel,
    HfModelParent,
    HfModelSnapshot,
    Publisher,
)

_ids = itertools.count(1)


class Rows:
    """Small helpers that add one row each (flushes so ids exist)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def account(
        self, handle: str, country: str | None, platform: str = "hf", publisher: str | None = None
    ) -> None:
        publisher_id = None
        if publisher:
            row = Publisher(slug=publisher, name=publisher.title(), country=country)
            self.session.add(row)
            self.session.flush()
            publisher_id = row.id
        self.session.add(
            Account(
                platform=platform,
                handle=handle,
                handle_key=handle.lower(),
                country=country,
                publisher_id=publisher_id,
            )
        )

    def model(
        self,
        repo_id: str,
        created: dt.date | None,
        parents: tuple[str, ...] = (),
        root: str | None = None,
        downloads: int | None = None,
        likes: int | None = None,
        metrics_on: dt.date | None = None,
    ) -> int:
        author = repo_id.split("/")[0]
        row = HfModel(
            hub_id=f"h{next(_ids):08d}",
            repo_id=repo_id,
            author=author,
            author_key=author.lower(),
            created_at=dt.datetime(created.year, created.month, created.day, 12, tzinfo=dt.timezone.utc)
            if created
            else None,
            created_at_unknown=created is None,
            downloads_30d=downloads,
            likes=likes,
            metrics_on=metrics_on,
            root_repo_id=root,
            root_author_key=root.split("/")[0].lower() if root else None,
        )
        self.session.add(row)
        self.session.flush()
        for position, parent in enumerate(parents):
            self.session.add(
                HfModelParent(
                    child_id=row.id,
                    parent_repo_id=parent,
                    relation="finetune",
                    position=position,
                    source="tag",
                )
            )
        return row.id

    def model_snapshot(self, model_id: int, day: dt.date, downloads: int, likes: int = 0) -> None:
        self.session.add(
            HfModelSnapshot(model_id=model_id, captured_on=day, downloads_30d=downloads, likes=likes)
        )

    def gh_account(self, login: str, country: str | None) -> int:
        account_id = next(_ids)
        self.session.add(GhAccount(id=account_id, login=login, login_key=login.lower(), type="Organization"))
        if country is not None:
            self.account(login, country, platform="github")
        self.session.flush()
        return account_id

    def repo(
        self,
        full_name: str,
        owner_id: int,
        stars: int,
        forks: int,
        created: dt.date,
        metrics_on: dt.date,
        fork: bool = False,
    ) -> int:
        repo_id = next(_ids)
        self.session.add(
            GhRepo(
                id=repo_id,
                full_name=full_name,
                owner_id=owner_id,
                owner_login=full_name.split("/")[0],
                stars=stars,
                forks=forks,
                created_at=dt.datetime(created.year, created.month, created.day, tzinfo=dt.timezone.utc),
                metrics_on=metrics_on,
                fork=fork,
                gone=False,
            )
        )
        self.session.flush()
        return repo_id

    def repo_snapshot(self, repo_id: int, day: dt.date, stars: int, forks: int = 0) -> None:
        self.session.add(GhRepoSnapshot(repo_id=repo_id, captured_on=day, stars=stars, forks=forks))

    def contributor(self, repo_id: int, account_id: int, day: dt.date, contributions: int) -> None:
        self.session.add(
            GhContributor(
                repo_id=repo_id, account_id=account_id, captured_on=day, contributions=contributions
            )
        )


D = dt.date


def build_small(session: Session) -> None:
    """The small world of test_views: every view's rows can be worked out by hand (see the tests)."""
    rows = Rows(session)
    rows.account("Qwen", "CN", publisher="qwen")
    rows.account("meta-llama", "US", publisher="meta")
    rows.account("mistralai", "FR")
    rows.account("hk-lab", "HK")
    day = D(2025, 3, 1)
    qwen = rows.model("Qwen/Qwen2", D(2025, 1, 10), downloads=1000, likes=50, metrics_on=day)
    llama = rows.model("meta-llama/Llama", D(2025, 1, 20), downloads=3000, likes=100, metrics_on=day)
    rows.model("user1/qwen-ft", D(2025, 2, 5), ("Qwen/Qwen2",), "Qwen/Qwen2", 500, 5, day)
    rows.model("mistralai/llama-ft", D(2025, 2, 10), ("meta-llama/Llama",), "meta-llama/Llama", 200, 20, day)
    rows.model("Qwen/Qwen2-GGUF", D(2025, 2, 15), ("Qwen/Qwen2",), "Qwen/Qwen2", 300, 0, day)
    rows.model("hk-lab/base", D(2025, 2, 20), downloads=100, likes=25, metrics_on=day)
    rows.model("Qwen/undated", None, downloads=0, likes=0, metrics_on=day)
    rows.model_snapshot(qwen, D(2025, 2, 10), 400, 30)
    rows.model_snapshot(qwen, D(2025, 2, 25), 600, 40)  # the last of February counts
    rows.model_snapshot(qwen, D(2025, 3, 1), 1000, 50)
    rows.model_snapshot(llama, D(2025, 2, 25), 2000, 90)
    rows.model_snapshot(llama, D(2025, 3, 1), 3000, 100)

    cn = rows.gh_account("QwenLM", "CN")
    us = rows.gh_account("openai", "US")
    nobody = rows.gh_account("someone", None)
    qwen_repo = rows.repo("QwenLM/Qwen", cn, 900, 90, D(2024, 5, 3), day)
    openai_repo = rows.repo("openai/whisper", us, 2000, 300, D(2024, 6, 1), day)
    rows.repo("someone/tool", nobody, 100, 10, D(2024, 6, 9), day)
    rows.repo("someone/fork", nobody, 0, 0, D(2024, 6, 9), day, fork=True)
    rows.repo_snapshot(qwen_repo, D(2025, 2, 28), 800, 80)
    rows.repo_snapshot(openai_repo, D(2025, 2, 28), 1900, 290)
    rows.contributor(openai_repo, cn, D(2025, 2, 1), 10)  # an older list: ignored by the *_latest views
    rows.contributor(openai_repo, cn, day, 30)
    rows.contributor(openai_repo, us, day, 60)
    rows.contributor(qwen_repo, nobody, day, 10)
    session.flush()


def months(start: str, count: int) -> list[D]:
    """The 15th of `count` consecutive months from `start` (`YYYY-MM`)."""
    year, month = map(int, start.split("-"))
    result = []
    for _ in range(count):
        result.append(D(year, month, 15))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return result


def build_rising_china(
    session: Session, start: str = "2024-01", count: int = 12, covered: bool = True
) -> dict[str, tuple[int, int, int]]:
    """New models per month: China i+1, US count-i, unknown 2 (month i from 0): China's share rises.

    With `covered`, a completed whole-Hub crawl covers every month of the plan (hf_coverage).
    Returns {month: (china, us, unknown)} so tests can work out shares, crossover and trend themselves.
    """
    rows = Rows(session)
    if covered:
        last = months(start, count + 1)[-1]
        cover_hub(session, utc(2000, 1, 1), utc(last.year, last.month, 1))
    rows.account("cnlab", "CN")
    rows.account("uslab", "US")
    plan = {}
    for i, day in enumerate(months(start, count)):
        china, us, unknown = i + 1, count - i, 2
        plan[day.strftime("%Y-%m")] = (china, us, unknown)
        for author, number in (("cnlab", china), ("uslab", us), ("anon", unknown)):
            for n in range(number):
                rows.model(f"{author}/m-{day:%Y%m}-{n}", day)
    session.flush()
    return plan


def cover_hub(
    session: Session,
    covered_from: dt.datetime | None,
    covered_to: dt.datetime,
    source: str = "api",
    hub_models: int | None = None,
) -> None:
    """Record that the whole Hub was collected for creation times [covered_from, covered_to] (hf_coverage)."""
    session.add(
        HfCoverage(
            source=source,
            covered_from=covered_from,
            covered_to=covered_to,
            hub_models=hub_models,
            recorded_on=covered_to.date(),
        )
    )
    session.flush()


def utc(year: int, month: int, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=dt.timezone.utc)


def build_world(session: Session, plan: dict[str, dict[str | None, int]], derivatives: bool = False) -> None:
    """New models per creation month and author country ({month: {country or None: count}}), one account per
    country (`lab-xx`, unknown authors `anon`); with `derivatives`, every model is a fine-tune of a root model
    of its country (unknown: a root of an unknown author)."""
    rows = Rows(session)
    countries = sorted({country for counts in plan.values() for country in counts if country})
    for country in countries:
        rows.account(f"lab-{country.lower()}", country)
    for month, counts in sorted(plan.items()):
        day = D(*map(int, month.split("-")), 15)
        for country, number in counts.items():
            author = f"lab-{country.lower()}" if country else "anon"
            for n in range(number):
                root = f"{author}/root" if derivatives else None
                rows.model(f"{author}/m-{month}-{n}", day, (root,) if root else (), root)
    session.flush()
