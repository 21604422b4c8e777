"""`tracker report`: the three files, charts embedded, the figures of the JSON in the HTML, the reports table."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.shift_data import build_rising_china, build_small
from tracker.analyses.signals import SIGNALS
from tracker.cli import main
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.db.models import Report
from tracker.reports import write_report
from tracker.reports.literature import reference_figures
from tracker.reports.render import fmt_pct

TODAY = "2025-06-01"


class PageReader(HTMLParser):
    """Collects visible text, image sources and the embedded figures JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def settings_for(database: Database, tmp_path: Path):
    return load_settings(
        {"database_url": database.url, "today": TODAY, "reports_dir": str(tmp_path / "reports")}
    )


@pytest.fixture
def filled(database: Database) -> Database:
    with database.session() as session:
        build_small(session)
        build_rising_china(session, "2024-01", 14)
    return database


def test_report_writes_three_files_with_charts_and_every_figure(filled: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = write_report(filled, settings_for(filled, tmp_path), out)
    assert sorted(path.name for path in out.iterdir()) == ["report.html", "report.json", "report.md"]
    assert sorted(result.paths) == sorted(out.iterdir())

    figures = json.loads((out / "report.json").read_text())
    assert figures["verdict"]["overall"] == result.verdict
    assert set(figures["signals"]) == {spec.key for spec in SIGNALS}
    new_models = figures["signals"]["new_models"]
    # The 14-month plan has China at i + 1 and the US at 14 - i models: China first leads at i = 7, 2024-08.
    assert new_models["call"] == "rising" and new_models["crossover_month"] == "2024-08"

    page = PageReader()
    page.feed((out / "report.html").read_text())
    text = " ".join(page.text)
    pngs = [src for src in page.images if src.startswith("data:image/png;base64,")]
    assert len(pngs) == len(page.images) >= 3  # share charts and top publishers, all embedded
    for src in pngs:
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")
    assert json.loads("".join(page.scripts).replace("<\\/", "</")) == figures
    assert result.verdict in text
    for signal in figures["signals"].values():
        assert signal["title"] in text
        for value in (
            signal["cn_share_now"],
            signal["coverage"],
            signal["cn_share_year_ago"],
            signal["cn_share_now_of_total"],
        ):
            if value is not None:
                assert fmt_pct(value) in text
        if signal["trend"]:
            assert f"{signal['trend']['slope_pp_per_month']:+.3f} pp/month" in text
    for publisher in figures["top_publishers"]:
        assert publisher["publisher"] in text
    for row in figures["literature"]:
        assert row["id"] in text and row["ours"] in text

    markdown = (out / "report.md").read_text()
    assert f"**Verdict: {result.verdict} (" in markdown
    assert fmt_pct(new_models["cn_share_now"]) in markdown

    with filled.session() as session:
        rows = session.execute(select(Report)).scalars().all()
    assert [(row.verdict, row.formats, row.figures["report_date"]) for row in rows] == [
        (result.verdict, "md,html,json", TODAY)
    ]


def test_reports_replace_files_and_say_what_changed(database: Database, tmp_path: Path) -> None:
    out = tmp_path / "weekly"
    out.mkdir()
    (out / "report.md").write_text("stale")
    settings = settings_for(database, tmp_path)
    first = write_report(database, settings, out)
    assert first.verdict == "insufficient evidence"
    assert "first report" in (out / "report.md").read_text()
    assert "insufficient data" in (out / "report.md").read_text()

    with database.session() as session:
        build_rising_china(session, "2024-01", 14)
    second = write_report(database, settings, out)
    markdown = (out / "report.md").read_text()
    assert "stale" not in markdown
    assert second.verdict == "insufficient evidence"  # one eligible signal is not evidence
    assert "Overall verdict unchanged: insufficient evidence" in markdown
    with database.session() as session:
        assert len(session.execute(select(Report)).scalars().all()) == 2


def test_default_directory_formats_and_cli(database: Database, database_url: str, tmp_path: Path) -> None:
    settings = settings_for(database, tmp_path)
    result = write_report(database, settings, formats=("json",))
    assert result.out_dir == tmp_path / "reports" / TODAY
    assert [path.name for path in result.out_dir.iterdir()] == ["report.json"]

    out = tmp_path / "cli"
    assert main(["--database-url", database_url, "report", "--out", str(out), "--format", "md,html"]) == 0
    assert sorted(path.name for path in out.iterdir()) == ["report.html", "report.md"]
    assert main(["--database-url", database_url, "report", "--out", str(out), "--format", "pdf"]) == 2


def test_shipped_reference_figures_name_their_sources() -> None:
    rows = reference_figures()
    assert {"EOI-1", "ATOM-2", "ATOMR-4"} <= {row["id"] for row in rows}
    signals = {spec.key for spec in SIGNALS}
    for row in rows:
        assert row["source"] and row["source_url"].startswith("http") and row["signal"] in signals


def test_report_files_are_readable_by_others_as_the_umask_allows(tmp_path: Path) -> None:
    import os

    from tracker.reports.write import _write_atomically

    previous = os.umask(0o022)
    try:
        _write_atomically(tmp_path / "report.md", "# r\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "report.md").stat().st_mode & 0o777 == 0o644


def test_literature_is_set_only_beside_figures_of_the_same_definition() -> None:
    from tracker.reports.literature import compare_with_literature, published_value

    assert published_value("17.1", "%") == "17.1%"
    assert published_value("41 / 36.5", "%") == "41% / 36.5%"
    assert published_value("summer 2025", "date") == "summer 2025"
    assert published_value("50 / 30 / 5", "models") == "50 / 30 / 5 models"

    def month(m: str, cn: float, us: float, attributed: float, total: float, partial: bool = False) -> dict:
        return {
            "month": m,
            "total": total,
            "attributed_total": attributed,
            "share_attributed": {"CN": cn, "US": us},
            "coverage": attributed / total * 100,
            "partial": partial,
        }

    downloads = {
        "unit": "downloads",
        "monthly": [month("2024-06", 10.0, 50.0, 100, 200), month("2024-07", 20.0, 40.0, 300, 400)],
    }
    derivatives = {"unit": "derivatives", "monthly": [month("2025-06", 55.0, 30.0, 90, 100, partial=True)]}
    figures = {
        "signals": {"downloads_30d": downloads, "new_derivatives_by_root": derivatives, "new_models": {}},
        "derivatives_by_root_publisher": [],
    }
    rows = {row["id"]: row for row in compare_with_literature(figures)}
    # EOI: 12 months ending Aug 2025; our months lie outside, so the nearest window we have, weighted by the
    # attributed totals: (10% of 100 + 20% of 300) / 400 = 17.5%, coverage 400 / 600.
    assert rows["EOI-1"]["ours"].startswith("China 17.50% of attributed downloads, 2024-06 to 2024-07")
    assert "coverage 66.67%" in rows["EOI-1"]["ours"] and "nearest window" in rows["EOI-1"]["ours"]
    assert rows["EOI-2"]["ours"].startswith("United States 42.50%")
    assert rows["AII26-1"]["comparison"] == "context" and "not a comparison" in rows["AII26-1"]["ours"]
    assert rows["HFSP26-2"]["comparison"] == "none" and rows["HFSP26-2"]["ours"].startswith("no comparable")
    # Partial months are never set beside a published figure.
    assert rows["LAMB-CURVE"]["ours"].startswith("no comparable figure yet")
