"""Finding and reading the Hub's dumps: commit listing and selection, Parquet reading with schema drift."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.dump_data import Variant, models_of, parquet_bytes
from tests.fakes.hub_dumps import DumpDay, FakeDumpRepo
from tracker.http import HttpClient, HubRateLimitPolicy
from tracker.sources.huggingface.dump_read import read_dump
from tracker.sources.huggingface.dumps import DumpCommit, list_dump_commits, pick_dumps

UTC = dt.timezone.utc


def commit(when: str, name: str | None = None) -> DumpCommit:
    moment = dt.datetime.fromisoformat(when).replace(tzinfo=UTC)
    return DumpCommit(name or when, moment)


def test_the_dump_of_a_day_is_its_last_commit_and_every_picks_the_last_of_each_period() -> None:
    commits = [
        commit("2025-01-06T08:00:00"),
        commit("2025-01-06T20:00:00"),  # the Monday's dump
        commit("2025-01-08T10:00:00"),
        commit("2025-01-12T23:59:00"),  # Sunday: last of ISO week 2
        commit("2025-01-13T01:00:00"),  # Monday: week 3
        commit("2025-02-01T12:00:00"),
    ]
    days = pick_dumps(commits, every="day")
    assert [c.commit_id for c in days] == [
        "2025-01-06T20:00:00",
        "2025-01-08T10:00:00",
        "2025-01-12T23:59:00",
        "2025-01-13T01:00:00",
        "2025-02-01T12:00:00",
    ]
    weeks = pick_dumps(reversed(commits), every="week")
    assert [c.commit_id for c in weeks] == [
        "2025-01-12T23:59:00",
        "2025-01-13T01:00:00",
        "2025-02-01T12:00:00",
    ]
    months = pick_dumps(commits, every="month", start=dt.date(2025, 1, 7), end=dt.date(2025, 1, 31))
    assert [c.commit_id for c in months] == ["2025-01-13T01:00:00"]
    with pytest.raises(ValueError):
        pick_dumps(commits, every="year")


def test_commits_are_listed_across_link_pages_newest_first() -> None:
    days = [
        DumpDay(f"{i:040x}", dt.datetime(2025, 1, 1, tzinfo=UTC) + dt.timedelta(days=i), b"x")
        for i in range(7)
    ]
    with FakeDumpRepo(days=days, page_size=3) as fake:
        client = HttpClient(fake.url, HubRateLimitPolicy())
        listed = list(list_dump_commits(client, fake.repo))
    pages = [seen for seen in fake.requests if "/commits/" in seen.path]
    assert len(pages) == 3  # 3 + 3 + 1
    assert [c.commit_id for c in listed] == [day.commit_id for day in reversed(days)]
    assert listed[0].committed_at == days[-1].committed_at


def _write(tmp_path: Path, variant: Variant, rows: list[dict] | None = None) -> Path:
    path = tmp_path / "models.parquet"
    path.write_bytes(parquet_bytes(rows if rows is not None else models_of(0), variant))
    return path


def _read_all(path: Path, batch_rows: int = 7) -> tuple[dict, int]:
    rows, skipped = {}, 0
    for batch in read_dump(path, batch_rows=batch_rows):
        rows.update({row.repo_id: row for row in batch.rows})
        skipped += batch.skipped
    return rows, skipped


def test_reading_a_full_day_with_an_unknown_column(tmp_path: Path) -> None:
    written = models_of(0)
    rows, skipped = _read_all(_write(tmp_path, Variant(extra_column=True)))
    assert skipped == 0 and len(rows) == len(written)
    first = written[7]  # a parent only in baseModels
    row = rows[first["id"]]
    assert row.hub_id == "" and row.author == first["author"]
    assert row.created_at == first["createdAt"] and row.last_modified == first["lastModified"]
    assert (row.downloads_30d, row.likes, row.downloads_all_time) == (
        first["downloads"],
        first["likes"],
        first["downloadsAllTime"],
    )
    assert row.tags == first["tags"] and row.license == "apache-2.0"
    assert [(p.repo_id, p.relation, p.source) for p in row.parents] == [
        (first["baseModels"]["models"][0]["id"], "finetune", "dump")
    ]
    tagged = rows[written[3]["id"]]  # the same parent in a `base_model:` tag: read as the API collector does
    assert [(p.repo_id, p.source) for p in tagged.parents] == [
        (written[3]["baseModels"]["models"][0]["id"], "tag")
    ]
    assert rows[written[0]["id"]].gated == "manual"


def test_a_day_without_gated_and_a_day_with_text_timestamps_read_the_same_values(tmp_path: Path) -> None:
    plain, _ = _read_all(_write(tmp_path, Variant()))
    no_gated, _ = _read_all(_write(tmp_path, Variant(gated=False)))
    as_text, _ = _read_all(_write(tmp_path, Variant(created_as_text=True)))
    assert all(row.gated is None for row in no_gated.values())
    assert any(row.gated == "manual" for row in plain.values())
    for repo_id, row in plain.items():
        assert as_text[repo_id].created_at == row.created_at
        assert as_text[repo_id].last_modified == row.last_modified
        assert as_text[repo_id].created_at.tzinfo is not None


def test_rows_without_id_are_counted_and_skipped(tmp_path: Path) -> None:
    rows, skipped = _read_all(_write(tmp_path, Variant(rows_without_id=3)), batch_rows=5)
    assert skipped == 3 and len(rows) == len(models_of(0))


def test_the_placeholder_creation_date_stays_null(tmp_path: Path) -> None:
    written = models_of(0)[:2]
    written[0]["createdAt"] = dt.datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)
    rows, _ = _read_all(_write(tmp_path, Variant(), written))
    row = rows[written[0]["id"]]
    assert row.created_at is None and row.created_at_unknown
    assert rows[written[1]["id"]].created_at_unknown is False


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "+05:30", None])
def test_timestamps_in_any_zone_read_as_the_same_instant_in_utc(tmp_path: Path, zone: str | None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    moments = [
        dt.datetime(2024, 7, 1, 22, 30, 5, 123000, tzinfo=UTC),
        None,
        dt.datetime(2019, 1, 1, tzinfo=UTC),
    ]
    stored = moments if zone is not None else [m.replace(tzinfo=None) if m else None for m in moments]
    path = tmp_path / "zones.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["a/one", "a/two", "a/three"],
                "createdAt": pa.array(stored, pa.timestamp("ms", tz=zone)),
                "lastModified": pa.array(stored, pa.timestamp("us", tz=zone)),
            }
        ),
        path,
    )
    rows, _ = _read_all(path)
    for repo_id, moment in zip(("a/one", "a/two", "a/three"), moments, strict=True):
        assert rows[repo_id].created_at == moment and rows[repo_id].last_modified == moment
        if moment is not None:
            assert rows[repo_id].created_at.tzinfo is UTC and rows[repo_id].last_modified.tzinfo is UTC
