"""`write_report`: analyse the database, write report.md / report.html / report.json, record it."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tracker.analyses.analysis import analyse
from tracker.analyses.regions import group_of
from tracker.analyses.verdict import DEFAULT_MIN_COVERAGE
from tracker.config import Settings
from tracker.db.engine import Database
from tracker.db.models import Report
from tracker.reports.charts import publishers_chart, roots_chart, share_chart
from tracker.reports.figures import build_figures, changes_since
from tracker.reports.render import render_html, render_markdown

FORMATS = ("md", "html", "json")


class ReportError(Exception):
    """A report could not be written; the message is one line."""


@dataclass(frozen=True)
class ReportResult:
    out_dir: Path
    paths: list[Path]
    verdict: str  # the overall verdict


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _write_atomically(path: Path, content: str) -> None:
    """Replace `path` in one step, so readers never see half a report."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; reports are for readers
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def previous_figures(database: Database) -> dict[str, Any] | None:
    """The figures of the newest recorded report, if any."""
    with database.read_only_session() as session:
        row = session.execute(
            select(Report.figures).order_by(Report.created_at.desc(), Report.id.desc()).limit(1)
        )
        figures = row.scalar()
    return figures if isinstance(figures, dict) else None


def min_coverage(settings: Settings) -> float:
    """The attributed coverage a signal needs to enter the verdict (`[verdict] min_coverage`, a fraction;
    the configuration schema has checked it)."""
    return float(settings.section("verdict").get("min_coverage", DEFAULT_MIN_COVERAGE))


def charts_for(figures: dict[str, Any]) -> dict[str, bytes | None]:
    charts: dict[str, bytes | None] = {key: share_chart(signal) for key, signal in figures["signals"].items()}
    charts["top_publishers"] = publishers_chart(figures["top_publishers"], group_of)
    charts["derivatives_by_root_publisher"] = roots_chart(figures["derivatives_by_root_publisher"])
    return charts


def write_report(
    database: Database,
    settings: Settings,
    out_dir: Path | None = None,
    formats: Iterable[str] = FORMATS,
) -> ReportResult:
    """Write the report files (default `settings.reports_dir / YYYY-MM-DD`) and record it in `reports`."""
    wanted = [fmt.strip().lower() for fmt in formats if fmt.strip()]
    unknown = [fmt for fmt in wanted if fmt not in FORMATS]
    if unknown or not wanted:
        raise ReportError(
            f"unknown report format {', '.join(unknown) or '(none)'}: choose from md, html, json"
        )
    threshold = min_coverage(settings)
    directory = Path(out_dir) if out_dir is not None else settings.reports_dir / settings.today.isoformat()

    # Everything is read and rendered before the folder exists: an unusable database leaves no empty folder.
    analysis = analyse(database, settings.today, threshold)
    figures = build_figures(analysis)
    figures["changes"] = changes_since(previous_figures(database), figures)
    contents: dict[str, str] = {}
    for fmt in FORMATS:
        if fmt not in wanted:
            continue
        if fmt == "md":
            contents[fmt] = render_markdown(figures)
        elif fmt == "html":
            contents[fmt] = render_html(figures, charts_for(figures))
        else:
            contents[fmt] = json.dumps(figures, indent=2, ensure_ascii=False) + "\n"

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportError(f"cannot create report directory {directory}: {error.strerror or error}") from None
    paths = []
    for fmt, content in contents.items():
        path = directory / f"report.{fmt}"
        try:
            _write_atomically(path, content)
        except OSError as error:
            raise ReportError(f"cannot write {path}: {error.strerror or error}") from None
        paths.append(path)

    with database.session() as session:
        session.add(
            Report(
                report_date=settings.today,
                out_dir=str(directory),
                formats=",".join(fmt for fmt in FORMATS if fmt in wanted),
                verdict=figures["verdict"]["overall"],
                figures=figures,
            )
        )
    return ReportResult(out_dir=directory, paths=paths, verdict=figures["verdict"]["overall"])
