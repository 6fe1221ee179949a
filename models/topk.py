"""Exact top-k of a score vector in one total order: higher score first, lower column first on ties.

Both the dense path (every track scored) and the hybrid model's candidate path (`models.candidates`)
select with `top_k`, so equal scores come back in the same order from either.

>>> top_k(np.array([0.1, 0.5, 0.5, -np.inf], np.float32), 2)
(array([1, 2]), array([0.5, 0.5], dtype=float32))
"""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The `k` best finite entries of `scores` [shape=(n,)], best first: (positions, scores), each [shape=(≤ k,)].

    `exclude` (positions) never comes back; -inf and NaN never do either. Fewer than `k` come back
    only when fewer are left.
    """
    scores = np.asarray(scores, dtype=np.float32)
    if exclude is not None and len(exclude):
        scores = scores.copy()
        scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    empty = np.zeros(0, np.int64), np.zeros(0, np.float32)
    if k <= 0 or scores.size == 0:
        return empty
    if k < scores.size:
        part = np.argpartition(-scores, k - 1)[:k]
        kth = scores[part].min()
        if not np.isfinite(kth):  # fewer than k finite scores: keep all of them
            part = np.flatnonzero(np.isfinite(scores))
        else:  # every entry tied with the k-th is a contender, so ties break by position, not by chance
            part = np.union1d(part[scores[part] > kth], np.flatnonzero(scores == kth))
    else:
        part = np.flatnonzero(np.isfinite(scores))
    order = part[np.lexsort((part, -scores[part]))][:k]
    return order.astype(np.int64), scores[order]
