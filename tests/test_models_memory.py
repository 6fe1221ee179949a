"""Reusing freed memory for the offline verbs' large arrays."""

import numpy as np

from models.memory import reuse_freed_memory


def test_reuse_freed_memory_is_safe_to_call_and_arrays_still_work():
    first = reuse_freed_memory()
    assert reuse_freed_memory() is first  # set once per process
    big = np.ones(40_000_000, dtype=np.float32)  # 160 MB: from the heap now, not a fresh mapping
    del big
    again = np.zeros(40_000_000, dtype=np.float32)
    assert not again.any()  # np.zeros is still zeros when a freed block is reused


def test_the_dashboards_arena_cap_reaches_glibc():
    import platform

    import pytest

    from models.memory import few_malloc_arenas

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert few_malloc_arenas(2) is True
