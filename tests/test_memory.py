"""Freed memory goes back to the operating system when asked (tracker.memory)."""

from __future__ import annotations

import numpy as np
import pytest

from tracker.memory import _malloc_trim, release_freed_memory


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(_malloc_trim() is None, reason="the C library has no malloc_trim (not glibc)")
def test_freed_heap_memory_is_given_back() -> None:
    """Blocks below glibc's threshold for mapping them apart live in its heap, and a small block kept after
    each stops the heap from shrinking by itself when they are freed: without being released they stay
    resident (how much glibc gives back by itself depends on what the process did before)."""
    start = _resident_mb()
    blocks, kept = [], []
    for _ in range(2_000):  # about 190 MB
        blocks.append(np.ones(12_000, dtype=np.int64))
        kept.append(np.ones(64, dtype=np.int64))
    del blocks
    release_freed_memory()
    assert _resident_mb() - start < 50
    assert sum(block.sum() for block in kept) == 2_000 * 64
