"""Charts that do not invent data: gaps where a month has no data, partial months apart, snapshot values at
their collection day with the 30 days they cover, and a legend entry for every colour."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from tracker.reports.charts import LINES, share_chart, share_series


def point(
    month: str, cn: float, coverage: float, partial: bool = False, collected_on: str | None = None
) -> dict:
    return {
        "month": month,
        "total": 100,
        "attributed_total": coverage,
        "shares": {},
        "share_attributed": {"CN": cn, "CN+HK+MO": cn, "US": 100 - cn, "Europe": 0.0, "other": 0.0},
        "coverage": coverage,
        "partial": partial,
        "collected_on": collected_on,
    }


def signal(history: str, monthly: list[dict[str, Any]], unit: str = "models") -> dict[str, Any]:
    return {"title": "test", "history": history, "unit": unit, "monthly": monthly}


def test_snapshot_series_draw_every_roll_up_day_after_the_months_before_the_roll_ups() -> None:
    """Months from snapshots alone (before the first roll-up) keep their month-end point; from the first
    roll-up day on, every roll-up day is a point and the month-end points are not drawn twice."""
    monthly = [
        point("2025-05", 10.0, 50.0, collected_on="2025-05-31"),  # before the roll-ups
        point("2025-06", 21.0, 60.0, collected_on="2025-06-16"),  # the roll-up of 06-16
    ]
    days = [{**point("", cn, 60.0), "day": day} for day, cn in (("2025-06-09", 20.0), ("2025-06-16", 21.0))]
    series = share_series({**signal("snapshot", monthly, unit="downloads"), "points": days})
    assert series.x == [dt.date(2025, 5, 31), dt.date(2025, 6, 9), dt.date(2025, 6, 16)]
    assert series.values["CN"] == [10.0, 20.0, 21.0]
    # overlapping 30-day windows are one shaded stretch
    assert series.windows == [(dt.date(2025, 5, 1), dt.date(2025, 6, 16))]


def test_creation_series_leave_gaps_for_missing_months_and_keep_partial_months_apart() -> None:
    monthly = [
        point("2024-11", 30.0, 80.0),
        point("2024-12", 35.0, 90.0),
        # 2025-01 has no data at all
        point("2025-02", 40.0, 70.0),
        point("2025-03", 50.0, 20.0, partial=True),
    ]
    series = share_series(signal("creation", monthly))
    assert [day.strftime("%Y-%m") for day in series.x] == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
    ]
    cn = series.values["CN"]
    assert cn[:2] == [30.0, 35.0] and math.isnan(cn[2]) and cn[3] == 40.0
    assert math.isnan(cn[4])  # the partial month is not on the line ...
    assert series.partial["CN"] == [(series.x[4], 50.0)]  # ... but drawn apart
    assert series.values["unknown"][:2] == [20.0, 10.0]  # unknown share of the whole total: 100 - coverage
    assert series.windows == []


def test_snapshot_values_sit_at_their_collection_day_with_the_30_days_they_cover() -> None:
    monthly = [
        point("2024-09", 20.0, 100.0, collected_on="2024-09-01"),
        point("2025-02", 30.0, 40.0, collected_on="2025-02-18"),
        point("2025-03", 31.0, 41.0, collected_on="2025-03-10"),
    ]
    series = share_series(signal("snapshot", monthly, unit="downloads"))
    days = [day for day in series.x]
    assert days[0] == dt.date(2024, 9, 1) and days[-2:] == [dt.date(2025, 2, 18), dt.date(2025, 3, 10)]
    assert len(days) == 4 and math.isnan(series.values["CN"][1])  # a break across the five-month gap
    assert series.windows[0] == (dt.date(2024, 8, 2), dt.date(2024, 9, 1))  # August, not September
    likes = share_series(signal("snapshot", monthly, unit="likes"))
    assert likes.windows == []  # only 30-day counts cover a window


def test_chart_has_markers_and_a_legend_entry_for_every_colour(monkeypatch) -> None:
    drawn: dict[str, Any] = {}
    from matplotlib.axes import Axes

    original = Axes.legend

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        drawn["handles"] = kwargs.get("handles")
        drawn["markers"] = {line.get_marker() for line in self.get_lines() if line.get_label()[:1] != "_"}
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "legend", spy)
    monthly = [point("2024-11", 30.0, 80.0), point("2024-12", 35.0, 90.0, partial=True)]
    png = share_chart(signal("creation", monthly))
    assert png is not None and png.startswith(b"\x89PNG")
    labels = [handle.get_label() for handle in drawn["handles"]]
    colours = {handle.get_color() for handle in drawn["handles"] if hasattr(handle, "get_color")}
    assert {colour for _, colour, _ in LINES} <= colours
    assert any("partial" in label for label in labels) and any("unknown" in label for label in labels)
    assert "None" not in {str(marker) for marker in drawn["markers"]} and "o" in drawn["markers"]
    assert share_chart(signal("creation", [])) is None


def test_downloads_chart_draws_each_counting_change_as_a_labelled_marker(monkeypatch) -> None:
    drawn: dict[str, Any] = {}
    from matplotlib.axes import Axes

    original = Axes.legend

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        drawn["labels"] = [handle.get_label() for handle in kwargs.get("handles") or []]
        drawn["texts"] = [text.get_text() for text in self.texts]
        drawn["vertical"] = [
            line.get_xdata()[0] for line in self.get_lines() if len(set(line.get_xdata())) == 1
        ]
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "legend", spy)
    monthly = [
        point("2025-06", 20.0, 60.0, collected_on="2025-06-30"),
        point("2025-07", 21.0, 60.0, collected_on="2025-07-31"),
        point("2025-08", 25.0, 60.0, collected_on="2025-08-31"),
    ]
    downloads = signal("snapshot", monthly, unit="downloads")
    downloads["counting_changes"] = [{"on": "2025-07-25", "note": "downloads of params.json files counted"}]
    series = share_series(downloads)
    assert series.changes == [(dt.date(2025, 7, 25), "downloads of params.json files counted")]
    assert share_chart(downloads) is not None
    assert dt.date(2025, 7, 25) in drawn["vertical"]
    assert any("2025-07-25" in text and "params.json" in text for text in drawn["texts"])
    assert "the Hub changed how it counts downloads" in drawn["labels"]

    share_chart(signal("snapshot", monthly, unit="downloads"))  # no change in range: no marker
    assert drawn["texts"] == [] and "the Hub changed how it counts downloads" not in drawn["labels"]
