"""Benchmark: how many requests the collectors spend, against the fake APIs (tests/fakes).

* Hugging Face: requests per 1,000 models collected by a full `createdAt` crawl of N generated models
  (bench/hub_shapes.py) against the minimum the page size allows (ceil(N / page)), for several page sizes,
  including a server that answers at most 500 per page when asked for 1000 (as huggingface.js caps its
  requests); then what a full crawl of the whole Hub (--hub-models, default 2,000,000) costs against the
  published limits for anonymous, free and PRO users (500, 1,000 and 2,500 requests per 5 minutes).
* GitHub: a collection of O organisations with R repositories each and their contributors, then a second,
  unchanged run on the same day: the share of its requests answered 304 Not Modified (conditional requests
  with the stored ETags, which GitHub does not count against the rate limit).

Targets (issue 8): within 5% of the minimum; over 90% answered 304 on the unchanged second run.

    python bench/bench_requests.py [--models 50000] [--orgs 5 --repos 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hub_shapes import RealisticModels  # noqa: E402

from tests.fakes.github import FakeClock, FakeGitHub  # noqa: E402
from tests.fakes.hub import FakeHub  # noqa: E402
from tracker.config import load_settings  # noqa: E402
from tracker.db import migrate  # noqa: E402
from tracker.db.engine import Database  # noqa: E402
from tracker.sources.github import GhPlan, collect_github  # noqa: E402
from tracker.sources.huggingface import HfPlan, RetryOptions, collect_huggingface  # noqa: E402

LIMITS = {"anonymous": 500, "free": 1_000, "PRO": 2_500}  # requests per 5 minutes (docs/scale.md)
TODAY = dt.date(2026, 3, 2)


def fresh_database(folder: str, name: str) -> Database:
    database = Database(f"sqlite:///{Path(folder) / name}")
    migrate.upgrade(database)
    return database


def huggingface(folder: str, models: int, asked: int, served: int) -> tuple[int, int, int]:
    """(requests, models stored, minimum requests) of one full crawl."""
    database = fresh_database(folder, f"hf-{asked}-{served}.db")
    with FakeHub(models=RealisticModels(models), page_size=served, quota=10**9) as hub:
        hub.record_requests = False
        settings = load_settings({"hf_endpoint": hub.url, "today": TODAY.isoformat()}, environ={})
        plan = HfPlan(
            since=dt.date(2000, 1, 1),
            top=0,
            datasets=False,
            include_registry=False,
            page_size=asked,
            retry=RetryOptions(sleep=lambda _: None),
        )
        result = collect_huggingface(database, settings, plan)
    database.dispose()
    assert result.status == "ok", result.message
    # the Hub says there are no more pages by leaving out the Link header, so no empty page is needed
    return result.counters.requests, result.items, math.ceil(models / min(asked, served))


def github(folder: str, orgs: int, repos: int) -> tuple[int, int, int, int]:
    """(first run requests, second run requests, second run 304s, repositories) of two same-day runs."""
    database = fresh_database(folder, "github.db")
    clock = FakeClock()
    with FakeGitHub(tokens={"t1": 1_000_000}, clock=clock) as fake:
        for o in range(orgs):
            fake.add_org(f"org{o}", location="Hangzhou, China" if o % 2 else "Paris, France")
            for r in range(repos):
                name = f"org{o}/repo-{r}"
                fake.add_repo(f"org{o}", f"repo-{r}", stars=r * 7, forks=r, topics=["llm"])
                fake.set_contributors(name, [(f"dev{(o * repos + r + k) % 300}", 50 - k) for k in range(5)])
        settings = load_settings({"github_api_url": fake.url, "today": TODAY}, environ={"GITHUB_TOKEN": "t1"})
        plan = GhPlan(
            orgs=tuple(f"org{o}" for o in range(orgs)),
            searches=(),
            include_registry=False,
            backoff_base=0.001,
            backoff_max=0.01,
            reserve=0.0,
        )
        first = collect_github(database, settings, plan, sleep=clock.sleep, clock=clock)
        fake.requests.clear()
        second = collect_github(database, settings, plan, sleep=clock.sleep, clock=clock)
        not_modified = fake.count(304)
    database.dispose()
    assert first.status == second.status == "ok", (first.message, second.message)
    return first.counters.requests, second.counters.requests, not_modified, orgs * repos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=50_000, help="models served to each crawl")
    parser.add_argument(
        "--hub-models", type=int, default=2_000_000, help="Hub size for the full-crawl budget"
    )
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--repos", type=int, default=200, help="repositories per organisation")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        print(f"Hugging Face: full createdAt crawl of {args.models:,} generated models")
        print(f"{'asked':>7}{'served':>8}{'requests':>10}{'minimum':>9}{'per 1,000':>11}{'vs minimum':>12}")
        for asked, served in ((100, 1000), (500, 1000), (1000, 1000), (1000, 500)):
            requests, stored, minimum = huggingface(folder, args.models, asked, served)
            assert stored == args.models, stored
            print(
                f"{asked:>7}{served:>8}{requests:>10,}{minimum:>9,}{requests / stored * 1000:>11.2f}"
                f"{requests / minimum - 1:>+12.1%}"
            )
        print(f"\nfull crawl of {args.hub_models:,} models (the whole Hub) against the published limits:")
        print(
            f"{'page':>6}{'requests':>10}  " + "  ".join(f"{name} ({q}/5 min)" for name, q in LIMITS.items())
        )
        for page in (1000, 500):
            requests = math.ceil(args.hub_models / page)
            minutes = [f"{requests / quota * 5:>6.0f} min" for quota in LIMITS.values()]
            widths = [len(f"{name} ({q}/5 min)") for name, q in LIMITS.items()]
            print(
                f"{page:>6}{requests:>10,}  "
                + "  ".join(m.rjust(w) for m, w in zip(minutes, widths, strict=True))
            )

        first, second, not_modified, repositories = github(folder, args.orgs, args.repos)
        share = not_modified / second if second else 0.0
        print(
            f"\nGitHub: {args.orgs} organisations x {args.repos} repositories ({repositories:,}) with contributors"
        )
        print(f"first run {first:,} requests ({first / repositories:.2f} per repository)")
        print(
            f"unchanged second run {second:,} requests, {not_modified:,} answered 304: {share:.1%} "
            f"(target > 90%)"
        )


if __name__ == "__main__":
    main()
