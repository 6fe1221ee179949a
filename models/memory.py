"""Keeping freed memory in the process for the offline verbs' large numpy temporaries.

Training and evaluation at MixesDB scale allocate and free score arrays of hundreds of MB over and
over (50 queries × 1.3M tracks × float32 = 266 MB per blend, per copy, per partition). glibc hands
each one out as a fresh `mmap` and unmaps it on free, so the kernel zero-fills every page again:
82 of 232 CPU-seconds of a full-scale retrain were system time. Raising glibc's mmap and trim
thresholds keeps freed blocks in the heap for the next allocation. Offline commands only (the
process's peak memory stays reserved until it exits); a no-op where glibc is not the allocator.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
_KEEP_BYTES = 1 << 30  # blocks below 1 GiB come from (and go back to) the heap


@functools.cache
def reuse_freed_memory() -> bool:
    """Ask glibc to keep freed blocks under 1 GiB for reuse instead of unmapping them; True if it agreed."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    agreed = bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))
    log.debug("glibc keeps freed blocks under %d bytes: %s", _KEEP_BYTES, agreed)
    return agreed
