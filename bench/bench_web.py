"""Benchmark: server time of every `tracker serve` page on N models (default 1,000,000) x D days (default 90).

Builds the database with bench_report_scale.py's generator (2,000 namespaces, 30% derivatives, retention-shaped
snapshots, daily roll-ups), links the first 200 namespaces to registry publishers, writes the report (the
pages show the newest recorded report's figures), then requests each page in-process through the WSGI app
(no network: the time is the server's) after the warm-up `tracker serve` runs at start, and prints the first
request's time and the median of `--repeat`.

    python bench/bench_web.py                                   # 1M models x 90 days, both back ends
    python bench/bench_web.py --models 100000 --days 30 --backends sqlite
    python bench/bench_web.py --export          # also time `tracker export` and its peak memory

Target (issue 15): every page under 500 ms of server time at 1M models x 90 days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_report_scale import LAST_DAY, PG_ADMIN, build  # noqa: E402
from tracker.analyses.signals import SIGNALS  # noqa: E402
from tracker.config import load_settings  # noqa: E402
from tracker.db import migrate  # noqa: E402
from tracker.db.engine import Database  # noqa: E402
from tracker.reports.write import write_report  # noqa: E402
from tracker.web import create_app  # noqa: E402

PUBLISHERS = 200
TARGET_MS = 500


def link_publishers(database: Database) -> None:
    """Registry publishers for the first namespaces; pub1 (ns1) becomes the root of 100k derivatives at 1M
    models (every tenth model), as Qwen or meta-llama are on the Hub."""
    with database.session() as session:
        session.execute(text("UPDATE hf_models SET root_author_key = 'ns1' WHERE id % 10 = 0"))
        for k in range(PUBLISHERS):
            session.execute(
                text("INSERT INTO publishers (slug, name, country, country_method, registry_no_infer, created_at, "
                     "updated_at) SELECT :slug, :name, country, 'registry', FALSE, :now, :now FROM accounts "
                     "WHERE handle_key = :h"),
                {"slug": f"pub{k}", "name": f"Publisher {k}", "h": f"ns{k}", "now": dt.datetime(2025, 7, 1)},
            )  # fmt: skip
            session.execute(
                text("UPDATE accounts SET publisher_id = (SELECT id FROM publishers WHERE slug = :slug) "
                     "WHERE handle_key = :h"),
                {"slug": f"pub{k}", "h": f"ns{k}"},
            )  # fmt: skip


def pages(models: int) -> list[tuple[str, str]]:
    child = next(i for i in range(models // 2, models) if i % 10 < 3)
    parent = child // 10
    statement = "SELECT country, COUNT(*) AS publishers FROM publishers GROUP BY country"
    return [
        ("overview", "/"),
        *[(f"signal {spec.key}", f"/signals/{spec.key}") for spec in SIGNALS],
        ("publishers index", "/publishers"),
        ("publisher (500 models)", "/publishers/pub2"),
        (f"publisher root of {models // 10:,} derivatives", "/publishers/pub1"),
        ("namespace without publisher", f"/publishers/ns{PUBLISHERS + 1}"),
        ("model (derivative, lineage)", f"/models/ns{child % 2000}/m{child}"),
        ("model (with children)", f"/models/ns{parent % 2000}/m{parent}"),
        ("search repo id prefix", "/search?q=ns7/m17"),
        ("search publisher / org", "/search?q=pub1"),
        ("SQL page (no statement)", "/sql"),
        ("SQL page (small statement)", "/sql?" + urllib.parse.urlencode({"q": statement})),
        ("SQL CSV download", "/sql?" + urllib.parse.urlencode({"q": statement, "format": "csv"})),
        ("reports index", "/reports"),
        ("report.md", "/reports/1/report.md"),
        ("report.html", "/reports/1/report.html"),
    ]


def time_export(url: str, out: Path) -> None:
    """`tracker export` in a child process: wall time, peak resident memory and bytes written."""
    command = [
        str(Path(sys.executable).parent / "tracker"),
        "--database-url",
        url,
        "export",
        "--out",
        str(out),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    size = sum(path.stat().st_size for path in out.iterdir())
    print(
        f"  tracker export (parquet and csv): {seconds:.0f} s, peak memory {peak / 1024:.0f} MB"
        f"{'' if peak > before else ' (or less: an earlier child peaked higher)'}, {size / 2**20:.0f} MB written"
    )


def run(url: str, models: int, days: int, repeat: int, out: Path, export: bool = False) -> None:
    database = Database(url)
    backend = database.backend
    migrate.downgrade(database, "base")
    migrate.upgrade(database)
    began = time.perf_counter()
    build(database, models, days)
    link_publishers(database)
    settings = load_settings({"database_url": url, "today": (LAST_DAY + dt.timedelta(days=1)).isoformat()})
    write_report(database, settings, out_dir=out / backend)
    print(
        f"\n[{backend}] built {models:,} models x {days} days and the report in {time.perf_counter() - began:.0f} s"
    )
    app = create_app(database, settings)
    began = time.perf_counter()
    app.extensions["tracker_warm"]()  # what `tracker serve` does in the background at start
    print(
        f"  warm-up at start (figures, registry publishers' derivatives): {time.perf_counter() - began:.1f} s"
    )
    client = app.test_client()
    print(f"  {'page':34s}{'first ms':>10}{'median ms':>11}  status")
    worst = 0.0
    for label, path in pages(models):
        times = []
        status = 0
        for _ in range(repeat + 1):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            status = response.status_code
        median = statistics.median(times[1:])
        worst = max(worst, median, times[0])
        print(f"  {label:34s}{times[0]:>10.0f}{median:>11.0f}  {status}")
    verdict = "met" if worst < TARGET_MS else "missed"
    print(f"  slowest {worst:.0f} ms (first or median): target < {TARGET_MS} ms {verdict}")
    if export:
        time_export(url, out / f"export-{backend}")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--export", action="store_true", help="also time `tracker export` (memory, seconds)")
    args = parser.parse_args()
    print(
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} cores; "
        f"{args.models:,} models, {args.days} days"
    )
    with tempfile.TemporaryDirectory() as folder:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "sqlite":
                run(
                    f"sqlite:///{Path(folder) / 'web.db'}",
                    args.models,
                    args.days,
                    args.repeat,
                    Path(folder),
                    args.export,
                )
                continue
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute("DROP DATABASE IF EXISTS bench_web WITH (FORCE)")
                connection.execute("CREATE DATABASE bench_web")
            url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/bench_web"
            try:
                run(url, args.models, args.days, args.repeat, Path(folder), args.export)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                    connection.execute("DROP DATABASE IF EXISTS bench_web WITH (FORCE)")


if __name__ == "__main__":
    main()
