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
