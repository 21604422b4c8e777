"""The bare baselines the ingest benchmarks compare the tracker with: the same pages fetched with requests and
the same rows (models, snapshots, base-model edges) stored with `sqlite3.executemany` or psycopg `COPY`, one
transaction per page, into tables with primary keys only."""

from __future__ import annotations

import json
import sqlite3
import time

from tracker.sources.huggingface.api import list_params

SQLITE_SCHEMA = """
CREATE TABLE models (hub_id TEXT PRIMARY KEY, repo_id TEXT, author TEXT, created_at TEXT, last_modified TEXT,
  pipeline_tag TEXT, library_name TEXT, gated TEXT, private INTEGER, disabled INTEGER, tags TEXT,
  downloads INTEGER, downloads_all_time INTEGER, likes INTEGER, trending_score INTEGER, metrics_on TEXT);
CREATE TABLE snapshots (hub_id TEXT, captured_on TEXT, downloads INTEGER, downloads_all_time INTEGER,
  likes INTEGER, trending_score INTEGER, PRIMARY KEY (hub_id, captured_on));
CREATE TABLE parents (hub_id TEXT, parent TEXT, relation TEXT, position INTEGER, PRIMARY KEY (hub_id, parent));
"""
PG_SCHEMA = """
CREATE TABLE models (hub_id TEXT PRIMARY KEY, repo_id TEXT, author TEXT, created_at TIMESTAMP,
  last_modified TIMESTAMP, pipeline_tag TEXT, library_name TEXT, gated TEXT, private BOOLEAN, disabled BOOLEAN,
  tags JSON, downloads BIGINT, downloads_all_time BIGINT, likes INTEGER, trending_score INTEGER, metrics_on DATE);
CREATE TABLE snapshots (hub_id TEXT, captured_on DATE, downloads BIGINT, downloads_all_time BIGINT,
  likes INTEGER, trending_score INTEGER, PRIMARY KEY (hub_id, captured_on));
CREATE TABLE parents (hub_id TEXT, parent TEXT, relation TEXT, position INTEGER, PRIMARY KEY (hub_id, parent));
"""


def rows_of(items: list[dict], today: str) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The models, snapshots and edges a page holds, as plain tuples."""
    models, snapshots, parents = [], [], []
    for item in items:
        gated = item.get("gated")
        created = (item.get("createdAt") or "")[:19] or None
        modified = (item.get("lastModified") or "")[:19] or None
        models.append(
            (item["_id"], item["id"], item.get("author"), created, modified, item.get("pipeline_tag"),
             item.get("library_name"), "false" if gated is False else gated, item.get("private"),
             item.get("disabled"), json.dumps(item.get("tags")), item.get("downloads"),
             item.get("downloadsAllTime"), item.get("likes"), item.get("trendingScore"), today)
        )  # fmt: skip
        snapshots.append(
            (item["_id"], today, item.get("downloads"), item.get("downloadsAllTime"), item.get("likes"),
             item.get("trendingScore"))
        )  # fmt: skip
        seen: set[str] = set()
        for tag in item.get("tags") or ():
            parts = tag.split(":")
            if parts[0] == "base_model" and len(parts) == 3 and parts[2] not in seen:
                seen.add(parts[2])
                parents.append((item["_id"], parts[2], parts[1], len(seen) - 1))
    return models, snapshots, parents


def pages(url: str, page_size: int):
    """Every page of the createdAt listing, as parsed JSON lists."""
    import requests

    session = requests.Session()
    next_url: str | None = f"{url}/api/models"
    params = list_params("models", sort="createdAt", limit=page_size)
    while next_url:
        response = session.get(next_url, params=params, timeout=60)
        params = None
        response.raise_for_status()
        yield json.loads(response.content)
        next_url = response.links.get("next", {}).get("url")


def baseline_sqlite(url: str, database: str, page_size: int) -> int:
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(SQLITE_SCHEMA)
    stored, today = 0, time.strftime("%Y-%m-%d")
    for items in pages(url, page_size):
        models, snapshots, parents = rows_of(items, today)
        with connection:
            connection.executemany(f"INSERT OR REPLACE INTO models VALUES ({','.join('?' * 16)})", models)
            connection.executemany("INSERT OR REPLACE INTO snapshots VALUES (?,?,?,?,?,?)", snapshots)
            connection.executemany("INSERT OR REPLACE INTO parents VALUES (?,?,?,?)", parents)
        stored += len(models)
    connection.close()
    return stored


def baseline_postgresql(url: str, dsn: str, page_size: int) -> int:
    import psycopg

    stored, today = 0, time.strftime("%Y-%m-%d")
    with psycopg.connect(dsn) as connection:
        connection.execute(PG_SCHEMA)
        connection.commit()
        for items in pages(url, page_size):
            models, snapshots, parents = rows_of(items, today)
            with connection.transaction(), connection.cursor() as cursor:
                for table, rows in (("models", models), ("snapshots", snapshots), ("parents", parents)):
                    with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            stored += len(models)
    return stored


def count(backend: str, target: str, table: str) -> int:
    """Rows in `table` of a SQLite file or a PostgreSQL database."""
    if backend == "sqlite":
        with sqlite3.connect(target) as connection:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    import psycopg

    with psycopg.connect(target) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
