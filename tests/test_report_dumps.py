"""The Hub's dumps in the report, end to end (both back ends): `tracker backfill huggingface --every month`
(and `--every week`) against a fake dump repository, then `tracker report` and the signal pages.

Seven month-end dumps (2025-04-30 to 2025-10-31, one mid-month commit that `--every month` does not read)
give the downloads and likes signals a point per dump, across the Hub's download counting change of
2025-07-25. Nine weekly dumps (2025-06-30 to 2025-08-25) give them a point per dump next to a monthly
series of month-end values. The figures are compared with what the files say, computed here from the rows
as written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.dump_data import Variant, expected_totals, models_of, parquet_bytes
from tests.fakes.hub_dumps import DumpDay, FakeDumpRepo
from tests.test_backfill_huggingface import add_registry
from tracker.cli import main
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.reports.charts import share_series
from tracker.web import create_app

TODAY = "2025-11-10"  # ten days after the newest dump: stale
MONTH_ENDS = [dt.date(2025, month, 1) - dt.timedelta(days=1) for month in range(5, 12)]  # 2025-04-30 ...


def dumps_on(on: list[dt.date], letter: str) -> tuple[list[DumpDay], dict[dt.date, list[dict[str, Any]]]]:
    """A commit at 18:30 UTC on each day (the Hub growing from one to the next) and, per day, its rows."""
    days, rows_of = [], {}
    for index, day in enumerate(on):
        rows = models_of(index)
        at = dt.datetime.combine(day, dt.time(18, 30), tzinfo=dt.timezone.utc)
        days.append(DumpDay(f"{index:02d}" + letter * 38, at, parquet_bytes(rows, Variant())))
        rows_of[day] = rows
    return days, rows_of


def served_dumps() -> tuple[list[DumpDay], dict[dt.date, list[dict[str, Any]]]]:
    """The commits served (month ends and one mid-month commit) and, per dump read, its rows."""
    days, rows_of = dumps_on(MONTH_ENDS, "e")
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


# --- Weekly dumps: a point per dump ---------------------------------------------------------------------

WEEKLY_TODAY = "2025-09-01"
MONDAYS = [dt.date(2025, 6, 30) + dt.timedelta(weeks=week) for week in range(9)]  # to 2025-08-25
CHANGE = {"on": "2025-07-25", "note": "downloads of params.json files counted"}


def expected_point(rows: list[dict[str, Any]], column: str) -> dict[str, Any]:
    """What a day's file says, by author country, worked out from its rows (as report.json rounds it)."""
    value = {"downloads": 1, "likes": 2}[column]
    by_country = expected_totals(rows)
    total = sum(values[value] for values in by_country.values())
    attributed = sum(values[value] for country, values in by_country.items() if country)
    return {
        "total": total,
        "attributed_total": attributed,
        "CN of attributed": round(by_country["CN"][value] / attributed * 100, 2),
        "US of attributed": round(by_country["US"][value] / attributed * 100, 2),
        "CN of total": round(by_country["CN"][value] / total * 100, 2),
        "coverage": round(attributed / total * 100, 2),
    }


