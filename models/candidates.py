"""The hybrid blend's exact top k from the tracks its sparse signals vote for (the query's fast path).

The dense path (`HybridModel.scores`) builds one n_tracks-long vector per signal and multiplies every
ALS factor row (1.5 M × 128 at MixesDB scale) for one query. But `sets`, `artists` and `transitions`
(`SPARSE_SIGNALS`) are exactly 0 outside the tracks they vote for — the *candidates*, a few thousand —
and the dense signals (`als`, `popularity`) are max-scaled, so a track outside the candidates scores at
most Σ weight of the dense signals. So: blend the candidates only, and keep that answer when its k-th
score is above that bound. Otherwise the best tracks outside the candidates join them: without dense
signals they all score 0; with them, a threshold scan (Fagin's) takes the `depth` best outside tracks
of each dense signal — ALS's from `FoldIn.best_rows`, which stops scanning rows by decreasing factor
norm as soon as no row left can beat them, popularity's from its order — and blends their union
exactly. A track in neither list scores at most Σ weight × (each list's last value), so once the
union's k-th best reaches that, the answer is proven; else `depth` grows. The weights for a pasted
track lean on ALS and popularity (`FEW_SEED_WEIGHTS`), so this scan is their usual path.

One catch: the ALS signal is divided by its largest |value| over *all* tracks, M, which a full scan
would give. `FoldIn.largest_score` finds it exactly from the candidates' largest value and the few
tracks whose factor norm could beat it (ALS shrinks rarely played tracks towards 0); when too many
could, the caller scores every track.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.hybrid import SPARSE_SIGNALS, _max_scaled
from models.topk import top_k

DENSE_SIGNALS = ("als", "popularity")  # every track has a value; scaled to at most 1
MAX_DEPTH = 1 << 16  # outside tracks per dense signal the threshold scan may blend before giving up


def candidate_top(model, query: sp.csr_matrix, k: int, weights: dict, *, exclude: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """The top `k` (columns, scores) of `model.blend(model.signals(query), weights)[0]` with `exclude`
    removed, or None.

    query : sp.csr_matrix [shape=(1, n_tracks)] one seed row, as `HybridModel.scores` takes it.
    None when the candidates cannot prove the answer: a weighted signal this module does not know, or
    too many rows to check for ALS or for the threshold scan.
    """
    active = model.active_signals(weights)
    if k <= 0 or not active or any(name not in SPARSE_SIGNALS + DENSE_SIGNALS for name in active):
        return None
    sparse = [name for name in active if name in SPARSE_SIGNALS]
    votes = {name: _canonical(model.signal_votes(name, query)) for name in sparse}
    columns = np.unique(np.concatenate([v.indices for v in votes.values()] + [np.zeros(0, np.int64)]))
    exclude = np.unique(np.asarray(exclude if exclude is not None else [], dtype=np.int64))
    columns = np.setdiff1d(columns.astype(np.int64), exclude, assume_unique=True)
    parts = {name: _max_scaled(_gather(v, columns)[None, :], _peak(v.data)) for name, v in votes.items()}
    if "popularity" in active:
        parts["popularity"] = _max_scaled(model.popularity[columns][None, :], model.popularity_peak)
    voted = columns
    als_peak = factors = None
    if "als" in active:
        columns, parts = _without_hopeless(model, weights, active, columns, parts, k)
        factors = model._als_query_factors(query)  # 1 × f
        als = factors @ np.asarray(model.als.item_factors[columns]).T  # 1 × candidates
        als_peak = model.als.largest_score(factors[0], float(np.abs(als).max()) if als.size else 0.0)
        if als_peak is None:
            return None
        parts["als"] = _max_scaled(als, _peak([als_peak]))
    scores = model.blend({name: parts[name] for name in active}, weights)[0]
    positions, top = top_k(scores, k)
    bound = sum(weights[name] for name in active if name in DENSE_SIGNALS)
    if len(top) == k and top[-1] > bound:
        return columns[positions], top
    # tracks no sparse signal votes for can reach the top k: rank the best of them too
    fill = _outside_best(model, weights, factors, als_peak, active, k, np.union1d(voted, exclude))
    if fill is None:
        return None
    merged = np.concatenate([columns, fill[0]])
    by_column = np.argsort(merged, kind="stable")
    positions, top = top_k(np.concatenate([scores, fill[1]])[by_column], k)
    return merged[by_column][positions], top


def _without_hopeless(model, weights, active, columns: np.ndarray, parts: dict, k: int
                      ) -> tuple[np.ndarray, dict]:
    """Drop candidates that cannot reach the top k whatever their ALS value (which moves a score by at most
    ± the ALS weight): a popular seed's few hundred contenders then skip the ALS rows of 100,000 others."""
    if len(columns) <= k:
        return columns, parts
    known = model.blend({name: parts[name] for name in active if name != "als"}, weights)[0]  # all but ALS
    reach = weights["als"]
    kth = np.partition(known, len(known) - k)[len(known) - k]
    keep = known + reach >= kth - reach
    return columns[keep], {name: values[:, keep] for name, values in parts.items()}


