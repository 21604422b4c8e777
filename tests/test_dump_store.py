"""A dump's rows and the API's rows for the same models end up as one row each (both back ends)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.fakes.hub import hub_model
from tracker.attribution.first_roots import first_dump_roots
from tracker.db.engine import Database
from tracker.db.models import Base, HfModel
from tracker.sources.huggingface.columns import dump_hub_id
from tracker.sources.huggingface.dump_read import DumpBatch
from tracker.sources.huggingface.dump_store import (
    WrittenKeys,
    end_dump,
    end_staging,
    start_dump,
    store_dump_batch,
)
from tracker.sources.huggingface.parse import RepoRow, parse_model
from tracker.sources.huggingface.store import store_repos

DAY = dt.date(2025, 1, 6)
HOSTILE = ("strings and floats", "other types", "loose tags", "missing columns")  # files with ids


def dump_row(repo_id: str, downloads: int = 500) -> RepoRow:
    row = parse_model(hub_model(repo_id, downloads=downloads))
    row.hub_id = ""  # dumps have no `_id`
    return row


def write_batch(session: Session, batch: list[RepoRow], day: dt.date) -> None:
    """One batch as a whole dump's writes (the path `start_dump` chooses, indexes built again at the end)."""
    write = start_dump(session, day, first_dump_roots)
    store_dump_batch(session, DumpBatch.of(batch), day, write)
    end_staging(session, write)
    end_dump(session, write)


