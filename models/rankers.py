"""The models compared by `evaluate`: each scores every track for a batch of query sets.

A ranker is fitted on `TrainData` (sets × tracks counts, plus track artists and tracklist order
when known) and `scores(queries, rows)` returns a dense float32 array (n_queries × n_tracks):
`queries` holds each query's seed tracks as a sparse row (play counts), `rows` the query's row
in the training matrix when it has one (-1 otherwise). Seeds are filtered by the caller.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from models.als import AlsParams, fit_implicit_als
from models.weighting import bm25_stats, query_weight, weight


@dataclass(frozen=True)
class TrainData:
    """What a ranker learns from.

    counts : csr [shape=(n_sets, n_tracks)]       plays per set and track
    track_artists : csr [shape=(n_tracks, n_artists)] or None   1 where the artist is credited
    transitions : csr [shape=(n_tracks, n_tracks)] or None    how often B followed A (by position)
    set_dj : np.ndarray [shape=(n_sets,)] or None             a DJ id per set (-1 unknown)
    """

    counts: sp.csr_matrix
    track_artists: sp.csr_matrix | None = None
    transitions: sp.csr_matrix | None = None
    set_dj: np.ndarray | None = None

    @property
    def n_tracks(self) -> int:
        return self.counts.shape[1]


def transition_counts(
    set_rows: np.ndarray, cols: np.ndarray, positions: np.ndarray, n_tracks: int, *, window: int = 3
) -> sp.csr_matrix:
    """Tracks × tracks: Σ 1/d over plays of B d ≤ `window` positions after A in one ordered set."""
    order = np.lexsort((positions, set_rows))
    set_rows, cols, positions = set_rows[order], cols[order], positions[order]
    ordered = positions > 0
    sources, targets, weights = [], [], []
    for step in range(1, window + 1):
        same = (set_rows[step:] == set_rows[:-step]) & ordered[step:] & ordered[:-step]
        gap = positions[step:] - positions[:-step]
        ok = same & (gap > 0) & (gap <= window)
        sources.append(cols[:-step][ok])
        targets.append(cols[step:][ok])
        weights.append(1.0 / gap[ok])
    if not sources:
        return sp.csr_matrix((n_tracks, n_tracks), dtype=np.float32)
    source, target = np.concatenate(sources), np.concatenate(targets)
    keep = source != target
    matrix = sp.csr_matrix(
        (np.concatenate(weights)[keep].astype(np.float32), (source[keep], target[keep])),
        shape=(n_tracks, n_tracks),
    )
    matrix.sum_duplicates()
    return matrix


def _binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    return out


class PopularityRanker:
    """Tracks by the number of sets that play them."""

    name = "popularity"

    def fit(self, data: TrainData) -> PopularityRanker:
        self.popularity = np.asarray(_binary(data.counts).sum(axis=0), dtype=np.float32).ravel()
        return self

    def scores(self, queries: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity, (queries.shape[0], 1))


class ImplicitKnnRanker:
    """`implicit.nearest_neighbours` item-kNN (BM25 or cosine), used off the shelf."""

    def __init__(self, kind: str = "bm25", neighbours: int = 20):
        self.kind, self.neighbours = kind, neighbours
        self.name = f"{kind}_knn"

    def fit(self, data: TrainData) -> ImplicitKnnRanker:
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender
        from implicit.utils import ParameterWarning

        model = (
            BM25Recommender(K=self.neighbours)
            if self.kind == "bm25"
            else CosineRecommender(K=self.neighbours)
        )
        with warnings.catch_warnings():  # implicit hands its own weighted matrix on as COO and warns about it
            warnings.simplefilter("ignore", ParameterWarning)
            model.fit(sp.csr_matrix(data.counts, dtype=np.float32), show_progress=False)
        self.similarity = model.similarity.tocsr()
        return self

    def scores(self, queries: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return np.asarray((queries @ self.similarity).todense(), dtype=np.float32)


class AlsRanker:
    """`implicit` ALS; a query set that is a training row uses its learned set factors."""

    def __init__(self, params: AlsParams, name: str = "als"):
        self.params, self.name = params, name

    def fit(self, data: TrainData) -> AlsRanker:
        from models.hybrid import FoldIn

        self.weighted = weight(data.counts, self.params.weighting)
        self.stats = bm25_stats(data.counts)
        self.model = fit_implicit_als(self.weighted, self.params)
        # implicit's own `recalculate_user` rebuilds YᵀY on every call (13 GFLOP a batch at 100k tracks ×
        # 256 factors); FoldIn takes the same least-squares step with YᵀY computed once.
        self.fold_in = FoldIn(np.asarray(self.model.item_factors), self.params)
        return self

    def scores(self, queries: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        user_factors = np.zeros((len(rows), self.model.factors), dtype=np.float32)
        known = rows >= 0
        user_factors[known] = self.model.user_factors[rows[known]]
        if (~known).any():
            weighted = query_weight(queries[~known], self.params.weighting, self.stats)
            user_factors[~known] = self.fold_in.set_factors(weighted)
        return user_factors @ self.model.item_factors.T


class EaseRanker:
    """EASE (Steck 2019): closed-form item-item weights B = I - P / diag(P), P = (XᵀX + λI)⁻¹."""

    name = "ease"
    MAX_TRACKS = 20_000

    def __init__(self, regularization: float = 200.0, weighting: str = "binary"):
        self.regularization, self.weighting = regularization, weighting

    def fit(self, data: TrainData) -> EaseRanker:
        if data.n_tracks > self.MAX_TRACKS:
            raise ValueError(f"EASE needs a dense {data.n_tracks}² matrix; at most {self.MAX_TRACKS} tracks")
        x = weight(data.counts, self.weighting)
        gram = np.asarray((x.T @ x).todense(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += self.regularization
        precision = np.linalg.inv(gram)
        self.weights = (precision / -np.diag(precision)).astype(np.float32)
        self.weights[np.diag_indices_from(self.weights)] = 0.0
        return self

    def scores(self, queries: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return np.asarray(weight(queries, self.weighting) @ self.weights, dtype=np.float32)


class TransitionRanker:
    """What DJs play next: tracks that followed the seeds within a few positions."""

    name = "transition"

    def fit(self, data: TrainData) -> TransitionRanker:
        self.transitions = (
            data.transitions
            if data.transitions is not None
            else sp.csr_matrix((data.n_tracks, data.n_tracks), dtype=np.float32)
        )
        return self

    def scores(self, queries: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return np.asarray((_binary(queries) @ self.transitions).todense(), dtype=np.float32)


__all__ = [
    "AlsRanker",
    "EaseRanker",
    "ImplicitKnnRanker",
    "PopularityRanker",
    "TrainData",
    "TransitionRanker",
    "transition_counts",
]
