"""Giving freed memory back to the operating system between the steps of a large job.

Freed memory is not returned by itself: pyarrow's allocator keeps it for reuse, and glibc keeps freed blocks
of its heap (numpy's arrays of millions of values among them, once its threshold for mapping them apart has
risen). A job that builds a large structure from larger temporary ones and then goes on to other work
would carry that freed memory in its peak (tracker.sources.huggingface.later_dump: about 60 MB at two
million models).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


@functools.cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """glibc's `malloc_trim`, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Return the memory pyarrow's pool and the C heap hold free to the operating system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
