"""`tracker export`: every view and the daily roll-ups round-trip through Parquet and CSV to the views' rows."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import text

from tests.shift_data import build_rising_china, build_small
from tracker.attribution.rollups import refresh_daily_totals
from tracker.cli import main
from tracker.db.engine import Database
from tracker.db.views import VIEWS
from tracker.export import EXPORTED, ExportError, export


def normal(value: Any) -> Any:
    """One comparable form for a value read from the database, Parquet or CSV."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")[:19]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text_ = str(value)
    if text_ in ("true", "false"):
        return int(text_ == "true")
    for kind in (int, float):
        try:
            return normal(kind(text_))
        except ValueError:
            pass
    return text_.replace("T", " ").removesuffix("Z")[:19] if text_[:4].isdigit() and "-" in text_ else text_


def rows_of(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(normal(v) for v in record.values()) for record in records), key=repr)


@pytest.fixture
def filled(database: Database) -> Database:
    with database.session() as session:
        build_small(session)
        build_rising_china(session, "2024-01", 3)
        refresh_daily_totals(session)
    return database


def test_every_view_round_trips_through_parquet_and_csv(filled: Database, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = export(filled, out)
    assert set(EXPORTED) == {view.name for view in VIEWS} | {"hf_daily_country_totals"}
    assert "hf_model_latest" in EXPORTED
    for name in EXPORTED:
        with filled.read_only_session() as session:
            cursor = session.execute(text(f"SELECT * FROM {name}"))
            columns = list(cursor.keys())
            expected = rows_of([dict(zip(columns, row, strict=True)) for row in cursor.all()])
        table = pq.read_table(out / f"{name}.parquet")
        assert table.column_names == columns, name
        assert rows_of(table.to_pylist()) == expected, name
        with (out / f"{name}.csv").open(newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            assert reader.fieldnames == columns, name
            assert rows_of(list(reader)) == expected, name
        assert pa_csv.read_csv(out / f"{name}.csv").num_rows == len(expected) or not expected
    counts = {file.name: file.rows for file in result.files if file.fmt == "parquet"}
    with filled.read_only_session() as session:
        models = session.execute(text("SELECT COUNT(*) FROM hf_models")).scalar()
    assert counts["hf_model_latest"] == models and counts["hf_daily_country_totals"] > 0


def test_card_and_datapackage_describe_every_file(filled: Database, tmp_path: Path) -> None:
    out = tmp_path / "export"
    export(filled, out, ["parquet"])
    assert not list(out.glob("*.csv"))
    card = (out / "README.md").read_text()
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] and front["pretty_name"]
    assert [c["config_name"] for c in front["configs"]] == list(EXPORTED)
    assert all((out / c["data_files"]).is_file() for c in front["configs"])
    for view in VIEWS:
        for meaning in view.columns.values():
            assert meaning in card
    assert "precision" in card and "0.993" in card and "Known limits" in card
    assert "2025-03-01" in card  # newest metrics date
    package = json.loads((out / "datapackage.json").read_text())
    paths = {resource["path"] for resource in package["resources"]}
    assert paths == {f"{name}.parquet" for name in EXPORTED}
    names = [resource["name"] for resource in package["resources"]]
    assert len(names) == len(set(names))
    latest = next(r for r in package["resources"] if r["path"] == "hf_model_latest.parquet")
    fields = {field["name"]: field for field in latest["schema"]["fields"]}
    assert fields["downloads_30d"]["type"] == "integer" and fields["repo_id"]["description"]


def test_export_command_and_bad_format(filled: Database, database_url: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli-export"
    assert main(["--database-url", database_url, "export", "--out", str(out), "--format", "csv"]) == 0
    printed = capsys.readouterr().out.split()
    assert str(out / "hf_model_latest.csv") in printed and str(out / "datapackage.json") in printed
    assert main(["--database-url", database_url, "export", "--out", str(out), "--format", "xlsx"]) == 2
    assert "unknown format xlsx" in capsys.readouterr().err
    with pytest.raises(ExportError):
        export(filled, out, ["xlsx"])


def test_empty_database_exports_files_with_columns(database: Database, tmp_path: Path) -> None:
    export(database, tmp_path / "empty")
    table = pq.read_table(tmp_path / "empty" / "hf_model_latest.parquet")
    assert table.num_rows == 0 and "repo_id" in table.column_names