def _outside_best(model, weights, factors, als_peak, active, k: int, skip: np.ndarray):
    """The k best (columns, blended scores) among tracks no sparse signal votes for (`skip` left out).

    Without dense signals they all score 0 and ties go to the lowest columns. With them, the threshold
    scan of the module docstring; None past `MAX_DEPTH`.
    """
    dense = [name for name in active if name in DENSE_SIGNALS]
    if not dense:
        free = np.setdiff1d(np.arange(min(model.set_tracks.shape[1], k + len(skip))), skip, assume_unique=True)[:k]
        return free, np.zeros(len(free), np.float32)
    depth = max(k, 64)
    while depth <= MAX_DEPTH:
        pools, bound, complete = [], 0.0, False
        if "als" in dense:
            found = model.als.best_rows(factors[0], depth, skip=skip)
            if found is None:
                return None
            rows, values = found
            pools.append(rows)
            complete |= len(rows) < depth
            bound += weights["als"] * _last_scaled(values, _peak([als_peak]))
        if "popularity" in dense:
            rows = model.popular_rows(depth, skip=skip)
            pools.append(rows)
            complete |= len(rows) < depth
            bound += weights["popularity"] * _last_scaled(model.popularity[rows], model.popularity_peak)
        union = np.unique(np.concatenate(pools))
        parts = {name: np.zeros((1, len(union)), np.float32) for name in active}
        if "als" in dense:
            parts["als"] = _max_scaled(factors @ np.asarray(model.als.item_factors[union]).T, _peak([als_peak]))
        if "popularity" in dense:
            parts["popularity"] = _max_scaled(model.popularity[union][None, :], model.popularity_peak)
        scores = model.blend(parts, weights)[0]
        positions, top = top_k(scores, k)
        if complete or (len(top) == k and top[-1] >= bound):
            return union[positions], top
        depth *= 4
    return None


def _last_scaled(values: np.ndarray, peak: np.ndarray) -> float:
    """The last of `values` (a list's lowest), scaled as `_max_scaled` scales it; 0 for no values."""
    return float(_max_scaled(np.asarray(values[-1:], np.float32)[None, :], peak)[0, 0]) if len(values) else 0.0


def _canonical(row: sp.spmatrix) -> sp.csr_matrix:
    row = sp.csr_matrix(row)
    row.sum_duplicates()
    return row


def _gather(row: sp.csr_matrix, columns: np.ndarray) -> np.ndarray:
    """row[0, columns] as a dense float32 vector; `columns` sorted ascending."""
    out = np.zeros(len(columns), dtype=np.float32)
    if row.nnz == 0 or len(columns) == 0:
        return out
    where = np.minimum(np.searchsorted(columns, row.indices), len(columns) - 1)
    hit = columns[where] == row.indices
    out[where[hit]] = row.data[hit]
    return out


def _peak(values) -> np.ndarray:
    """The largest |value| (0 when there are none), shaped for `_max_scaled`: [shape=(1, 1)]."""
    peak = np.abs(np.asarray(values)).max() if len(values) else 0.0
    return np.array([[peak]], dtype=np.float32)
