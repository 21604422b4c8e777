"""Time the analyses on a synthetic database of N models (default 1,000,000) with D daily snapshots.

    python bench/analyses_scale.py [--models 1000000] [--days 3] [--database-url sqlite:////tmp/scale.db]

Rows are generated inside the database (a recursive CTE), so building is fast; the script prints the time of
each signal and of the whole analysis, and the ratio per million models. Synthetic data: 300 namespaces,
a third with a country, one model in four a derivative of another.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sqlalchemy import text

from tracker.analyses.analysis import analyse
from tracker.analyses.signals import SIGNALS, compute_signal
from tracker.db import migrate
from tracker.db.engine import Database

COUNTRIES = ["CN", "US", "FR", "GB", "DE", "JP", "KR", "CA", "IN", "HK"]


def build(database: Database, models: int, days: int) -> None:
    numbers = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) SELECT i FROM n"
    )
    if database.backend == "postgresql":
        numbers = "SELECT generate_series(1, :count) AS i"
    with database.session() as session:
        for k in range(300):
            country = COUNTRIES[k % len(COUNTRIES)] if k % 3 == 0 else None
            session.execute(
                text(
                    "INSERT INTO accounts (platform, handle, handle_key, country) VALUES ('hf', :h, :h, :c)"
                ),
                {"h": f"org{k}", "c": country},
            )
        session.execute(
            text(
                "INSERT INTO hf_models (id, hub_id, repo_id, author, author_key, created_at, created_at_unknown,"
                " downloads_30d, likes, metrics_on, root_author_key) "
                f"SELECT i, 'h' || i, 'org' || (i % 300) || '/m' || i, 'org' || (i % 300), 'org' || (i % 300), "
                " :start + (i % 900) * :day, FALSE, i % 5000, i % 50, :today, 'org' || ((i / 4) % 300) "
                f"FROM ({numbers}) s"
            ),
            {
                "count": models,
                "start": dt.datetime(2023, 1, 1),
                "day": dt.timedelta(days=1),
                "today": dt.date(2025, 6, 30),
            },
        ) if database.backend == "postgresql" else session.execute(
            text(
                "INSERT INTO hf_models (id, hub_id, repo_id, author, author_key, created_at, created_at_unknown,"
                " downloads_30d, likes, metrics_on, root_author_key) "
                "SELECT i, 'h' || i, 'org' || (i % 300) || '/m' || i, 'org' || (i % 300), 'org' || (i % 300), "
                " datetime('2023-01-01', '+' || (i % 900) || ' days'), 0, i % 5000, i % 50, '2025-06-30',"
                " 'org' || ((i / 4) % 300) "
                f"FROM ({numbers}) s"
            ),
            {"count": models},
        )
        session.execute(
            text(
                "INSERT INTO hf_model_parents (child_id, parent_repo_id, relation, position, source) "
                "SELECT id, 'org0/m1', 'finetune', 0, 'tag' FROM hf_models WHERE id % 4 = 0"
            )
        )
        for d in range(days):
            session.execute(
                text(
                    "INSERT INTO hf_model_snapshots (model_id, captured_on, downloads_30d, likes) "
                    "SELECT id, :day, downloads_30d + :d, likes FROM hf_models"
                ),
                {"day": dt.date(2025, 6, 30) - dt.timedelta(days=d), "d": d},
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="time the analyses at scale")
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--database-url", default="sqlite:////tmp/tracker-scale.db")
    args = parser.parse_args()
    database = Database(args.database_url)
    migrate.downgrade(database, "base")
    migrate.upgrade(database)
    started = time.perf_counter()
    build(database, args.models, args.days)
    print(
        f"built {args.models:,} models x {args.days} snapshot days in {time.perf_counter() - started:.1f} s"
    )
    today = dt.date(2025, 7, 1)
    for spec in SIGNALS:
        began = time.perf_counter()
        compute_signal(database, spec, today)
        print(f"{spec.key:28s} {time.perf_counter() - began:7.2f} s")
    began = time.perf_counter()
    analyse(database, today)
    total = time.perf_counter() - began
    print(f"whole analysis {total:.2f} s; {total / (args.models / 1e6):.2f} s per million models")


if __name__ == "__main__":
    main()