@pytest.fixture
def weekly(
    database: Database, database_url: str, config: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[dt.date, list[dict[str, Any]]]:
    """The database after `tracker backfill huggingface --every week` of nine weekly dumps; their rows."""
    monkeypatch.setenv("TRACKER_TODAY", WEEKLY_TODAY)
    add_registry(database)
    days, rows_of = dumps_on(MONDAYS, "w")  # across the counting change of 2025-07-25
    with FakeDumpRepo(days=days, page_size=4) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        assert main(["--database-url", database_url, "backfill", "huggingface", "--every", "week"]) == 0
    return rows_of


def test_weekly_dumps_give_downloads_and_likes_a_point_per_dump_with_what_the_files_say(
    weekly: dict[dt.date, list[dict[str, Any]]], database_url: str, tmp_path: Path
) -> None:
    figures, markdown, page = report(database_url, tmp_path / "weekly")
    days = [day.isoformat() for day in MONDAYS]
    for key, column in (("downloads_30d", "downloads"), ("likes", "likes")):
        signal = figures["signals"][key]
        points = signal["points"]
        assert [point["day"] for point in points] == days  # one per dump, oldest first
        for point, day in zip(points, MONDAYS, strict=True):
            expected = expected_point(weekly[day], column)
            assert point["total"] == expected["total"], (key, day)
            assert point["attributed_total"] == expected["attributed_total"]
            assert point["share_attributed"]["CN"] == expected["CN of attributed"]
            assert point["share_attributed"]["US"] == expected["US of attributed"]
            assert point["shares"]["CN"] == expected["CN of total"]
            assert point["coverage"] == expected["coverage"]
        # The monthly series keeps month-end values: each month's last dump, not a sum or mean of its weeks.
        month_ends = {}
        for day in MONDAYS:
            month_ends[day.strftime("%Y-%m")] = day
        assert [(p["month"], p["collected_on"]) for p in signal["monthly"]] == [
            (month, day.isoformat()) for month, day in month_ends.items()
        ]
        for month_point in signal["monthly"]:
            expected = expected_point(weekly[dt.date.fromisoformat(month_point["collected_on"])], column)
            assert month_point["total"] == expected["total"]
            assert month_point["share_attributed"]["CN"] == expected["CN of attributed"]
        assert signal["trend"] is None  # three months: trends stay monthly, however many points

    # The counting change of 2025-07-25 marks the first point counted the new way (2025-07-28), only there.
    downloads = figures["signals"]["downloads_30d"]["points"]
    assert {p["day"]: p["counting_changes"] for p in downloads if p["counting_changes"]} == {
        "2025-07-28": [CHANGE]
    }
    assert not any(p["counting_changes"] for p in figures["signals"]["likes"]["points"])
    assert figures["signals"]["downloads_30d"]["counting_changes"] == [CHANGE]
    by_root = figures["signals"]["downloads_30d_by_root"]["points"]
    assert [p["day"] for p in by_root] == days
    assert [p["total"] for p in by_root] == [p["total"] for p in downloads]

    # The chart draws every dump at its own day (no gap: a week apart), with the change marked.
    series = share_series(figures["signals"]["downloads_30d"])
    assert series.x == MONDAYS
    assert series.values["CN"] == [p["share_attributed"]["CN"] for p in downloads]
    assert series.changes == [(dt.date(2025, 7, 25), CHANGE["note"])]
    assert series.windows == [(MONDAYS[0] - dt.timedelta(days=30), MONDAYS[-1])]  # overlapping: one stretch

    # Markdown: an appendix table per signal, newest first, the change named on its point; coverage shown.
    appendix = markdown.split("## Appendix: a point per roll-up day", 1)[1]
    section = appendix.split("### 30-day downloads by author country: by day", 1)[1].split("###", 1)[0]
    assert "9 roll-up days from 2025-06-30 to 2025-08-25 (3 calendar months), coverage " in section
    rows = [line for line in section.splitlines() if line.startswith("| 2025-")]
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows] == [
        day + (" (first after the download counting change of 2025-07-25)" if day == "2025-07-28" else "")
        for day in days[::-1]
    ]
    newest = expected_point(weekly[MONDAYS[-1]], "downloads")
    assert rows[0] == (
        f"| 2025-08-25 | {newest['attributed_total']:,} | {newest['CN of attributed']:.2f}% | "
        f"{newest['US of attributed']:.2f}% | {newest['coverage']:.2f}% | {newest['CN of total']:.2f}% |"
    )
    assert "months are the unit comparable across the API and dump eras" in markdown
    assert "_A point per roll-up day: 9 roll-up days from 2025-06-30" in markdown.split("## Limits")[0]
    # HTML: the same table, collapsed under each signal's chart.
    assert page.count("<details><summary>A point per roll-up day: 9 roll-up days") == 3
    assert "<td>2025-07-28 (first after the download counting change of 2025-07-25)</td>" in page


def test_the_signal_page_chart_has_a_point_per_dump_day(
    weekly: dict[dt.date, list[dict[str, Any]]], database: Database, database_url: str, tmp_path: Path
) -> None:
    figures, _, _ = report(database_url, tmp_path / "weekly")
    settings = load_settings({"database_url": database_url, "today": WEEKLY_TODAY})
    client = create_app(database, settings).test_client()
    for key in ("downloads_30d", "likes"):
        response = client.get(f"/signals/{key}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        cn = re.findall(r'<circle [^>]*data-series="CN" data-label="([^"]+)" data-value="([^"]+)"', html)
        points = figures["signals"][key]["points"]
        assert cn == [(point["day"], f"{point['share_attributed']['CN']:.2f}%") for point in points]
        assert [label for label, _ in cn] == [day.isoformat() for day in MONDAYS]
        assert '<table id="points">' in html
