"""Generated `models.parquet` files of several days, with the schema drift the real dumps show.

`dump_days()` returns the days a fake dump repository serves (see tests/fakes/hub_dumps.py) and, for each,
the rows as written, so tests compute what the files say independently of the tracker's reader.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.fakes.hub_dumps import DumpDay

# Hub accounts with a country in the test registry (see `add_registry`); others are unknown.
COUNTRIES = {"qwen": "CN", "deepseek-ai": "CN", "meta-llama": "US", "mistralai": "FR"}
AUTHORS = (*COUNTRIES, "someone", "another-user")

_BASE_MODELS = pa.struct(
    [
        ("relation", pa.string()),
        ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())]))),
    ]
)


@dataclass
class Variant:
    """How one day's file is written."""

    gated: bool = True  # the `gated` column exists
    created_as_text: bool = False  # `createdAt`/`lastModified` as ISO strings instead of timestamps
    rows_without_id: int = 0
    truncate_once: bool = False
    extra_column: bool = False  # a column the reader does not know


def models_of(week: int, count: int = 24) -> list[dict[str, Any]]:
    """The models listed in week `week`: the Hub grows, and one model disappears after week 2."""
    rows = []
    for i in range(count + 3 * week):
        if i == 5 and week > 2:
            continue  # deleted: missing from later dumps
        author = AUTHORS[i % len(AUTHORS)]
        parent = f"{AUTHORS[(i + 1) % len(AUTHORS)]}/model-{i + 1}" if i % 4 == 3 else None
        rows.append(
            {
                "id": f"{author}/model-{i}",
                "author": author,
                "createdAt": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=3 * i),
                "lastModified": dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=i + week),
                "downloads": (i * 37 + week * 11) % 500,
                "downloadsAllTime": 1000 * i + 100 * week,
                "likes": (i * 3 + week) % 40,
                "trendingScore": i % 7,
                "pipeline_tag": "text-generation" if i % 2 else None,
                "library_name": "transformers",
                "tags": ["transformers", f"license:{'apache-2.0' if i % 3 else 'mit'}"]
                + ([f"base_model:finetune:{parent}"] if parent and i % 8 == 3 else []),
                "baseModels": {"relation": "finetune", "models": [{"_id": "x" * 24, "id": parent}]}
                if parent
                else None,
                "gated": "manual" if i % 9 == 0 else "false",
            }
        )
    return rows


def parquet_bytes(rows: list[dict[str, Any]], variant: Variant) -> bytes:
    """`rows` as a Parquet file in the day's `variant` of the schema."""
    time_type: pa.DataType = pa.string() if variant.created_as_text else pa.timestamp("ms", tz="UTC")

    def time_value(value: dt.datetime) -> Any:
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z") if variant.created_as_text else value

    rows = [dict(row) for row in rows] + [
        {**rows[0], "id": None, "downloads": 999_999} for _ in range(variant.rows_without_id)
    ]
    columns: dict[str, pa.Array] = {
        "id": pa.array([row["id"] for row in rows], pa.string()),
        "author": pa.array([row["author"] for row in rows], pa.string()),
        "createdAt": pa.array([time_value(row["createdAt"]) for row in rows], time_type),
        "lastModified": pa.array([time_value(row["lastModified"]) for row in rows], time_type),
        "downloads": pa.array([row["downloads"] for row in rows], pa.int64()),
        "downloadsAllTime": pa.array([row["downloadsAllTime"] for row in rows], pa.int64()),
        "likes": pa.array([row["likes"] for row in rows], pa.int64()),
        "trendingScore": pa.array([row["trendingScore"] for row in rows], pa.int64()),
        "pipeline_tag": pa.array([row["pipeline_tag"] for row in rows], pa.string()),
        "library_name": pa.array([row["library_name"] for row in rows], pa.string()),
        "tags": pa.array([row["tags"] for row in rows], pa.list_(pa.string())),
        "baseModels": pa.array([row["baseModels"] for row in rows], _BASE_MODELS),
    }
    if variant.gated:
        columns["gated"] = pa.array([row["gated"] for row in rows], pa.string())
    if variant.extra_column:
        columns["spaces"] = pa.array([["a space"] for _ in rows], pa.list_(pa.string()))
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer, row_group_size=16)
    return buffer.getvalue()


@dataclass
class ServedDay:
    day: DumpDay
    rows: list[dict[str, Any]]  # the rows with an id, as written
    read: bool  # the last commit of its week: read by `--every week`
    duplicate: bool = False  # the same file as the previous read day


def dump_days() -> list[ServedDay]:
    """Five weeks of dumps (Mondays from 2025-01-06), with drifting schemas and an extra mid-week commit."""
    variants = [
        Variant(extra_column=True),
        Variant(gated=False),
        Variant(created_as_text=True),
        Variant(rows_without_id=2),
        Variant(truncate_once=True),
    ]
    served: list[ServedDay] = []
    for week, variant in enumerate(variants):
        monday = dt.datetime(2025, 1, 6, 18, 30, tzinfo=dt.timezone.utc) + dt.timedelta(weeks=week)
        rows = models_of(week)
        if week == 1:  # an earlier commit the same day: not read (the day's dump is its last commit)
            early = models_of(week, count=10)
            served.append(
                ServedDay(
                    DumpDay(
                        f"{week:02d}early" + "0" * 34,
                        monday - dt.timedelta(hours=6),
                        parquet_bytes(early, variant),
                    ),
                    early,
                    read=False,
                )
            )
        served.append(
            ServedDay(
                DumpDay(
                    f"{week:02d}" + "c" * 38, monday, parquet_bytes(rows, variant), variant.truncate_once
                ),
                rows,
                read=True,
            )
        )
    last = served[-1]  # the next week's dump is the same file: not a new point
    served.append(
        ServedDay(
            DumpDay("05" + "d" * 38, last.day.committed_at + dt.timedelta(weeks=1), last.day.content),
            last.rows,
            read=True,
            duplicate=True,
        )
    )
    return served


def expected_totals(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int, int]]:
    """country -> (models, downloads, likes), computed from the rows as written."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        entry = totals.setdefault(COUNTRIES.get(row["author"].lower(), ""), [0, 0, 0])
        entry[0] += 1
        entry[1] += row["downloads"] or 0
        entry[2] += row["likes"] or 0
    return {country: (a, b, c) for country, (a, b, c) in totals.items()}
