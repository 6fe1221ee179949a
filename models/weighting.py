"""Weighting a set × track count matrix before a model sees it.

- `binary`: 1 where the set plays the track.
- `bm25`: Okapi BM25 over sets (long sets and ubiquitous tracks count less), `implicit`'s formula.
- `confidence`: Hu/Koren/Volinsky confidence `1 + alpha * log(1 + count)`.

`damp_dj_repeats` keeps one DJ replaying a track across many of their sets from counting as many
independent votes: each of the DJ's plays of the track weighs `n ** -exponent` where n is how many
of that DJ's sets play it (`exponent` 0.5: 1/sqrt(n); 0: no damping).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from errors import BadInputError

WEIGHTINGS = ("binary", "bm25", "confidence")


def bm25_stats(matrix: sp.csr_matrix) -> tuple[np.ndarray, float]:
    """Per-track IDF (log n_sets − log(1 + sets with the track), floored at 0) and the average set length."""
    n_sets = max(matrix.shape[0], 1)
    sets_per_track = np.bincount(sp.csr_matrix(matrix).indices, minlength=matrix.shape[1])
    idf = np.maximum(np.log(n_sets) - np.log1p(sets_per_track), 0.0).astype(np.float32)
    row_sums = np.asarray(matrix.sum(axis=1)).ravel()
    return idf, float(row_sums.mean()) if len(row_sums) else 1.0


def bm25_weight(
    matrix: sp.csr_matrix,
    *,
    k1: float = 100.0,
    b: float = 0.8,
    idf: np.ndarray | None = None,
    average_length: float | None = None,
) -> sp.csr_matrix:
    """BM25 weights of a sets × tracks matrix: term frequency saturated by `k1`, length-normalised by `b`.

    `idf` and `average_length` default to `matrix`'s own (`bm25_stats`); pass a training matrix's
    to weight new query rows the way training rows were weighted.
    """
    matrix = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    if idf is None or average_length is None:
        idf, average_length = bm25_stats(matrix)
    row_sums = np.asarray(matrix.sum(axis=1)).ravel()
    length_norm = (1.0 - b) + b * row_sums / max(average_length, 1e-9)
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    tf = matrix.data
    matrix.data = (tf * (k1 + 1.0) / (k1 * length_norm[row_of] + tf) * idf[matrix.indices]).astype(np.float32)
    matrix.eliminate_zeros()
    return matrix


def weight(
    matrix: sp.csr_matrix, scheme: str, *, alpha: float = 1.0, k1: float = 100.0, b: float = 0.8
) -> sp.csr_matrix:
    """`matrix` weighted by `scheme` (one of `WEIGHTINGS`)."""
    if scheme == "binary":
        out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
        out.data[:] = 1.0
        return out
    if scheme == "bm25":
        return bm25_weight(matrix, k1=k1, b=b)
    if scheme == "confidence":
        out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
        out.data = (1.0 + alpha * np.log1p(out.data)).astype(np.float32)
        return out
    raise BadInputError(f"weighting={scheme!r} is not one of {', '.join(WEIGHTINGS)}.")


def query_weight(queries: sp.csr_matrix, scheme: str, stats: tuple[np.ndarray, float]) -> sp.csr_matrix:
    """Query rows weighted as the training rows were: BM25 with the *training* matrix's IDF and average set
    length (`stats` = `bm25_stats(training)`; a batch's own statistics would zero a one-track query), the other
    schemes row by row."""
    if scheme == "bm25":
        return bm25_weight(queries, idf=stats[0], average_length=stats[1])
    return weight(queries, scheme)


def min_support(
    matrix: sp.csr_matrix, *, min_sets: int = 1, min_tracks: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the rows with ≥ `min_tracks` tracks and columns in ≥ `min_sets` sets."""
    binary = matrix.copy()
    binary.data[:] = 1
    keep_cols = np.asarray(binary.sum(axis=0)).ravel() >= min_sets
    keep_rows = np.asarray(binary[:, keep_cols].sum(axis=1)).ravel() >= min_tracks
    return keep_rows, keep_cols


def damp_dj_repeats(matrix: sp.csr_matrix, set_dj: np.ndarray, exponent: float = 0.5) -> sp.csr_matrix:
    """Scale each cell by n ** -exponent, n = number of sets of the same DJ that play the track.

    set_dj : np.ndarray [shape=(n_sets,), dtype=int]  a DJ id per row; -1 when unknown (never damped).
    """
    matrix = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    dj = np.asarray(set_dj)[row_of]
    known = dj >= 0
    if not known.any() or exponent == 0:
        return matrix
    pair = dj[known].astype(np.int64) * matrix.shape[1] + matrix.indices[known]
    _, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    scale = np.ones(len(matrix.data), dtype=np.float32)
    scale[known] = np.power(counts[inverse.ravel()], -exponent)
    matrix.data *= scale
    return matrix
