"""Benchmark: the full report on N models (default 1,000,000) with D days (default 90) of history under the
snapshot retention policy, on SQLite and PostgreSQL: seconds per signal, the whole analysis and the whole
report (Markdown, HTML with charts, JSON), plus table sizes and bytes per day on PostgreSQL.

The database is generated inside the database (generate_series / a recursive CTE), shaped like the policy
leaves it (docs/scale.md): 2,000 namespaces (a third with a country), 30% derivatives with lineage roots,
30-day downloads zero for 55% of models and at least 100 for about 15%; day 1 is a first crawl (a snapshot
row per model), every later day has rows only for active models (>= 100 downloads) and a few whose likes
changed; one `hf_daily_country_totals` roll-up per day (the last computed by the real roll-up step).

    python bench/bench_report_scale.py                               # 1M models x 90 days, both back ends
    python bench/bench_report_scale.py --models 100000 --days 30 --backends sqlite
    python bench/bench_report_scale.py --backends postgresql --explain   # also EXPLAIN ANALYZE the slowest

Target (issue 8): the whole report in under a minute on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.analyses.analysis import analyse  # noqa: E402
from tracker.analyses.signals import SIGNALS, compute_signal  # noqa: E402
from tracker.attribution.rollups import refresh_daily_totals  # noqa: E402
from tracker.config import load_settings  # noqa: E402
from tracker.db import migrate  # noqa: E402
from tracker.db.engine import Database  # noqa: E402
from tracker.reports.write import write_report  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
COUNTRIES = ["CN", "US", "FR", "GB", "DE", "JP", "KR", "CA", "IN", "HK", "CN", "US"]
NAMESPACES = 2000
LAST_DAY = dt.date(2025, 6, 30)
TABLES = ("hf_models", "hf_model_parents", "hf_model_snapshots", "hf_daily_country_totals", "accounts")

# Expressions over the generated integer i (1..N), the same on both back ends.
DOWNLOADS = "CASE WHEN i % 100 < 55 THEN 0 WHEN i % 100 < 85 THEN i % 97 ELSE (CAST(i AS BIGINT) * 7919) % 5000000 + 100 END"
LIKES = "CASE WHEN i % 5 = 0 THEN i % 50 ELSE 0 END"
DERIVATIVE = "i % 10 < 3"


def numbers(backend: str) -> str:
    if backend == "postgresql":
        return "SELECT generate_series(1, :count) AS i"
    return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) SELECT i FROM n"


def build(database: Database, models: int, days: int) -> dict[str, int]:
    backend = database.backend
    first_day = LAST_DAY - dt.timedelta(days=days - 1)
    if backend == "postgresql":
        created = "TIMESTAMP '2023-01-01' + (i % 1000) * INTERVAL '1 day' + (i % 86400) * INTERVAL '1 second'"
    else:
        created = "datetime('2023-01-01', '+' || (i % 1000) || ' days', '+' || (i % 86400) || ' seconds')"
    counts: dict[str, int] = {}
    with database.session() as session:
        for k in range(NAMESPACES):
            country = COUNTRIES[k % len(COUNTRIES)] if k % 3 == 0 else None
            session.execute(
                text(
                    "INSERT INTO accounts (platform, handle, handle_key, country) VALUES ('hf', :h, :h, :c)"
                ),
                {"h": f"ns{k}", "c": country},
            )
        session.execute(
            text(
                "INSERT INTO hf_models (id, hub_id, repo_id, author, author_key, created_at, created_at_unknown,"
                " downloads_30d, likes, metrics_on, first_seen_on, last_seen_on, root_author_key) "
                "SELECT i, 'h' || i, 'ns' || (i % 2000) || '/m' || i, 'ns' || (i % 2000), 'ns' || (i % 2000), "
                f" {created}, FALSE, {DOWNLOADS}, {LIKES}, :last, :first, :last, "
                f" CASE WHEN {DERIVATIVE} THEN 'ns' || ((i / 10) % 2000) ELSE 'ns' || (i % 2000) END "
                f"FROM ({numbers(backend)}) s"
            ),
            {"count": models, "last": LAST_DAY, "first": first_day},
        )
        session.execute(
            text(
                "INSERT INTO hf_model_parents (child_id, parent_repo_id, relation, position, source) "
                "SELECT i, 'ns' || ((i / 10) % 2000) || '/m' || (i / 10), 'finetune', 0, 'tag' "
                f"FROM ({numbers(backend)}) s WHERE {DERIVATIVE}"
            ),
            {"count": models},
        )
        # day 1: the first crawl, a row per model; later days: active models and like changes only
        session.execute(
            text(
                "INSERT INTO hf_model_snapshots (model_id, captured_on, downloads_30d, downloads_all_time, likes) "
                "SELECT id, :day, downloads_30d, downloads_30d * 3, likes FROM hf_models"
            ),
            {"day": first_day},
        )
        for d in range(1, days):
            session.execute(
                text(
                    "INSERT INTO hf_model_snapshots (model_id, captured_on, downloads_30d, downloads_all_time, likes) "
                    "SELECT id, :day, downloads_30d + :d, downloads_30d * 3 + :d, likes FROM hf_models "
                    "WHERE downloads_30d >= 100 OR (likes > 0 AND id % 200 = :slot)"
                ),
                {"day": first_day + dt.timedelta(days=d), "d": d, "slot": d % 200},
            )
        refresh_daily_totals(session, LAST_DAY)
        for d in range(days - 1):
            session.execute(
                text(
                    "INSERT INTO hf_daily_country_totals "
                    "(captured_on, country, root_country, models, downloads_30d, likes) "
                    "SELECT :day, country, root_country, models - :back, downloads_30d - :back * 37, likes "
                    "FROM hf_daily_country_totals WHERE captured_on = :last"
                ),
                {"day": first_day + dt.timedelta(days=d), "back": days - 1 - d, "last": LAST_DAY},
            )
        for table in TABLES:
            counts[table] = session.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0
    if backend == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return counts


def explain(database: Database, sql: str) -> str:
    with database.engine.connect() as connection:
        plan = connection.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) {sql}")).all()
    return "\n".join("    " + row[0] for row in plan)


def sizes(database: Database, counts: dict[str, int], days: int, models: int) -> None:
    """PostgreSQL bytes per table and per day of history, with the yearly growth it implies."""
    with database.engine.connect() as connection:
        total = {
            table: connection.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table}).scalar() or 0
            for table in TABLES
        }
        later_rows = connection.execute(
            text(
                "SELECT count(*) FROM hf_model_snapshots WHERE captured_on > (SELECT MIN(captured_on) FROM hf_model_snapshots)"
            )
        ).scalar()
    print(f"\n{'table':<26}{'rows':>13}{'MB':>9}{'bytes/row':>11}")
    for table in TABLES:
        rows = counts[table]
        print(f"{table:<26}{rows:>13,}{total[table] / 2**20:>9.0f}{total[table] / max(rows, 1):>11.0f}")
    per_row = total["hf_model_snapshots"] / max(counts["hf_model_snapshots"], 1)
    rows_per_day = (later_rows or 0) / max(days - 1, 1)
    rollup_per_day = total["hf_daily_country_totals"] / days
    per_day = rows_per_day * per_row + rollup_per_day
    print(
        f"history per day at {models:,} models: {rows_per_day:,.0f} snapshot rows ({rows_per_day / models:.1%} of "
        f"models) x {per_row:.0f} B + roll-ups {rollup_per_day / 1024:.0f} KB = {per_day / 2**20:.1f} MB/day, "
        f"{per_day * 365 / 2**30:.2f} GB/year"
    )
    print(
        f"without retention (a row per model per day): {models * per_row / 2**20:.1f} MB/day, "
        f"{models * per_row * 365 / 2**30:.2f} GB/year (ratio {models * per_row / per_day:.1f}x)"
    )


def run(backend_url: str, models: int, days: int, want_explain: bool, out: Path) -> None:
    database = Database(backend_url)
    backend = database.backend
    migrate.downgrade(database, "base")
    migrate.upgrade(database)
    started = time.perf_counter()
    counts = build(database, models, days)
    print(f"\n[{backend}] built {models:,} models x {days} days in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()))  # fmt: skip
    today = LAST_DAY + dt.timedelta(days=1)
    timings = []
    for spec in SIGNALS:
        began = time.perf_counter()
        compute_signal(database, spec, today)
        timings.append((time.perf_counter() - began, spec))
        print(f"  {spec.key:28s} {timings[-1][0]:7.2f} s")
    began = time.perf_counter()
    analyse(database, today)
    analysis_seconds = time.perf_counter() - began
    settings = load_settings({"database_url": backend_url, "today": today.isoformat()})
    began = time.perf_counter()
    write_report(database, settings, out_dir=out / backend)
    report_seconds = time.perf_counter() - began
    print(f"  {'whole analysis':28s} {analysis_seconds:7.2f} s (signals sharing a view read it once)")
    print(f"  {'whole report (md, html, json)':28s} {report_seconds:7.2f} s"
          + ("  (target < 60 s)" if backend == "postgresql" else ""))  # fmt: skip
    if backend == "postgresql":
        sizes(database, counts, days, models)
        if want_explain:
            for seconds, spec in sorted(timings, key=lambda item: -item[0])[:3]:
                for sql in filter(None, (spec.monthly_sql, spec.latest_sql)):
                    print(f"\nEXPLAIN ANALYZE ({spec.key}, {seconds:.2f} s): {sql}\n{explain(database, sql)}")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sqlite-path", default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest signals' queries")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database bench_report")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; {args.models:,} models, {args.days} days of history")
    with tempfile.TemporaryDirectory() as folder:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "sqlite":
                url = f"sqlite:///{args.sqlite_path or Path(folder) / 'report.db'}"
                run(url, args.models, args.days, args.explain, Path(folder))
            else:
                import psycopg

                with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                    connection.execute("DROP DATABASE IF EXISTS bench_report WITH (FORCE)")
                    connection.execute("CREATE DATABASE bench_report")
                url = (
                    PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                    + "/bench_report"
                )
                run(url, args.models, args.days, args.explain, Path(folder))
                if not args.keep:
                    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                        connection.execute("DROP DATABASE IF EXISTS bench_report WITH (FORCE)")


if __name__ == "__main__":
    main()
