"""Everything the report shows, computed in one pass: signals, verdict, publishers and coverage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.analyses.coverage import Coverage, coverage
from tracker.analyses.publishers import (
    PublisherRow,
    RootPublisherMonth,
    derivatives_by_root_publisher,
    top_publishers,
)
from tracker.analyses.signals import SignalResult, compute_signals
from tracker.analyses.verdict import DEFAULT_MIN_COVERAGE, Verdict, assess
from tracker.db.engine import Database


@dataclass(frozen=True)
class Analysis:
    today: dt.date
    signals: list[SignalResult]
    verdict: Verdict
    top_publishers: list[PublisherRow]
    derivatives_by_root_publisher: list[RootPublisherMonth]
    coverage: Coverage


def analyse(database: Database, today: dt.date, min_coverage: float = DEFAULT_MIN_COVERAGE) -> Analysis:
    """Run every analysis over the database (read-only); works on an empty database.

    `min_coverage`: the attributed coverage a signal needs to enter the verdict (setting `[verdict] min_coverage`).
    """
    cover = coverage(database)
    signals = compute_signals(database, today, cover)
    return Analysis(
        today=today,
        signals=signals,
        verdict=assess(signals, min_coverage),
        top_publishers=top_publishers(database),
        derivatives_by_root_publisher=derivatives_by_root_publisher(database, today),
        coverage=cover,
    )
