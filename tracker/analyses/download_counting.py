"""The days the Hub changed how it counts downloads: series of downloads break there (API-FACTS 1.11).

The Hub does not publish a changelog of its counting; these are the changes consumers of its daily dumps
documented. A chart or table of downloads over time marks each change inside its range, so a jump is not
read as a shift in use. `on` is the first day counted the new way (the 2024 change is known to the month).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class CountingChange:
    on: dt.date
    scope: str  # 'models' or 'datasets'
    note: str


DOWNLOAD_COUNTING_CHANGES: tuple[CountingChange, ...] = (
    CountingChange(dt.date(2024, 9, 1), "datasets", "dataset downloads counted differently (September 2024)"),
    CountingChange(dt.date(2025, 7, 25), "models", "downloads of params.json files counted"),
    CountingChange(dt.date(2026, 8, 6), "models", "diffusers downloads counted differently"),
)


def counting_changes(start: dt.date, end: dt.date, scope: str = "models") -> list[CountingChange]:
    """The changes of `scope` inside [start, end], oldest first: the breaks a series over that range shows."""
    return [
        change for change in DOWNLOAD_COUNTING_CHANGES if change.scope == scope and start <= change.on <= end
    ]
