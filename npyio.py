"""Loading `.npy` files from several threads at once.

CPython 3.11 before 3.11.8 can raise `SystemError: AST constructor recursion depth mismatch` when
threads parse Python literals at the same time (CPython gh-106905), and numpy parses every `.npy`
header with `ast.literal_eval`: the dashboard's request threads, a thread pool reading cached
spectrograms and a model hot reload all load arrays. Every load goes through one lock.

>>> values = load_npy("data/models/current/track_ids.npy", mmap=True)
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

_LOCK = threading.Lock()


def load_npy(path: Path | str, *, mmap: bool = False) -> np.ndarray:
    """The array in `path` (never unpickled); memory-mapped read-only with `mmap`."""
    with _LOCK:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)


def load_npz(path: Path | str) -> dict[str, np.ndarray]:
    """Every array of the `.npz` in `path`, read at once (never unpickled)."""
    with _LOCK, np.load(path, allow_pickle=False) as saved:
        return {name: saved[name] for name in saved.files}
