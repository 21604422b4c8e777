"""What every collector returns, so the CLI, `tracker run` and the daemon treat sources alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tracker.http.client import RequestCounters

# Progress callback: (what, count so far). Collectors call it as they go; the CLI draws it.
Progress = Callable[[str, int], None]


@dataclass
class CollectResult:
    """The outcome of one collection run (its row in `collection_runs` has the same figures)."""

    run_id: int
    status: str  # ok / rate_limited / interrupted / failed (see tracker.runs)
    items: int = 0
    skipped: int = 0
    counters: RequestCounters = field(default_factory=RequestCounters)
    message: str | None = None

    @property
    def resumable(self) -> bool:
        return self.status in ("rate_limited", "interrupted")
