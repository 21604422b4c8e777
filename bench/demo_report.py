"""Build a demo database from the forecast-hf-models-2025-02-18 series and time the analyses and report.

    python bench/demo_report.py [--data ../shared/data/forecast-hf-models-2025-02-18] [--out /tmp/demo]
        [--sample 20] [--database-url sqlite:////tmp/demo/demo.db]

Base models (the ~20 organisations' repos) become models of their organisation's country; their monthly
fine-tune counts become derivative models (one in `--sample`, created in the month the counts grew, by
unattributed authors, rooted at the base model); the daily cumulative downloads become month-end snapshots
of 30-day downloads (Aug 2024 - Feb 2025). No likes and no GitHub data: those signals say "insufficient data".
Prints the row counts and how long the analyses and the report took. Data: MIT, Bhandari et al. (see the
data folder's README).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import time
from pathlib import Path

from sqlalchemy import insert

from tracker.config import load_settings
from tracker.db import migrate
from tracker.db.engine import Database
from tracker.db.models import Account, HfModel, HfModelParent, HfModelSnapshot
from tracker.reports import write_report
from tracker.sources.github.parse import parse_time

# Company bucket -> country of its headquarters (the buckets of the forecast data set).
BUCKET_COUNTRY = {
    "AMAZON": "US",
    "Allen_AI": "US",
    "Apple": "US",
    "BAAI": "CN",
    "CohereAI": "CA",
    "DeepSeek": "CN",
    "Google": "US",
    "HuggingFace": "US",
    "IBM": "US",
    "Meta": "US",
    "Microsoft": "US",
    "MistralAI": "FR",
    "Nvidia": "US",
    "OpenAI": "US",
    "Qwen": "CN",
    "Salesforce": "US",
    "StabilityAI": "GB",
    "Other": None,
}
TODAY = dt.date(2025, 2, 19)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=min(moment.day, 28))


def build(database: Database, data: Path, sample: int) -> dict[str, int]:
    models: dict[str, dict] = {}
    countries: dict[str, str | None] = {}
    finetunes: dict[str, list[float]] = {}
    for path in sorted((data / "finetune").glob("*.csv")) + sorted((data / "download").glob("*.csv")):
        bucket = path.stem
        with path.open(newline="") as stream:
            for row in csv.DictReader(stream):
                repo_id = row["model"]
                author = repo_id.split("/")[0]
                countries.setdefault(author.lower(), BUCKET_COUNTRY.get(bucket))
                entry = models.setdefault(
                    repo_id, {"created_at": parse_time(row.get("created_at", "").strip())}
                )
                if path.parent.name == "finetune":
                    counts = [row.get(f"{k}-month") for k in range(35)]
                    finetunes[repo_id] = [float(c) for c in counts if c not in (None, "")]
                else:
                    days = [(key[:10], value) for key, value in row.items() if key[:2] == "20" and value]
                    entry["downloads"] = {dt.date.fromisoformat(day): float(value) for day, value in days}

    hf_rows, parent_rows, snapshot_rows = [], [], []
    next_id = 1
    for repo_id, entry in models.items():
        model_id, next_id = next_id, next_id + 1
        author = repo_id.split("/")[0]
        snapshots = []
        series = entry.get("downloads") or {}
        days = sorted(series)
        month_ends = [
            day for i, day in enumerate(days) if i + 1 == len(days) or days[i + 1].month != day.month
        ]
        for day in month_ends:
            earlier = day - dt.timedelta(days=30)
            if earlier in series:
                snapshots.append((day, int(max(series[day] - series[earlier], 0))))
        latest = snapshots[-1] if snapshots else (None, None)
        hf_rows.append(
            {
                "id": model_id,
                "hub_id": f"demo{model_id:08d}",
                "repo_id": repo_id,
                "author": author,
                "author_key": author.lower(),
                "created_at": entry["created_at"],
                "created_at_unknown": False,
                "downloads_30d": latest[1],
                "likes": None,
                "metrics_on": latest[0],
            }
        )
        snapshot_rows += [
            {"model_id": model_id, "captured_on": day, "downloads_30d": value} for day, value in snapshots
        ]
        counts, carry = finetunes.get(repo_id, []), 0.0
        for months_after in range(1, len(counts)):
            carry += max(counts[months_after] - counts[months_after - 1], 0) / sample
            created = add_months(entry["created_at"], months_after) if entry["created_at"] else None
            while carry >= 1 and created is not None:
                carry -= 1
                child_id, next_id = next_id, next_id + 1
                name = f"user{child_id % 997}/{repo_id.split('/')[-1]}-ft{child_id}"
                hf_rows.append(
                    {
                        "id": child_id,
                        "hub_id": f"demo{child_id:08d}",
                        "repo_id": name,
                        "author": name.split("/")[0],
                        "author_key": name.split("/")[0],
                        "created_at": created,
                        "created_at_unknown": False,
                        "root_repo_id": repo_id,
                        "root_author_key": author.lower(),
                    }
                )
                parent_rows.append(
                    {
                        "child_id": child_id,
                        "parent_repo_id": repo_id,
                        "relation": "finetune",
                        "position": 0,
                        "source": "tag",
                    }
                )
    account_rows = [
        {
            "platform": "hf",
            "handle": key,
            "handle_key": key,
            "country": country,
            "country_method": "registry" if country else "unknown",
        }
        for key, country in countries.items()
    ]
    with database.session() as session:
        session.execute(insert(Account), account_rows)
        for start in range(0, len(hf_rows), 5000):
            session.execute(
                insert(HfModel),
                [
                    {
                        "downloads_30d": None,
                        "likes": None,
                        "metrics_on": None,
                        "root_repo_id": None,
                        "root_author_key": None,
                        **row,
                    }
                    for row in hf_rows[start : start + 5000]
                ],
            )
        if parent_rows:
            session.execute(insert(HfModelParent), parent_rows)
        if snapshot_rows:
            session.execute(insert(HfModelSnapshot), snapshot_rows)
    return {
        "models": len(hf_rows),
        "derivatives": len(parent_rows),
        "snapshots": len(snapshot_rows),
        "accounts": len(account_rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "forecast-hf-models-2025-02-18"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--out", type=Path, default=Path("/tmp/tracker-demo"))
    parser.add_argument("--sample", type=int, default=20, help="keep one derivative in SAMPLE")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{args.out / 'demo.db'}"
    database = Database(url)
    migrate.downgrade(database, "base")
    migrate.upgrade(database)
    started = time.perf_counter()
    counts = build(database, args.data, args.sample)
    built = time.perf_counter()
    settings = load_settings({"database_url": url, "today": TODAY, "reports_dir": str(args.out / "reports")})
    result = write_report(database, settings, args.out / "report")
    done = time.perf_counter()
    print(f"rows: {counts}")
    print(f"build {built - started:.1f} s; analyses + report {done - built:.1f} s; verdict: {result.verdict}")
    for path in result.paths:
        print(path)


if __name__ == "__main__":
    main()
