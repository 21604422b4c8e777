"""The download-counting changes a series of downloads marks."""

from __future__ import annotations

import datetime as dt

from tracker.analyses.download_counting import DOWNLOAD_COUNTING_CHANGES, counting_changes


def test_a_series_marks_the_changes_inside_its_range_for_its_scope() -> None:
    changes = counting_changes(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert [change.on for change in changes] == [dt.date(2025, 7, 25)]
    assert [c.on for c in counting_changes(dt.date(2024, 1, 1), dt.date(2024, 12, 31), "datasets")] == [
        dt.date(2024, 9, 1)
    ]
    assert counting_changes(dt.date(2025, 7, 26), dt.date(2026, 8, 5)) == []
    assert list(DOWNLOAD_COUNTING_CHANGES) == sorted(DOWNLOAD_COUNTING_CHANGES, key=lambda c: c.on)
