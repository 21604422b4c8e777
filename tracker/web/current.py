"""The figures the pages show: the newest recorded report's, or (before any report) computed once and cached.

Reading the newest report row is one indexed query, so the overview and signal pages cost milliseconds at any
database size; the analysis itself (seconds at full-Hub size) runs only when no report exists yet, at most
once per `LIVE_TTL_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tracker.analyses.analysis import analyse
from tracker.db.engine import Database
from tracker.db.models import Report
from tracker.reports.figures import build_figures, changes_since
from tracker.web.figures_view import is_current

LIVE_TTL_SECONDS = 600.0
# A report's own files with their media types, in the order `/reports/<id>` prefers them.
REPORT_FILES = {
    "report.html": "text/html; charset=utf-8",
    "report.md": "text/plain; charset=utf-8",
    "report.json": "application/json",
}


@dataclass(frozen=True)
class CurrentFigures:
    figures: dict[str, Any]
    report_id: int | None  # None: computed live (no report yet, or only one older than these figures)
    report_date: str
    older_report_id: int | None = None  # the newest report, when its figures predate their present shape


@dataclass(frozen=True)
class ReportEntry:
    id: int
    report_date: dt.date
    created_at: dt.datetime
    verdict: str | None
    formats: str


class FiguresCache:
    """Holds the newest report's figures; reloads them when a newer report is recorded."""

    def __init__(self, database: Database, today: dt.date) -> None:
        self.database = database
        self.today = today
        self._lock = threading.Lock()
        self._current: CurrentFigures | None = None
        self._seen: int | None = None  # the newest report id when `_current` was loaded
        self._live_at = 0.0

    def _newest_report_id(self) -> int | None:
        with self.database.read_only_session() as session:
            return session.execute(
                select(Report.id).order_by(Report.created_at.desc(), Report.id.desc()).limit(1)
            ).scalar()

    def get(self) -> CurrentFigures:
        newest = self._newest_report_id()
        with self._lock:
            current = self._current
            expired = time.monotonic() - self._live_at > LIVE_TTL_SECONDS
            if current is None or newest != self._seen or (current.report_id is None and expired):
                self._current = self._load(newest)
                self._seen = newest
            return self._current

    def _load(self, newest: int | None) -> CurrentFigures:
        previous = None
        if newest is not None:
            with self.database.read_only_session() as session:
                row = session.get(Report, newest)
                figures = row.figures if row is not None and isinstance(row.figures, dict) else {}
                date = row.report_date.isoformat() if row is not None else ""
            if is_current(figures):
                return CurrentFigures(figures, newest, date)
            # written before the figures' present shape: computed live until the next report
            previous = figures
        figures = build_figures(analyse(self.database, self.today))
        figures["changes"] = changes_since(previous, figures)
        self._live_at = time.monotonic()
        return CurrentFigures(figures, None, self.today.isoformat(), older_report_id=newest)


def list_reports(database: Database) -> list[ReportEntry]:
    with database.read_only_session() as session:
        rows = session.execute(
            select(Report.id, Report.report_date, Report.created_at, Report.verdict, Report.formats).order_by(
                Report.created_at.desc(), Report.id.desc()
            )
        ).all()
    return [ReportEntry(*row) for row in rows]


def report_file(database: Database, report_id: int, name: str) -> Path | None:
    """The path of one of report `report_id`'s own files, or None: only report.md/.html/.json directly in the
    directory recorded for that report, and never a link leading elsewhere."""
    if name not in REPORT_FILES:
        return None
    with database.read_only_session() as session:
        out_dir = session.execute(select(Report.out_dir).where(Report.id == report_id)).scalar()
    if not out_dir:
        return None
    directory = Path(out_dir).resolve()
    path = (directory / name).resolve()
    if path.parent != directory or path.name != name or not path.is_file():
        return None
    return path
