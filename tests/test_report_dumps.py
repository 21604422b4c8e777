"""The Hub's dumps in the report, end to end (both back ends): `tracker backfill huggingface --every month`
against a fake dump repository, then `tracker report`.

Seven month-end dumps (2025-04-30 to 2025-10-31, one mid-month commit that `--every month` does not read)
give the downloads and likes signals a point per dump, across the Hub's download counting change of
2025-07-25. The figures are compared with what the files say, computed here from the rows as written.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.dump_data import Variant, expected_totals, models_of, parquet_bytes
from tests.fakes.hub_dumps import DumpDay, FakeDumpRepo
from tests.test_backfill_huggingface import add_registry
from tracker.cli import main
from tracker.db.engine import Database

TODAY = "2025-11-10"  # ten days after the newest dump: stale
MONTH_ENDS = [dt.date(2025, month, 1) - dt.timedelta(days=1) for month in range(5, 12)]  # 2025-04-30 ...


def served_dumps() -> tuple[list[DumpDay], dict[dt.date, list[dict[str, Any]]]]:
    """The commits served (month ends and one mid-month commit) and, per dump read, its rows."""
    days, rows_of = [], {}
    for index, day in enumerate(MONTH_ENDS):
        rows = models_of(index)
        at = dt.datetime.combine(day, dt.time(18, 30), tzinfo=dt.timezone.utc)
        days.append(DumpDay(f"{index:02d}" + "e" * 38, at, parquet_bytes(rows, Variant())))
        rows_of[day] = rows
    middle = dt.datetime(2025, 5, 15, 12, tzinfo=dt.timezone.utc)
    days.append(DumpDay("mid" + "0" * 37, middle, parquet_bytes(models_of(9, count=5), Variant())))
    return days, rows_of


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "tracker.toml"
    path.write_text(f'[huggingface]\ndownload_dir = "{tmp_path / "downloads"}"\n')
    monkeypatch.setenv("TRACKER_CONFIG", str(path))
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return path


def report(database_url: str, out: Path) -> tuple[dict[str, Any], str, str]:
    assert main(["--database-url", database_url, "report", "--out", str(out)]) == 0
    return (
        json.loads((out / "report.json").read_text()),
        (out / "report.md").read_text(),
        (out / "report.html").read_text(),
    )


def backfill(database_url: str, *options: str) -> int:
    return main(["--database-url", database_url, "backfill", "huggingface", "--every", "month", *options])


def test_monthly_dumps_give_downloads_and_likes_a_point_per_dump_in_the_report(
    database: Database,
    database_url: str,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    add_registry(database)
    days, rows_of = served_dumps()
    with FakeDumpRepo(days=days, page_size=3) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)

        # Three months of history: too short for the verdict, and the report names the command.
        assert backfill(database_url, "--to", "2025-06-30") == 0
        short, short_md, _ = report(database_url, tmp_path / "short")
        assert short["coverage"]["short_history"] == {
            "comparable_months": {"downloads_30d": 3, "likes": 3},
            "needed": 6,
            "command": "tracker backfill huggingface",
        }
        assert "this database has 3 for downloads and 3 for likes. `tracker backfill huggingface`" in short_md
        assert short["signals"]["downloads_30d"]["counting_changes"] == []  # 2025-07-25 is not in range

        assert backfill(database_url) == 0
    figures, markdown, page = report(database_url, tmp_path / "full")

    # A point per dump, at the dump's day (month-end values), with what the file says.
    for key, column in (("downloads_30d", "downloads"), ("likes", "likes")):
        monthly = figures["signals"][key]["monthly"]
        assert [point["collected_on"] for point in monthly] == [day.isoformat() for day in MONTH_ENDS]
        for point, day in zip(monthly, MONTH_ENDS, strict=True):
            rows = rows_of[day]
            assert point["total"] == sum(row[column] for row in rows)
            by_country = expected_totals(rows)
            position = 1 if column == "downloads" else 2
            attributed = sum(values[position] for country, values in by_country.items() if country)
            cn = by_country["CN"][position]
            assert point["share_attributed"]["CN"] == round(cn / attributed * 100, 2)
    assert figures["signals"]["downloads_30d"]["latest"]["as_of"] == MONTH_ENDS[-1].isoformat()
    assert figures["coverage"]["short_history"] is None
    assert "tracker backfill huggingface" not in markdown

    # The counting change inside the downloads series is marked; likes are not downloads.
    change = {"on": "2025-07-25", "note": "downloads of params.json files counted"}
    assert figures["signals"]["downloads_30d"]["counting_changes"] == [change]
    assert figures["signals"]["downloads_30d_by_root"]["counting_changes"] == [change]
    assert figures["signals"]["likes"]["counting_changes"] == []
    sentence = (
        "The Hub changed how it counts downloads on 2025-07-25 (downloads of params.json files counted)"
    )
    assert markdown.count(sentence) == 2 and page.count(sentence) == 2
    assert (
        "2025-07, collected 2025-07-31 (first after the download counting change of 2025-07-25)" in markdown
    )

    # The Hub's total from the newest dump, and that dump named as ten days old.
    newest_rows = len(rows_of[MONTH_ENDS[-1]])
    cover = figures["coverage"]
    assert (cover["hub_models"], cover["hub_models_on"]) == (newest_rows, "2025-10-31")
    unlisted = len(
        {r["id"] for rows in rows_of.values() for r in rows} - {r["id"] for r in rows_of[MONTH_ENDS[-1]]}
    )
    assert cover["hf_models_unlisted"] == unlisted == 1  # the model gone from later dumps is kept
    assert f"{newest_rows:,} models known of the Hub's {newest_rows:,} (100.00%" in markdown
    assert (cover["newest_dump_on"], cover["newest_dump_age_days"]) == ("2025-10-31", 10)
    assert "the newest Hub dump is from 2025-10-31, 10 days before 2025-11-10" in markdown

    # Creation months the dumps cover are complete, for every model any dump listed.
    created = {
        row["createdAt"].strftime("%Y-%m") for rows in rows_of.values() for row in rows if row["createdAt"]
    }
    new_models = figures["signals"]["new_models"]["monthly"]
    assert {point["month"] for point in new_models} == created
    assert not any(point["partial"] for point in new_models)

    # A dump collection that fails is named first, with the day the whole-Hub figures stand on.
    config.write_text(config.read_text() + 'dump_repo = "nobody/missing"\n')
    with FakeDumpRepo(days=days) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert backfill(database_url) == 1
    _, failed_md, _ = report(database_url, tmp_path / "failed")
    first = failed_md.split("## What this report stands on")[0]
    assert (
        "the Hugging Face dump collection of this run failed: whole-Hub figures are as of 2025-10-31, "
        "the newest Hub dump" in first
    )
