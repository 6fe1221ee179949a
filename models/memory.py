"""glibc allocator settings: the offline verbs keep freed memory; the dashboard uses few arenas.

Training and evaluation at MixesDB scale allocate and free score arrays of hundreds of MB over and
over (50 queries × 1.3M tracks × float32 = 266 MB per blend, per copy, per partition). glibc hands
each one out as a fresh `mmap` and unmaps it on free, so the kernel zero-fills every page again:
82 of 232 CPU-seconds of a full-scale retrain were system time. Raising glibc's mmap and trim
thresholds keeps freed blocks in the heap for the next allocation. Offline commands only (the
process's peak memory stays reserved until it exits). The dashboard instead caps malloc arenas
(`few_malloc_arenas`). Both are no-ops where glibc is not the allocator.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8  # mallopt parameters, from glibc's malloc.h
_KEEP_BYTES = 1 << 30  # blocks below 1 GiB come from (and go back to) the heap


def _mallopt(param: int, value: int) -> bool:
    """glibc's `mallopt(param, value)`; False where there is no glibc or it refused."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(param, value))
    except (OSError, AttributeError):
        return False


@functools.cache
def reuse_freed_memory() -> bool:
    """Ask glibc to keep freed blocks under 1 GiB for reuse instead of unmapping them; True if it agreed."""
    agreed = _mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) and _mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES)
    log.debug("glibc keeps freed blocks under %d bytes: %s", _KEEP_BYTES, agreed)
    return agreed


def few_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (default 8 a core): with 20 request threads each building query-sized
    arrays, freed memory otherwise stays spread over many arenas and counts in the server's RSS."""
    return _mallopt(_M_ARENA_MAX, arenas)
