"""Snapshot retention: which models (and datasets) get a row in the day's snapshot table.

At full-Hub size most repos are a long tail whose counters barely move, so a row every day for every repo
would grow storage by millions of rows a day. A repo gets the day's snapshot row when

* it is new to the tracker (its first row), or
* it is active: at least ACTIVE_DOWNLOADS_30D downloads in 30 days today or at its previous observation
  (so the head keeps a full daily history, and a fall below the threshold is recorded), or
* its likes changed since its previous observation, or
* it was already observed today (a second run on the same day refreshes that day's row).

Tail repos whose likes are unchanged and whose 30-day downloads stay under the threshold get no row: their
newest metrics stay inline on `hf_models`/`hf_datasets` (so `hf_model_latest` is always complete), and the
monthly figures come from the exact daily roll-ups (`hf_daily_country_totals`, tracker.attribution.rollups).
docs/scale.md gives the figures behind the threshold.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

ACTIVE_DOWNLOADS_30D = 100


class Previous(NamedTuple):
    """A repo's inline metrics before this page was stored."""

    downloads_30d: int | None
    likes: int | None
    metrics_on: dt.date | str | None


def keeps_snapshot(
    previous: Previous | None, downloads_30d: int | None, likes: int | None, run_date: dt.date
) -> bool:
    """Whether the day's snapshot row is written for a repo (see the module docstring)."""
    if previous is None:
        return True
    if (downloads_30d or 0) >= ACTIVE_DOWNLOADS_30D or (previous.downloads_30d or 0) >= ACTIVE_DOWNLOADS_30D:
        return True
    if (likes or 0) != (previous.likes or 0):
        return True
    metrics_on = previous.metrics_on
    if isinstance(metrics_on, str):  # raw SQLite text
        metrics_on = dt.date.fromisoformat(metrics_on[:10])
    return metrics_on == run_date
