"""Ranking metrics, as pure functions of one ranked list and one set of relevant items.

`ranked` is a sequence of item ids, best first; `relevant` the held-out items. Empty `relevant`
scores 0 everywhere (the evaluation drops such queries before averaging).

>>> r_precision([3, 1, 2], {1, 9})
0.5
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence


def r_precision(ranked: Sequence, relevant: Collection) -> float:
    """Share of the first R ranked items that are relevant, R = number of relevant items."""
    if not relevant:
        return 0.0
    size = len(relevant)
    return sum(1 for item in ranked[:size] if item in relevant) / size


def dcg_at_k(ranked: Sequence, relevant: Collection, k: int = 10) -> float:
    """Discounted cumulative gain of binary relevance: Σ 1 / log2(rank + 1) over relevant hits in the top k."""
    return sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)


def ndcg_at_k(ranked: Sequence, relevant: Collection, k: int = 10) -> float:
    """DCG@k divided by the DCG of a perfect ranking of the relevant items."""
    if not relevant:
        return 0.0
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return dcg_at_k(ranked, relevant, k) / ideal


def hit_rate_at_k(ranked: Sequence, relevant: Collection, k: int = 10) -> float:
    """1 if any relevant item is in the top k, else 0."""
    return float(any(item in relevant for item in ranked[:k]))


def catalogue_coverage(rankings: Iterable[Sequence], n_items: int, k: int = 10) -> float:
    """Share of the catalogue that appears in at least one top-k list."""
    if n_items <= 0:
        return 0.0
    shown = set()
    for ranked in rankings:
        shown.update(ranked[:k])
    return len(shown) / n_items
