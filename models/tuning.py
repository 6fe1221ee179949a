"""Tuning the hybrid's blend weights on a validation split carved out of the training data.

The validation split applies the evaluation protocol to the *training* plays only (another seed),
so the test split is never looked at. Signals are computed once per validation query; a
coordinate search then tries each weight on a log grid and keeps what raises
R-precision + NDCG@10, for a few rounds.

On a large catalog the search ranks a shortlist per query: the union of each signal's
`SHORTLIST` best tracks (seeds left out). A track outside every signal's shortlist would have to be
mediocre in all of them and still beat the shortlist's best blend, so the choice of weights is
unchanged in practice, and a blend costs n_queries × ~10k cells instead of n_queries × n_tracks
(at MixesDB size, 73 blends of 50 × 1.33 M were most of a retrain). Below that size every track
is ranked, exactly as `evaluate` does.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from models.evaluation import DENSE_CELLS, top_items
from models.hybrid import HybridModel, HybridParams
from models.metrics import ndcg_at_k, r_precision
from models.split import HoldoutSplit

log = logging.getLogger(__name__)

GRID = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
MAX_QUERIES = 400
SHORTLIST = 2000  # best tracks per query and signal that the grid search ranks on a large catalog


def shortlist(
    signals: dict[str, np.ndarray], queries: sp.csr_matrix, per_signal: int = SHORTLIST
) -> tuple[np.ndarray | None, dict[str, np.ndarray], sp.csr_matrix]:
    """The columns the grid search ranks, per query, and the signals and exclusions on them.

    Returns `columns` [shape=(n_queries, L), int64] (None when every track is kept), each signal
    gathered to [n_queries, L], and the positions to leave out (seeds, or padding of short rows).
    """
    n_tracks = queries.shape[1]
    if not signals or per_signal * len(signals) * 2 >= n_tracks:
        return None, signals, queries
    seeds = queries.tocoo()
    picks = []
    for values in signals.values():
        masked = np.array(values, dtype=np.float32, copy=True)
        masked[seeds.row, seeds.col] = -np.inf
        picks.append(np.argpartition(-masked, per_signal - 1, axis=1)[:, :per_signal])
    rows = [np.unique(np.concatenate([p[i] for p in picks])) for i in range(queries.shape[0])]
    width = max(len(r) for r in rows)
    columns = np.stack([np.pad(r, (0, width - len(r)), mode="edge") for r in rows])
    padded = np.arange(width)[None, :] >= np.array([len(r) for r in rows])[:, None]
    gathered = {name: np.take_along_axis(values, columns, axis=1) for name, values in signals.items()}
    return columns, gathered, sp.csr_matrix(padded.astype(np.float32))


def objective(ranked: np.ndarray, truth: list[np.ndarray]) -> float:
    """Mean R-precision + mean NDCG@10 of rankings against their truth."""
    if not truth:
        return 0.0
    sets = [set(t.tolist()) for t in truth]
    rp = np.mean([r_precision(list(r), t) for r, t in zip(ranked, sets, strict=True)])
    ndcg = np.mean([ndcg_at_k(list(r), t, 10) for r, t in zip(ranked, sets, strict=True)])
    return float(rp + ndcg)


def tune_weights(
    params: HybridParams,
    validation: HoldoutSplit,
    data,
    *,
    rounds: int = 2,
    grid: tuple[float, ...] = GRID,
    max_queries: int = MAX_QUERIES,
    seed: int = 0,
) -> tuple[dict, float]:
    """Blend weights that do best on `validation` (the model is fitted on its training part, `data`).

    `sets` stays at 1 (it sets the scale); every other signal is searched. Returns the weights and
    their objective value.
    """
    everything = {name: 1.0 for name in params.weights}
    model = HybridModel(params.with_weights(**everything)).fit(data)
    rows, truth = validation.test_rows, validation.truth
    max_queries = max(50, min(max_queries, 4 * DENSE_CELLS // max(validation.train.shape[1], 1)))
    if len(rows) > max_queries:
        pick = np.sort(np.random.default_rng(seed).choice(len(rows), max_queries, replace=False))
        rows, truth = rows[pick], [truth[i] for i in pick]
    if len(rows) == 0:
        return dict(params.weights), 0.0
    queries = validation.train.matrix[rows]
    signals = model.signals(queries)
    depth = max([10, *(len(t) for t in truth)])
    columns, ranked_signals, leave_out = shortlist(signals, queries)

    def score(weights: dict) -> float:
        ranked = top_items(model.blend(ranked_signals, weights), leave_out, depth)
        if columns is not None:
            ranked = np.take_along_axis(columns, ranked, axis=1)
        return objective(ranked, truth)

    best = {name: params.weights.get(name, 0.0) for name in signals}
    best["sets"] = 1.0 if "sets" in signals else 0.0
    best_score = score(best)
    # A signal's grid values differ from `best` in that signal only, so they are scored side by side
    # (numpy releases the GIL for the blend and the partition) and then taken in grid order as before.
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for _ in range(rounds):
            improved = False
            for name in signals:
                if name == "sets" and best["sets"]:
                    continue
                trials = [{**best, name: value} for value in grid]
                for trial, value_score in zip(trials, pool.map(score, trials), strict=True):
                    if value_score > best_score + 1e-9:
                        best, best_score, improved = trial, value_score, True
            if not improved:
                break
    log.info("tuned weights %s (objective %.4f on %d validation sets)", best, best_score, len(rows))
    weights = {name: best.get(name, 0.0) for name in params.weights}
    return weights, best_score
