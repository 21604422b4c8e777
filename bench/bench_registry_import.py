"""Benchmark: `tracker publishers import` of a generated 300,000-row registry on SQLite and PostgreSQL.

Generates a registry CSV (every row a Hugging Face org, every third with a GitHub org, every tenth row joined
to the previous one's publisher by a `publisher` slug), then on each back end, in a fresh migrated database:
checks the file (parse and group), imports it (first import: everything new), imports it again (nothing
changes), and imports it a third time with 1% of the rows changed. Target (issue 12): the first import,
check included, under 30 s; before the bulk rewrite it took about 1.4 ms a row (7 minutes for 300k).

    python bench/bench_registry_import.py [--rows 300000] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.attribution.registry import _collector_paused, import_entries, read_entries  # noqa: E402
from tracker.db import migrate  # noqa: E402
from tracker.db.engine import Database  # noqa: E402

COUNTRIES = ["CN", "US", "FR", "DE", "GB", "JP", "KR", "CA", "", "-"]
TARGET_SECONDS = 30.0


def write_registry(path: Path, rows: int, changed_every: int = 0) -> None:
    """A registry of `rows` rows; with `changed_every`, every n-th row gets a different basis."""
    lines = ["hf_org,github_org,country,name,kind,basis,publisher"]
    for i in range(rows):
        slug = f"pub{i - 1}" if i % 10 == 1 else f"pub{i}"
        country = COUNTRIES[(i - 1) % len(COUNTRIES)] if i % 10 == 1 else COUNTRIES[i % len(COUNTRIES)]
        basis = f"basis {i}" + (" (revised)" if changed_every and i % changed_every == 0 else "")
        github = f"gh-org-{i}" if i % 3 == 0 else ""
        lines.append(f"hf-org-{i},{github},{country},Organisation {i},lab,{basis},{slug}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed_import(database: Database, path: Path) -> tuple[float, float, object]:
    """(seconds to check, seconds to write, summary) of one import, as `import_registry` does it."""
    with _collector_paused():
        return _timed_import(database, path)


def _timed_import(database: Database, path: Path) -> tuple[float, float, object]:
    started = time.perf_counter()
    entries = read_entries(path)
    checked = time.perf_counter()
    with database.session() as session:
        summary = import_entries(session, entries)
    return checked - started, time.perf_counter() - checked, summary


def run(database: Database, folder: Path, rows: int) -> list[tuple[str, float, float, object]]:
    migrate.upgrade(database)
    first, changed = folder / "registry.csv", folder / "registry-changed.csv"
    results = []
    for label, path in (("first import", first), ("same file again", first), ("1% of rows changed", changed)):
        check, write, summary = timed_import(database, path)
        results.append((label, check, write, summary))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "TRACKER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server and maintenance database (a scratch database is created and dropped)",
    )
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        write_registry(folder / "registry.csv", args.rows)
        write_registry(folder / "registry-changed.csv", args.rows, changed_every=100)
        report: dict[str, list[tuple[str, float, float, object]]] = {}

        sqlite = Database(f"sqlite:///{folder / 'bench.db'}")
        report["SQLite"] = run(sqlite, folder, args.rows)
        sqlite.dispose()

        if not args.no_postgresql:
            admin_url = make_url(args.pg_url).set(drivername="postgresql+psycopg")
            name = f"bench_registry_{uuid.uuid4().hex[:8]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                postgresql = Database(admin_url.set(database=name).render_as_string(hide_password=False))
                report["PostgreSQL"] = run(postgresql, folder, args.rows)
                postgresql.dispose()
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                admin.dispose()

    print(
        f"Registry import, {args.rows:,} rows; {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs), Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print("| back end | run | check s | write s | total s | ms/row | created | updated | target |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for backend, results in report.items():
        for label, check, write, summary in results:
            total = check + write
            verdict = ("met" if total < TARGET_SECONDS else "MISSED") if label == "first import" else ""
            print(
                f"| {backend} | {label} | {check:.1f} | {write:.1f} | {total:.1f} | {1000 * total / args.rows:.3f} | "
                f"{summary.publishers_created + summary.accounts_created:,} | "
                f"{summary.publishers_updated + summary.accounts_updated:,} | {verdict} |"
            )
    print()
    print(
        f"target: first import under {TARGET_SECONDS:.0f} s; before the bulk rewrite about 1.4 ms/row (~420 s)"
    )


if __name__ == "__main__":
    main()