def rows(database: Database, sql: str) -> list[tuple[Any, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_the_api_takes_over_a_row_the_dump_created(database: Database) -> None:
    with database.session() as session:
        write_batch(session, [dump_row("org/model")], DAY)
    [(row_id, hub_id)] = rows(database, "SELECT id, hub_id FROM hf_models")
    assert hub_id == dump_hub_id("org/model")
    api = parse_model(hub_model("org/model", downloads=700))
    with database.session() as session:
        store_repos(session, "models", [api], DAY + dt.timedelta(days=1))
    assert rows(database, "SELECT id, hub_id, downloads_30d FROM hf_models") == [(row_id, api.hub_id, 700)]
    assert len(rows(database, "SELECT * FROM hf_model_snapshots")) == 2  # the dump's day and the API's


def test_a_dump_row_under_a_new_name_merges_into_the_api_row_after_a_rename(database: Database) -> None:
    old = parse_model(hub_model("org/old-name", hub_id="a1" * 12, downloads=300))
    with database.session() as session:
        store_repos(session, "models", [old], DAY - dt.timedelta(days=7))
        write_batch(session, [dump_row("org/new-name", downloads=400)], DAY)  # renamed meanwhile
    assert len(rows(database, "SELECT id FROM hf_models")) == 2
    renamed = parse_model(hub_model("org/new-name", hub_id="a1" * 12, downloads=450))
    with database.session() as session:
        store_repos(session, "models", [renamed], DAY + dt.timedelta(days=1))
    assert rows(database, "SELECT hub_id, repo_id, downloads_30d FROM hf_models") == [
        ("a1" * 12, "org/new-name", 450)
    ]
    days = [
        str(day)[:10] for (day,) in rows(database, "SELECT captured_on FROM hf_model_snapshots ORDER BY 1")
    ]
    assert days == ["2024-12-30", "2025-01-06", "2025-01-07"]  # the dump's day moved over
    assert rows(database, "SELECT name FROM former_names") == [("org/old-name",)]


def test_a_dump_matches_stored_models_by_repo_id_and_former_name(database: Database) -> None:
    api = parse_model(hub_model("org/current", hub_id="b2" * 12, downloads=50))
    with database.session() as session:
        store_repos(session, "models", [parse_model(hub_model("org/before", hub_id="b2" * 12))], DAY)
        store_repos(session, "models", [api], DAY + dt.timedelta(days=14))
        # an older dump: the model under its former name; only the active head gets that day's snapshot
        write_batch(session, [dump_row("org/before", downloads=150)], DAY + dt.timedelta(days=7))
    assert rows(database, "SELECT hub_id, repo_id, downloads_30d FROM hf_models") == [
        ("b2" * 12, "org/current", 50)
    ]
    snapshots = rows(database, "SELECT captured_on, downloads_30d FROM hf_model_snapshots ORDER BY 1")
    assert [(str(day)[:10], value) for day, value in snapshots][1] == ("2025-01-13", 150)


def test_a_batch_of_a_dump_finds_every_model_the_api_stored(database: Database) -> None:
    api = [parse_model(hub_model(f"org/m{i}", downloads=10 * i)) for i in range(5)]
    with database.session() as session:
        store_repos(session, "models", api, DAY)
        write_batch(
            session, [dump_row(f"org/m{i}", downloads=i) for i in range(5)] + [dump_row("x/new")], DAY
        )
    stored = dict(rows(database, "SELECT repo_id, hub_id FROM hf_models"))
    assert stored == {**{row.repo_id: row.hub_id for row in api}, "x/new": dump_hub_id("x/new")}


def test_counts_too_large_for_their_column_are_refused_never_wrapped_around(database: Database) -> None:
    """PostgreSQL's `likes` is a 32-bit integer: a larger count fails the page (as the server's out-of-range
    error always did) instead of being stored as another number; SQLite keeps the count as it is."""
    import pytest
    from sqlalchemy.exc import DBAPIError

    big = dump_row("org/popular")
    big.likes = 2**40 + 7
    fine = dump_row("org/plain")
    try:
        with database.session() as session:
            write_batch(session, [fine, big], DAY)
    except DBAPIError:
        assert database.backend == "postgresql"
        assert rows(database, "SELECT repo_id FROM hf_models") == []
        return
    if database.backend == "postgresql":
        pytest.fail("a count too large for a 32-bit column was stored")
    assert sorted(rows(database, "SELECT repo_id, likes FROM hf_models")) == [
        ("org/plain", fine.likes),
        ("org/popular", 2**40 + 7),
    ]


@pytest.mark.parametrize(
    ("bits", "file"),
    [(WrittenKeys.BITS, "models"), (8, "models"), *((WrittenKeys.BITS, kind) for kind in HOSTILE)],
    ids=["filter", "filter-always-maybe", *HOSTILE],
)
def test_a_first_dump_into_an_empty_table_stores_what_the_matching_path_stores(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bits: int, file: str
) -> None:
    """The bulk path (models certainly new inserted as columns without lookups, indexes and foreign keys built
    at the end) and the path that matches every model against the stored ones give the same tables, row for
    row, on an empty database, and the same roll-up of the day; a model listed twice in different batches
    with other figures included (the last listing is stored, the highest figures rolled up), and the hostile
    files' types and values. With a filter of 8 bits nearly every model "may have been written" and takes the
    matching path: false positives change nothing."""
    monkeypatch.setattr(WrittenKeys, "BITS", bits)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.dump_data import Variant, models_of, parquet_bytes
    from tests.test_dump_read import _hostile
    from tracker.attribution.lineage import update_roots
    from tracker.attribution.rollups import refresh_dump_totals
    from tracker.sources.huggingface.dump_read import read_dump
    from tracker.sources.huggingface.dump_store import (
        LINEAGE_CHANGES,
        count_listed,
        end_staging,
        mark_unlisted,
    )

    path = tmp_path / "models.parquet"
    if file == "models":
        listed = models_of(3, count=60)
        again = {**listed[2], "downloads": (listed[2]["downloads"] or 0) + 1000, "likes": 0}
        assert listed[2]["likes"]  # the first listing has the higher likes, the second the higher downloads
        path.write_bytes(parquet_bytes([*listed, again], Variant()))
    else:  # counts that fit PostgreSQL's 32-bit columns (what the reader makes of others: tests/test_dump_read.py)
        table = _hostile(file)
        for name in ("likes", "trendingScore"):
            if name in table.column_names:
                index = table.schema.get_field_index(name)
                table = table.set_column(index, name, pa.array(range(table.num_rows), pa.int64()))
        pq.write_table(table, path, row_group_size=5)
        listed = [None] * len({row.repo_id for batch in read_dump(path) for row in batch.rows})

    def write(bulk: bool) -> dict[str, list[tuple[Any, ...]]]:
        with database.session() as session:
            if not bulk:  # the matching path: a table that is not empty (the model is removed below)
                session.add(HfModel(hub_id="sentinel", repo_id="zz-sentinel/model"))
                session.flush()
            write = start_dump(session, DAY, first_dump_roots)
            assert write.into_empty == bulk
            for batch in read_dump(path, batch_rows=9):
                store_dump_batch(session, batch, DAY, write if bulk else None)
            end_staging(session, write)
            session.execute(text("DELETE FROM hf_models WHERE hub_id = 'sentinel'"))
            assert mark_unlisted(session, write) == (0, 0)
            update_roots(session.connection(), LINEAGE_CHANGES)
            refresh_dump_totals(session, DAY, write.listed)
            assert count_listed(session, write) == len(listed)
            end_dump(session, write)
        key = "(SELECT hub_id FROM hf_models m WHERE m.id = {}) AS hub_id"
        tables = {
            "models": rows(database, "SELECT * FROM hf_models ORDER BY hub_id"),
            "parents": rows(
                database,
                f"SELECT {key.format('child_id')}, parent_repo_id, relation, position, source "
                "FROM hf_model_parents ORDER BY 1, 2",
            ),
            "snapshots": rows(
                database,
                f"SELECT {key.format('model_id')}, captured_on, downloads_30d, downloads_all_time, likes, "
                "trending_score FROM hf_model_snapshots ORDER BY 1, 2",
            ),
            "totals": rows(
                database,
                "SELECT captured_on, country, root_country, models, downloads_30d, likes "
                "FROM hf_daily_country_totals ORDER BY 1, 2, 3",
            ),
        }
        if tables["models"]:  # the unique key of placeholder keys is back: one is refused twice
            with pytest.raises(IntegrityError), database.session() as session:
                session.execute(
                    text("INSERT INTO hf_models (hub_id, repo_id) SELECT hub_id, 'x/y' FROM hf_models")
                )
        with database.session() as session:
            for table in ("hf_model_snapshots", "hf_model_parents", "hf_models", "hf_daily_country_totals"):
                session.execute(text(f"DELETE FROM {table}"))
        return tables

    bulk, matched = write(True), write(False)
    # what the bulk path dropped is back: every index, and the foreign keys refuse an orphan snapshot
    declared = {index.name for table in ("hf_models", "hf_model_parents", "hf_model_snapshots")
                for index in Base.metadata.tables[table].indexes}  # fmt: skip
    catalog = "pg_indexes" if database.backend == "postgresql" else "sqlite_master WHERE type = 'index'"
    found = {
        name
        for (name,) in rows(database, f"SELECT {'indexname' if 'pg' in catalog else 'name'} FROM {catalog}")
    }
    assert declared <= found
    with pytest.raises(IntegrityError), database.session() as session:
        session.execute(
            text("INSERT INTO hf_model_snapshots (model_id, captured_on) VALUES (-1, '2025-01-01')")
        )
    assert len(bulk["models"]) == len(listed) and bulk["snapshots"]
    assert bulk["parents"] or file != "models"
    without_id = [[row[1:] for row in result["models"]] for result in (bulk, matched)]  # ids keep counting
    assert without_id[0] == without_id[1]
    assert bulk["parents"] == matched["parents"]
    assert bulk["snapshots"] == matched["snapshots"]
    assert bulk["totals"] == matched["totals"] and bulk["totals"]
    if file == "models":  # the repeat's highest figures of both listings
        figures = [(downloads, likes) for *_, downloads, likes in bulk["totals"]]
        assert [tuple(map(sum, zip(*figures, strict=True)))] == [
            (
                sum(row["downloads"] or 0 for row in listed) + 1000,
                sum(row["likes"] or 0 for row in listed),
            )
        ]


def _whole_dump(database: Database, listed: list[RepoRow] | Path, day: dt.date) -> None:
    """`listed` (rows, or a file read in batches of 5) as one whole dump of `day`: rows, unlisted marks and
    its `hf_dumps` row."""
    from tracker.db.models import HfDump
    from tracker.sources.huggingface.dump_read import read_dump
    from tracker.sources.huggingface.dump_store import end_staging, mark_unlisted

    with database.session() as session:
        write = start_dump(session, day, first_dump_roots)
        batches = (
            [DumpBatch.of(listed)]
            if isinstance(listed, list)
            else read_dump(listed, 5, build=write.into_empty)
        )
        for batch in batches:
            store_dump_batch(session, batch, day, write)
        end_staging(session, write)
        mark_unlisted(session, write)
        end_dump(session, write)
        session.add(
            HfDump(commit_id=f"{day:%Y%m%d}".ljust(40, "0"), repo="r/d", filename="models.parquet",
                   committed_at=dt.datetime.combine(day, dt.time(20), dt.timezone.utc), dump_on=day,
                   models=0, skipped=0, status="ingested")
        )  # fmt: skip


def test_a_repo_id_two_stored_rows_carry_is_matched_row_by_row(database: Database, tmp_path: Path) -> None:
    """A later dump updates the counters of a model listed as stored by repo id and digest, in one statement:
    a repo id that two rows carry would update both. Such a name goes through the matching path, which writes
    the last row under it; the other is no longer listed."""
    from tests.dump_data import Variant, models_of, parquet_bytes
    from tracker.db.models import HfModel

    first = models_of(1, count=12)
    second = [{**row, "downloads": row["downloads"] + 1} for row in first]
    files = [tmp_path / "first.parquet", tmp_path / "second.parquet"]
    for path, listed in zip(files, (first, second), strict=True):
        path.write_bytes(parquet_bytes(listed, Variant()))
    _whole_dump(database, files[0], DAY)
    twice = first[4]["id"]
    copied = ", ".join(
        column.name for column in HfModel.__table__.columns if column.name not in ("id", "hub_id")
    )
    with database.session() as session:  # a second row under the same name, written from the same values
        session.execute(
            text(f"INSERT INTO hf_models (hub_id, {copied}) SELECT 'other', {copied} FROM hf_models "
                 "WHERE repo_id = :name"),
            {"name": twice},
        )  # fmt: skip
    later = DAY + dt.timedelta(days=7)
    _whole_dump(database, files[1], later)
    found = rows(database, f"SELECT downloads_30d, unlisted_on FROM hf_models WHERE repo_id = '{twice}'")
    # one of the two is written (which one the lookup returns last), the other no longer listed
    assert sorted((row[0], str(row[1])[:10] if row[1] else "") for row in found) == [
        (first[4]["downloads"], str(later)),
        (second[4]["downloads"], ""),
    ]
    moved = rows(database, f"SELECT COUNT(*) FROM hf_models WHERE metrics_on = '{later}'")
    assert moved == [(len(second),)]


def test_a_dump_leaves_a_model_listed_as_it_was_alone_and_its_metrics_hold_on_the_newest_day(
    database: Database,
) -> None:
    """Rewriting every row of the Hub only to move its dates costs about as much as the rest of a dump: a
    listed model whose values did not change keeps its row as it is. The views still date its metrics to the
    newest dump; a model listed again after a gap is written (so it counts as listed); an older dump written
    later only adds history and hides nothing a newer dump listed."""
    week = dt.timedelta(days=7)

    def state() -> dict[str, tuple[Any, ...]]:
        found = rows(
            database,
            "SELECT m.repo_id, m.likes, m.metrics_on, m.last_seen_on, m.unlisted_on, l.captured_on "
            "FROM hf_models m JOIN hf_model_latest l ON l.repo_id = m.repo_id",
        )
        return {
            row[0]: tuple(str(value)[:10] if value is not None else None for value in row[1:])
            for row in found
        }

    def listing(likes: dict[str, int]) -> list[RepoRow]:
        batch = []
        for repo_id, count in likes.items():
            row = dump_row(repo_id, downloads=5)  # the tail: no snapshot unless something changes
            row.likes = count
            batch.append(row)
        return batch

    first, second, third = DAY, DAY + week, DAY + 2 * week
    _whole_dump(database, listing({"a/same": 1, "b/moves": 1, "c/gap": 1}), first)
    _whole_dump(database, listing({"a/same": 1, "b/moves": 2}), second)
    after = state()
    d1, d2, d3 = (str(day) for day in (first, second, third))
    assert after["a/same"] == ("1", d1, d1, None, d2)  # the row as it was; its metrics hold on the newest day
    assert after["b/moves"] == ("2", d2, d2, None, d2)
    assert after["c/gap"] == (
        "1",
        d1,
        d1,
        d2,
        d1,
    )  # no longer listed: its metrics are those it was last seen with

    _whole_dump(database, listing({"a/same": 1, "b/moves": 2, "c/gap": 1}), third)
    after = state()
    assert after["c/gap"] == ("1", d3, d3, None, d3)  # listed again, with the same values: written
    assert after["a/same"][1:] == (d1, d1, None, d3)

    # an older dump written after the newer ones: a's other figure stays history, b (not listed) stays listed,
    # and the model only it lists is marked from the next dump written
    older = DAY + dt.timedelta(days=10)
    _whole_dump(database, listing({"a/same": 7, "n/only-then": 1}), older)
    after = state()
    assert after["a/same"] == ("1", d1, d1, None, d3)
    assert after["b/moves"][3] is None
    assert after["n/only-then"][:4] == ("1", str(older), str(older), d3)
    assert rows(database, "SELECT count(*) FROM hf_model_snapshots s JOIN hf_models m ON m.id = s.model_id "
                "WHERE m.repo_id = 'a/same'") == [(1,)]  # fmt: skip


def test_a_first_dump_older_than_a_dump_written_is_marked_from_that_dump(
    database: Database, tmp_path: Path
) -> None:
    """A first dump stages nothing but repeats: every model in hf_models is one it listed. Into an empty table
    after a newer dump was written (which listed none of them), its models are marked no longer listed from
    that dump's day, as the models an older dump adds always are; its day is counted and rolled up whole."""
    from tests.dump_data import Variant, models_of, parquet_bytes
    from tracker.attribution.rollups import refresh_dump_totals
    from tracker.db.models import HfDump
    from tracker.sources.huggingface.dump_read import read_dump
    from tracker.sources.huggingface.dump_store import count_listed, end_staging, mark_unlisted

    later = DAY + dt.timedelta(days=7)
    with database.session() as session:
        session.add(
            HfDump(commit_id="later".ljust(40, "0"), repo="r/d", filename="models.parquet",
                   committed_at=dt.datetime.combine(later, dt.time(20), dt.timezone.utc), dump_on=later,
                   models=0, skipped=0, status="ingested")
        )  # fmt: skip
    listed = models_of(2, count=20)
    path = tmp_path / "models.parquet"
    path.write_bytes(parquet_bytes(listed, Variant()))
    with database.session() as session:
        write = start_dump(session, DAY, first_dump_roots)
        assert write.into_empty and write.listed.every_model
        for batch in read_dump(path, batch_rows=6, build=True):
            store_dump_batch(session, batch, DAY, write)
        end_staging(session, write)
        assert count_listed(session, write) == len(listed)
        assert mark_unlisted(session, write) == (len(listed), 0)
        refresh_dump_totals(session, DAY, write.listed)
        end_dump(session, write)
    assert rows(database, "SELECT DISTINCT unlisted_on FROM hf_models") in ([(later,)], [(str(later),)])
    assert rows(database, "SELECT SUM(models), SUM(downloads_30d) FROM hf_daily_country_totals") == [
        (len(listed), sum(row["downloads"] or 0 for row in listed))
    ]


def test_a_later_dump_builds_only_the_rows_of_changed_models_and_stores_what_the_matching_path_stores(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Models a later dump lists as the newest dump wrote them but for their counters (same digest) are staged,
    snapshotted and their counters updated without building their rows. Over four dumps (counters, tags,
    parents and authors that change, likes of the tail, an active model falling into the tail, a model the API
    wrote in between, one missing for a dump and listed again, models listed twice, new ones, a day written
    again, an older dump written last) the tables are those of the path that builds and matches every row."""
    from tests.dump_data import Variant, models_of, parquet_bytes
    from tracker.attribution.lineage import update_roots
    from tracker.db.models import HfDump
    from tracker.sources.huggingface import dump_read
    from tracker.sources.huggingface.dump_read import read_dump
    from tracker.sources.huggingface.dump_store import LINEAGE_CHANGES, end_staging, mark_unlisted
    from tracker.sources.huggingface.later_dump import StoredDigests

    first = models_of(3, count=60)
    tail = [
        row["id"] for row in first[12:] if row["downloads"] < 90
    ]  # models a counter change leaves in the tail
    active = next(row["id"] for row in first[12:] if row["downloads"] >= 100)

    def edited(listing: list[dict[str, Any]], repo_id: str, **values: Any) -> dict[str, Any]:
        row = next(row for row in listing if row["id"] == repo_id)
        return {**row, **{name: change(row[name]) for name, change in values.items()}}

    def edit(listing: list[dict[str, Any]], repo_id: str, **values: Any) -> None:
        listing[next(i for i, row in enumerate(listing) if row["id"] == repo_id)] = edited(
            listing, repo_id, **values
        )

    more = lambda count: lambda value: value + count  # noqa: E731
    second = [dict(row) for row in first if row["id"] != first[7]["id"]]  # one missing for a dump
    second[0]["downloads"] += 1
    second[1]["tags"] = [*second[1]["tags"], "new-tag"]
    second[3]["baseModels"] = {"relation": "merge", "models": [{"_id": "y" * 24, "id": "qwen/model-1"}]}
    second[4]["author"] = "someone-else"
    second.append({**first[2], "id": "qwen/brand-new"})
    edit(second, tail[0], likes=more(1))  # a snapshot kept only for the likes
    edit(second, active, downloads=lambda _: 5)  # falls into the tail: kept for the downloads it had
    third = [*second, first[7]]  # listed again, as it was
    edit(third, tail[3], likes=more(2))
    third_again = [dict(row) for row in third]  # the same day written again (`--force`), one count moved
    edit(third_again, tail[3], downloads=more(1))  # a snapshot kept for the day it was written on
    # listed twice, in other batches (the last listing wins): as stored, then with other counters; with
    # other tags, then as stored
    edit(second, tail[2], tags=lambda tags: [*tags, "once"])
    second.extend([edited(second, tail[1], downloads=more(2)), edited(first, tail[2])])
    days = [DAY, DAY + dt.timedelta(days=7), DAY + dt.timedelta(days=14), DAY + dt.timedelta(days=14)]
    days.append(DAY + dt.timedelta(days=10))
    files = []
    for number, listed in enumerate([first, second, third, third_again, first]):
        files.append(tmp_path / f"day{number}.parquet")
        files[-1].write_bytes(parquet_bytes(listed, Variant()))
    api_row = parse_model(hub_model(first[10]["id"], downloads=first[10]["downloads"] + 3))
    built: list[int] = []
    real_rows = dump_read._rows

    def counting_rows(values: Any, ids: Any, digests: Any) -> list[RepoRow]:
        built.append(len(ids))
        return real_rows(values, ids, digests)

    monkeypatch.setattr(dump_read, "_rows", counting_rows)

    def backfill(matching: bool) -> tuple[list[int], dict[str, list[tuple[Any, ...]]]]:
        if matching:  # no stored digest is ever found: every row is built and matched
            nothing = np.zeros(0, np.int64)
            monkeypatch.setattr(StoredDigests, "load", classmethod(lambda cls, *_: cls.of(nothing, nothing)))
        per_dump = []
        for number, (path, day) in enumerate(zip(files, days, strict=True)):
            built.clear()
            with database.session() as session:
                write = start_dump(session, day, first_dump_roots)
                for batch in read_dump(path, batch_rows=9, build=write.into_empty):
                    store_dump_batch(session, batch, day, write)
                end_staging(session, write)
                mark_unlisted(session, write)
                update_roots(session.connection(), LINEAGE_CHANGES)
                end_dump(session, write)
                session.add(
                    HfDump(commit_id=f"{number}".ljust(40, "0"), repo="r/d", filename="models.parquet",
                           committed_at=dt.datetime.combine(day, dt.time(20), dt.timezone.utc), dump_on=day,
                           models=0, skipped=0, status="ingested")
                )  # fmt: skip
            per_dump.append(sum(built))
            if number == 0:  # the API lists one model between the first two dumps
                with database.session() as session:
                    store_repos(session, "models", [api_row], DAY + dt.timedelta(days=3))
        key = "(SELECT repo_id FROM hf_models m WHERE m.id = {}) AS repo_id"
        tables = {
            "models": rows(database, "SELECT * FROM hf_models ORDER BY repo_id"),
            "parents": rows(
                database,
                f"SELECT {key.format('child_id')}, parent_repo_id, relation, position, "
                "source FROM hf_model_parents ORDER BY 1, 2",
            ),  # fmt: skip
            "snapshots": rows(
                database,
                f"SELECT {key.format('model_id')}, captured_on, downloads_30d, "
                "downloads_all_time, likes, trending_score FROM hf_model_snapshots ORDER BY 1, 2",
            ),  # fmt: skip
            "names": rows(database, "SELECT entity, name, replaced_on FROM former_names ORDER BY 2"),
        }
        with database.session() as session:
            for table in ("hf_model_snapshots", "hf_model_parents", "former_names", "hf_dumps", "hf_models"):
                session.execute(text(f"DELETE FROM {table}"))
        return per_dump, tables

    fast_built, fast = backfill(False)
    matching_built, matching = backfill(True)
    # the first dump goes in as columns (no row built); then every row of every dump is built and matched
    assert matching_built == [0, len(second), len(third), len(third), len(first)]
    # the second dump builds the three models with other values than their counters, the new one, the one
    # the API wrote last, and the three listings of repeated models after a first listing as stored or before
    # a last one; the third only the one listed again; the same day again none; the older dump every row it
    # lists (it only adds history, matched row by row)
    assert fast_built == [0, 8, 1, 0, len(first)]
    active = next(row["id"] for row in second[5:] if row["downloads"] >= 100 and row["id"] != api_row.repo_id)
    assert (active, str(days[1])) in {
        (row[0], str(row[1])[:10]) for row in fast["snapshots"]
    }  # left alone, kept
    assert [row[1:] for row in fast["models"]] == [row[1:] for row in matching["models"]]  # ids keep counting
    for table in ("parents", "snapshots", "names"):
        assert fast[table] == matching[table], table
