"""Published figures beside ours: the shipped reference_figures.csv, matched to signals."""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Any


def reference_figures() -> list[dict[str, str]]:
    """The shipped reference figures (see tracker/reports/data/README.md for their sources)."""
    text = (
        resources.files("tracker.reports").joinpath("data/reference_figures.csv").read_text(encoding="utf-8")
    )
    return list(csv.DictReader(io.StringIO(text)))


def _ours(figures: dict[str, Any], signal_key: str, which: str) -> str:
    signal = figures["signals"].get(signal_key)
    if signal is None:
        return "not computed"
    if which in ("cn_share_now", "us_share_now"):
        value = signal[which]
        if value is None:
            return "insufficient data"
        who = "China" if which.startswith("cn") else "United States"
        return f"{who} {value:.2f}% (as of {signal['latest']['as_of']})"
    if which == "crossover_month":
        if signal["crossover_month"] is None:
            return (
                "China not ahead of the US in any month observed"
                if signal["monthly"]
                else "insufficient data"
            )
        if signal["cn_ahead_from_start"]:
            return f"China already ahead in the first month observed ({signal['crossover_month']})"
        return f"China first ahead in {signal['crossover_month']}"
    if which.startswith("root_share:"):
        root = which.split(":", 1)[1]
        months = figures.get("derivatives_by_root_publisher") or []
        if not months:
            return "insufficient data"
        latest = months[-1]
        share = next((entry["share"] for entry in latest["top"] if entry["root"] == root), None)
        if share is None:
            return f"{root} not among the top roots in {latest['month']}"
        return f"{root} {share:.2f}% of new derivatives in {latest['month']}"
    return "not computed"


def compare_with_literature(figures: dict[str, Any]) -> list[dict[str, str]]:
    """Each reference figure with our matching figure and why the two may differ."""
    rows = []
    for reference in reference_figures():
        rows.append(
            {
                "id": reference["id"],
                "signal": reference["signal"],
                "source": reference["source"],
                "source_url": reference["source_url"],
                "published": reference["published"],
                "period": reference["period"],
                "metric": reference["metric"],
                "entity": reference["entity"],
                "published_value": f"{reference['value']} {reference['unit']}".strip(),
                "verification": reference["verification"],
                "ours": _ours(figures, reference["signal"], reference["ours"]),
                "why_they_may_differ": reference["comparison_note"],
            }
        )
    return rows
