"""The default model: a weighted blend of set neighbours, ALS, artist back-off, transitions and popularity.

Set data is very sparse (most tracks are in one or two sets), so no single signal is enough:

- `sets`: the sets most like the query (IDF-weighted cosine on tracks, plus `set_artist_weight` ×
  the same on credited artists), each voting for its tracks with similarity ** `set_exponent`;
- `als`: implicit ALS on BM25-weighted plays; the query is folded in as a new set;
- `artists`: back-off through credits (artists, remixers and the label, `models.side`): those
  credited on the seeds, and those often played with them, vote for their tracks (the
  tie-breaker for tracks seen in one set);
- `transitions`: tracks DJs played within a few positions after a seed ("played next");
- `popularity`: sets per track, a small prior.

Each signal is scaled to a maximum of 1 per query and the blend is Σ weight × signal. A query of a
few seeds (a pasted track) and one of many (a crate, a set) want different blends: many seeds find
the sets like them, one seed is in too few sets for that, and ALS with a popularity prior does far
better (bench/models.md, "One pasted track"). So there are two sets of weights, `few_seed_weights`
for queries of at most `few_seeds` seeds and `weights` for the rest. Both, and the cut between
them, are tuned on a validation split (`models.tuning`), never on test data.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import scipy.sparse as sp

from errors import ArtifactMissingError
from models.als import AlsParams, fit_supported, one_blas_thread
from models.rankers import TrainData
from models.weighting import bm25_stats, damp_dj_repeats, query_weight, weight

log = logging.getLogger(__name__)

SIGNALS = ("sets", "als", "artists", "transitions", "popularity")
SPARSE_SIGNALS = ("sets", "artists", "transitions")  # exactly 0 outside the tracks they vote for
# Measured on real MixesDB sets (bench/models.md): set neighbours lead, the rest break its ties.
DEFAULT_WEIGHTS = {"sets": 1.0, "als": 0.0001, "artists": 0.01, "transitions": 0.01, "popularity": 0.0}
# Measured on the same sets queried with one of their tracks (bench/models.md): ALS and popularity as its
# prior lead. Set neighbours weigh as much as ALS here, although ALS alone scores ~3 % better on held-out
# tracks: untuned, a track never played with the seed should not outrank those DJs played with it.
FEW_SEED_WEIGHTS = {"sets": 1.0, "als": 1.0, "artists": 0.1, "transitions": 0.0, "popularity": 0.3}
FEW_SEEDS = 4  # queries with at most this many seeds use FEW_SEED_WEIGHTS (as far as `tune` goes: models.tuning)
BLEND_FIELDS = ("weights", "few_seed_weights", "few_seeds")  # what `models.tuning` chooses


@dataclass(frozen=True)
class HybridParams:
    """Structure and blend weights of the hybrid model."""

    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    few_seed_weights: dict = field(default_factory=lambda: dict(FEW_SEED_WEIGHTS))
    few_seeds: int = FEW_SEEDS  # 0: every query uses `weights`
    set_artist_weight: float = 0.3
    set_exponent: float = 2.0
    neighbour_sets: int = 200
    artist_self: float = 30.0
    artist_neighbours: int = 50
    dj_repeat_damping: float = 0.5  # a DJ's n sets playing one track weigh n ** -this each (0: off)
    als: AlsParams = field(default_factory=lambda: AlsParams(factors=128, regularization=0.05, alpha=5.0))

    @property
    def needs_als(self) -> bool:
        return any(weights.get("als", 0.0) > 0 for weights in self.profiles())

    def profiles(self) -> list[dict]:
        """The weight sets a query can use: `weights`, and `few_seed_weights` when `few_seeds` > 0."""
        return [self.weights] + ([self.few_seed_weights] if self.few_seeds > 0 else [])

    def weights_for(self, n_seeds: int) -> dict:
        """The blend weights for a query of `n_seeds` seeds."""
        return self.few_seed_weights if 0 < n_seeds <= self.few_seeds else self.weights

    def to_dict(self) -> dict:
        return asdict(self)

    def blend_fields(self) -> dict:
        """The tuned part: both weight sets and the cut between them (`BLEND_FIELDS`)."""
        return {name: getattr(self, name) for name in BLEND_FIELDS}

    @classmethod
    def from_dict(cls, values: dict) -> HybridParams:
        """Stored parameters; names this version does not know (a newer run's) are left out."""
        values = _known_fields(cls, values)
        values["als"] = AlsParams(**_known_fields(AlsParams, values.get("als", {})))
        if "weights" in values and "few_seed_weights" not in values:
            values["few_seeds"] = 0  # stored before there were two weight sets: blend as it was
        return cls(**values)

    def with_weights(self, **weights: float) -> HybridParams:
        return replace(self, weights={**self.weights, **weights})

    def with_every_signal(self) -> HybridParams:
        """The same structure with every signal weighted 1 in every weight set (fit or tune them all)."""
        return replace(self, weights={name: 1.0 for name in self.weights},
                       few_seed_weights={name: 1.0 for name in self.few_seed_weights})


def _known_fields(cls, values: dict) -> dict:
    """`values` without the names `cls` (a dataclass) does not have, which are logged: a newer run's settings."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        log.warning("ignoring stored %s settings this version does not know: %s", cls.__name__, ", ".join(unknown))
    return {name: value for name, value in values.items() if name in known}


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    return out


def _idf(binary: sp.csr_matrix) -> np.ndarray:
    """log(n_sets / (1 + sets per column)), floored at 0."""
    per_column = np.bincount(binary.indices, minlength=binary.shape[1])
    return np.maximum(np.log(max(binary.shape[0], 1) / (1.0 + per_column)), 0.0).astype(np.float32)


def _row_norms(matrix: sp.csr_matrix) -> np.ndarray:
    return np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()).astype(np.float32)


def _scale_rows(matrix: sp.csr_matrix, factors: np.ndarray) -> sp.csr_matrix:
    """A copy of `matrix` with row i multiplied by factors[i]."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data *= np.repeat(factors.astype(np.float32), np.diff(out.indptr))
    return out


def _scale_cols(matrix: sp.csr_matrix, factors: np.ndarray) -> sp.csr_matrix:
    """A copy of `matrix` with column j multiplied by factors[j]."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data *= np.asarray(factors, dtype=np.float32)[out.indices]
    return out


def _cosine(queries: sp.csr_matrix, items_t: sp.csr_matrix, item_norms: np.ndarray) -> sp.csr_matrix:
    """Cosine of each query row with each item (both weighted; `items_t` is items transposed): queries × items."""
    sim = sp.csr_matrix(queries @ items_t)
    sim.data *= (1.0 / np.maximum(item_norms[sim.indices], 1e-9)).astype(np.float32)  # only the items it reached
    return _scale_rows(sim, 1.0 / np.maximum(_row_norms(queries), 1e-9))


def _top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of each row (rows with at most k entries are kept whole)."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    if k <= 0:
        return matrix
    counts = np.diff(matrix.indptr)
    keep = np.repeat(counts <= k, counts)  # only the rows with more than k entries need a choice
    for row in np.flatnonzero(counts > k):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        keep[start + np.argpartition(-matrix.data[start:end], k - 1)[:k]] = True
    indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, k))]).astype(matrix.indptr.dtype)
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def _csr_arrays(name: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    matrix = sp.csr_matrix(matrix)
    return {
        f"{name}_indptr": matrix.indptr.astype(np.int64),
        f"{name}_indices": matrix.indices.astype(np.int32),
        f"{name}_data": matrix.data.astype(np.float32),
        f"{name}_shape": np.array(matrix.shape, dtype=np.int64),
    }


def _csr_from(array, name: str) -> sp.csr_matrix:
    shape = tuple(int(x) for x in np.asarray(array(f"{name}_shape")))
    return sp.csr_matrix(
        (
            np.asarray(array(f"{name}_data")),
            np.asarray(array(f"{name}_indices")),
            np.asarray(array(f"{name}_indptr")),
        ),
        shape=shape,
    )


HEAD_ROWS = 65_536  # largest-norm ALS rows kept contiguous for the candidate path (`FoldIn._head`)


def _chunks(rows: np.ndarray, size: int = 65536):
    """`rows` in float32 blocks of `size` rows; a memory-mapped `rows` is unmapped after each block, so a
    pass over 760 MB of factors keeps one block resident, not all of it."""
    for start in range(0, len(rows), size):
        yield np.asarray(rows[start : start + size], dtype=np.float32)
        _unmap_pages(rows)


def _unmap_pages(array: np.ndarray) -> None:
    """Drop a memory-mapped array's resident pages from this process (`MADV_DONTNEED`); no-op otherwise."""
    import mmap

    while array is not None and not isinstance(getattr(array, "_mmap", None), mmap.mmap):
        array = getattr(array, "base", None)
    if array is not None and hasattr(mmap, "MADV_DONTNEED"):
        array._mmap.madvise(mmap.MADV_DONTNEED)


class FoldIn:
    """ALS item factors and what it takes to fold a new set in (Hu, Koren & Volinsky's user step).

    For a set with confidences c_i on tracks i: x = (YᵀY + λI + Σ (c_i − 1) y_i y_iᵀ)⁻¹ Σ c_i y_i,
    the same least-squares step `implicit` takes for a training set, in float64.
    """

    def __init__(self, item_factors: np.ndarray, params: AlsParams):
        self.item_factors = item_factors
        self.params = params
        gram = np.zeros((item_factors.shape[1],) * 2)
        for chunk in _chunks(item_factors):  # YᵀY in float64 without a float64 copy of Y (1.5 GB at 1.5 M × 128)
            chunk64 = chunk.astype(np.float64)
            gram += chunk64.T @ chunk64
        self._base = gram + params.regularization * np.eye(item_factors.shape[1])

    @functools.cached_property
    def _by_norm(self) -> tuple[np.ndarray, np.ndarray]:
        """Item rows by decreasing ‖yᵢ‖: (rows [shape=(n,)], −‖yᵢ‖ ascending [shape=(n,)]); one pass over the factors."""
        norms = np.concatenate([np.linalg.norm(chunk, axis=1) for chunk in _chunks(self.item_factors)]
                               or [np.zeros(0, np.float32)])
        order = np.argsort(-norms, kind="stable")
        return order, -norms[order]

    @functools.cached_property
    def _head(self) -> np.ndarray:
        """The `HEAD_ROWS` largest-norm item rows, in that order, contiguous [shape=(≤ HEAD_ROWS, f)] (32 MB)."""
        order, _ = self._by_norm
        head = order[:HEAD_ROWS]
        by_row = np.argsort(head)  # read the mapped file in row order
        out = np.empty((len(head), self.item_factors.shape[1]), dtype=np.float32)
        out[by_row] = np.asarray(self.item_factors[head[by_row]], dtype=np.float32)
        return out

    def _by_norm_slice(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, factors) of the items at positions start … stop-1 in decreasing-norm order."""
        order, _ = self._by_norm
        rows = order[start:stop]
        if stop <= HEAD_ROWS:
            return rows, self._head[start:stop]
        return rows, np.asarray(self.item_factors[rows], dtype=np.float32)

    def warm(self) -> None:
        """Build what `largest_score` and `best_rows` need now (≈ 0.5 s at 1.5 M tracks), not in the first query.

        Like YᵀY, it reads the factors block by block (`_chunks`): memory-mapped factors stay in the page
        cache, shared and reclaimable, and a query maps back only the rows it reads.
        """
        _ = self._head

    def largest_score(self, factors: np.ndarray, at_least: float, *, max_rows: int = 50_000) -> float | None:
        """max over all items of |factors · yᵢ| [factors shape=(f,)], given a value `at_least` already reached.

        Only rows with ‖factors‖ · ‖yᵢ‖ > `at_least` can beat it (Cauchy–Schwarz); ALS shrinks rarely
        played tracks towards 0, so these are a few thousand of 1.5 M at MixesDB scale. When more than
        `max_rows` could (a small `at_least`: a query with no sparse candidates), the largest and the
        smallest value are found by `best_rows` on ±factors instead; None if that cannot either.
        """
        order, negative_norms = self._by_norm
        length = float(np.linalg.norm(factors))
        if length == 0:
            return 0.0
        count = int(np.searchsorted(negative_norms, -at_least / length, side="left"))
        if count > max_rows:  # the largest value first: it usually bounds |the smallest| as well
            nothing = np.zeros(0, np.int64)
            top = self.best_rows(factors, 1, skip=nothing)
            if top is None:
                return None
            at_least = max([at_least, *top[1].tolist()])
            count = int(np.searchsorted(negative_norms, -at_least / length, side="left"))
            if count > max_rows:
                bottom = self.best_rows(-factors, 1, skip=nothing)
                return None if bottom is None else max([at_least, *bottom[1].tolist()])
        if count == 0:
            return at_least
        _, vectors = self._by_norm_slice(0, count)
        return max(at_least, float(np.abs(vectors @ factors).max()))

    def best_rows(self, factors: np.ndarray, count: int, *, skip: np.ndarray, max_rows: int = 200_000
                  ) -> tuple[np.ndarray, np.ndarray] | None:
        """The `count` items with the largest factors · yᵢ [factors shape=(f,)], rows in `skip` (sorted) left out.

        Returns (rows, values) best first, each [shape=(≤ count,)]. Scans rows by decreasing ‖yᵢ‖ and stops
        when no row left can beat the count-th best (‖factors‖ · ‖yᵢ‖ bounds it); None past `max_rows`.
        """
        order, negative_norms = self._by_norm
        length = float(np.linalg.norm(factors))
        rows, values = np.zeros(0, np.int64), np.zeros(0, np.float32)
        start, block = 0, 4096
        while start < len(order):
            if len(values) >= count and values[count - 1] >= -length * negative_norms[start]:
                break
            if start >= max_rows:
                return None
            chunk, vectors = self._by_norm_slice(start, start + block)
            wanted = ~np.isin(chunk, skip, assume_unique=True)
            rows = np.concatenate([rows, chunk[wanted]])
            values = np.concatenate([values, vectors[wanted] @ factors])
            keep = np.lexsort((rows, -values))[:count]
            rows, values = rows[keep], values[keep]
            start, block = start + block, block * 2
        return rows, values

    def set_factors(self, confidences: sp.csr_matrix) -> np.ndarray:
        """Factors of each row of `confidences` (rows × tracks, already weighted), float32."""
        confidences = sp.csr_matrix(confidences) * self.params.alpha
        out = np.zeros((confidences.shape[0], self.item_factors.shape[1]), dtype=np.float32)
        with one_blas_thread():
            self._solve_rows(confidences, out)
        return out

    def _solve_rows(self, confidences: sp.csr_matrix, out: np.ndarray) -> None:
        for row in range(confidences.shape[0]):
            start, end = confidences.indptr[row], confidences.indptr[row + 1]
            if start == end:
                continue
            y = self.item_factors[confidences.indices[start:end]].astype(np.float64)
            c = confidences.data[start:end].astype(np.float64)
            a = self._base + (y * (c - 1.0)[:, None]).T @ y
            out[row] = np.linalg.solve(a, (c[:, None] * y).sum(axis=0))


def _max_scaled(scores: np.ndarray, peak: np.ndarray | None = None, *, in_place: bool = False) -> np.ndarray:
    """Each row divided by its largest absolute value (`peak` [shape=(rows, 1)] when already known);
    `in_place` overwrites `scores` (float) instead of allocating another array of its size."""
    if peak is None:
        peak = np.maximum(scores.max(axis=1, keepdims=True), -scores.min(axis=1, keepdims=True)) if scores.size \
            else np.zeros((scores.shape[0], 1), np.float32)
    divisor = np.where(peak > 0, peak, 1.0)
    if in_place:
        scores /= divisor.astype(scores.dtype, copy=False)
        return scores
    return scores / divisor


def _seed_counts(queries: sp.csr_matrix) -> np.ndarray:
    """Seeds per query row [shape=(n_queries,)]."""
    return np.diff(sp.csr_matrix(queries).indptr)


def _dense(matrix: sp.spmatrix) -> np.ndarray:
    return np.asarray(matrix.todense(), dtype=np.float32)


class HybridModel:
    """Fit with `fit(data)`; `scores(queries)` blends the signals for a batch of seed rows."""

    name = "default"

    def __init__(self, params: HybridParams | None = None):
        self.params = params or HybridParams()

    # -- fitting ------------------------------------------------------------------------------------
    def fit(self, data: TrainData) -> HybridModel:
        p = self.params
        counts = sp.csr_matrix(data.counts, dtype=np.float32)
        n_tracks = counts.shape[1]
        self.set_tracks = _binary(counts)
        if data.set_dj is not None:  # one DJ replaying a track is not many independent votes
            self.set_tracks = damp_dj_repeats(self.set_tracks, data.set_dj, p.dj_repeat_damping)
        track_artists = data.track_artists
        if track_artists is None or track_artists.shape[1] == 0:
            track_artists = sp.csr_matrix((n_tracks, 0), dtype=np.float32)
        self.track_artists = _binary(track_artists)
        self._derive()
        self.artist_similarity = self._artist_similarity()
        self.transitions = (
            sp.csr_matrix(data.transitions, dtype=np.float32)
            if data.transitions is not None
            else sp.csr_matrix((n_tracks, n_tracks), dtype=np.float32)
        )
        self.bm25_idf, self.bm25_length = bm25_stats(counts)
        self.als = None
        if p.needs_als:
            self.als = FoldIn(fit_supported(weight(counts, p.als.weighting), p.als)[1], p.als)
        return self

    def _derive(self) -> None:
        """State computed from the set × track and track × artist matrices."""
        self.track_idf = _idf(self.set_tracks)
        self.set_artists = _binary(self.set_tracks @ self.track_artists)
        self.artist_idf = _idf(self.set_artists)
        self.popularity = np.log1p(np.asarray(self.set_tracks.sum(axis=0)).ravel()).astype(np.float32)
        weighted_set_tracks = _scale_cols(self.set_tracks, self.track_idf)
        weighted_set_artists = _scale_cols(self.set_artists, self.artist_idf)
        self.set_track_norm = _row_norms(weighted_set_tracks)
        self.set_artist_norm = _row_norms(weighted_set_artists)
        # transposed once here so that a query multiplies CSR by CSR
        self.weighted_track_sets = weighted_set_tracks.T.tocsr()
        self.weighted_artist_sets = weighted_set_artists.T.tocsr()
        self.artist_tracks = self.track_artists.T.tocsr()

    def _artist_similarity(self) -> sp.csr_matrix:
        """Artists × artists cosine of the sets they are played in, top `artist_neighbours` per artist."""
        n_artists = self.set_artists.shape[1]
        if n_artists == 0:
            return sp.csr_matrix((0, 0), dtype=np.float32)
        co = (self.set_artists.T @ self.set_artists).tocsr().astype(np.float32)
        counts = co.diagonal().copy()
        co.setdiag(0)
        co.eliminate_zeros()
        coo = co.tocoo()
        coo.data = coo.data / np.sqrt(counts[coo.row] * counts[coo.col])
        return _top_k_per_row(coo.tocsr(), self.params.artist_neighbours)

    # -- persistence --------------------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """What a run folder stores; everything else is derived again by `from_arrays`."""
        arrays = {}
        for name in ("set_tracks", "track_artists", "artist_similarity", "transitions"):
            arrays.update(_csr_arrays(name, getattr(self, name)))
        arrays["bm25_idf"] = self.bm25_idf
        arrays["bm25_length"] = np.array([self.bm25_length], dtype=np.float64)
        if self.als is not None:
            arrays["item_factors"] = np.asarray(self.als.item_factors, dtype=np.float32)
        return arrays

    @classmethod
    def from_arrays(cls, array, params: HybridParams) -> HybridModel:
        """A model from `array(name)` (e.g. `Run.array`), without refitting anything."""
        model = cls(params)
        model.set_tracks = _csr_from(array, "set_tracks")
        model.track_artists = _csr_from(array, "track_artists")
        model.artist_similarity = _csr_from(array, "artist_similarity")
        model.transitions = _csr_from(array, "transitions")
        model.bm25_idf = np.asarray(array("bm25_idf"))
        model.bm25_length = float(np.asarray(array("bm25_length"))[0])
        model._derive()
        model.als = None
        try:
            item_factors = np.asarray(array("item_factors"), dtype=np.float32)
        except ArtifactMissingError:
            item_factors = None
        if item_factors is not None:
            model.als = FoldIn(item_factors, params.als)
        return model

    # -- scoring ------------------------------------------------------------------------------------
    def signals(self, queries: sp.csr_matrix, names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        """Each signal (max-scaled per query) for a batch of seed rows (n_queries × n_tracks): `names`, by
        default those the rows' weight sets use."""
        queries = sp.csr_matrix(queries, dtype=np.float32)
        if names is None:
            names = self.active_signals(*(self.params.weights_for(n) for n in np.unique(_seed_counts(queries))))
        compute = {
            "sets": lambda: _dense(self._set_votes(queries)),
            "als": lambda: self._als_signal(queries),
            "artists": lambda: _dense(self._artist_votes(queries)),
            "transitions": lambda: _dense(self._transition_votes(queries)),
            "popularity": lambda: np.tile(self.popularity, (queries.shape[0], 1)),
        }
        return {name: _max_scaled(compute[name](), in_place=True) for name in names if name in compute}

    def blend(self, signals: dict[str, np.ndarray], weights: dict) -> np.ndarray:
        """Σ weight × signal [shape=(rows, columns), like the signals, which may be gathered to a shortlist]."""
        total = None
        for name, values in signals.items():
            w = weights.get(name, 0.0)
            if w:
                total = w * values if total is None else total + w * values
        if total is None:
            if signals:
                return np.zeros(next(iter(signals.values())).shape, dtype=np.float32)
            return np.zeros((0, self.set_tracks.shape[1]), dtype=np.float32)
        return total

    def scores(self, queries: sp.csr_matrix, rows: np.ndarray | None = None) -> np.ndarray:
        """Blended scores [shape=(n_queries, n_tracks)], each row with the weights for its number of seeds."""
        queries = sp.csr_matrix(queries, dtype=np.float32)
        p = self.params
        return self.blend_by_size(self.signals(queries), _seed_counts(queries), p.weights, p.few_seed_weights,
                                  p.few_seeds)

    def blend_by_size(self, signals: dict[str, np.ndarray], counts: np.ndarray, weights: dict, few_seed_weights: dict,
                      few_seeds: int) -> np.ndarray:
        """`blend` of each row [signals shape=(rows, columns)] with `few_seed_weights` when its seed count
        (`counts` [shape=(rows,)]) is 1 … `few_seeds`, else with `weights`."""
        few = (counts > 0) & (counts <= few_seeds)
        if few.all() and len(few):
            return self.blend(signals, few_seed_weights)
        out = self.blend(signals, weights)
        if few.any():
            out[few] = self.blend({name: values[few] for name, values in signals.items()}, few_seed_weights)
        return out

    def active_signals(self, *profiles: dict) -> tuple[str, ...]:
        """The signals some weight set in `profiles` (default: all of them) weighs and the data for, in
        `SIGNALS` order (what `signals` computes), then any weighted name this model does not know: the
        fast path (`top`) steps aside for those.
        """
        profiles = profiles or tuple(self.params.profiles())
        weighted = {name for weights in profiles for name, w in weights.items() if w > 0}
        available = {
            "sets": True,
            "als": self.als is not None,
            "artists": self.track_artists.shape[1] > 0,
            "transitions": self.transitions.nnz > 0,
            "popularity": True,
        }
        known = tuple(name for name in SIGNALS if name in weighted and available[name])
        return known + tuple(sorted(weighted - set(SIGNALS)))

    def top(self, query: sp.csr_matrix, k: int, *, exclude: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best columns for one seed row [shape=(1, n_tracks)], best first: (columns, scores).

        The same answer as `top_k(scores(query)[0], k)` (up to ties closer than float rounding), but
        scores only the tracks the sparse signals vote for when that provably gives the same top k
        (`models.candidates`), and every track otherwise.
        """
        from models.candidates import candidate_top
        from models.topk import top_k

        query = sp.csr_matrix(query, dtype=np.float32)
        weights = self.params.weights_for(int(query.nnz))
        found = candidate_top(self, query, k, weights, exclude=exclude)
        return found if found is not None else top_k(self.scores(query)[0], k, exclude=exclude)

    def _set_votes(self, queries: sp.csr_matrix) -> sp.csr_matrix:
        """The set-neighbour signal before scaling, sparse: queries × tracks."""
        p = self.params
        seeds = _binary(queries)
        sim = _cosine(_scale_cols(seeds, self.track_idf), self.weighted_track_sets, self.set_track_norm)
        if p.set_artist_weight > 0 and self.track_artists.shape[1]:
            q_artists = _scale_cols(_binary(seeds @ self.track_artists), self.artist_idf)
            sim = sim + p.set_artist_weight * _cosine(
                q_artists, self.weighted_artist_sets, self.set_artist_norm
            )
        sim = _top_k_per_row(sp.csr_matrix(sim), p.neighbour_sets)
        sim.data = np.power(sim.data, p.set_exponent)
        return sp.csr_matrix(sim @ self.set_tracks)

    def _als_signal(self, queries: sp.csr_matrix) -> np.ndarray:
        """Fold the seeds in as a new set (one least-squares solve) and score every track."""
        factors = self._als_query_factors(queries)
        with one_blas_thread():
            return factors @ np.asarray(self.als.item_factors).T

    def _als_query_factors(self, queries: sp.csr_matrix) -> np.ndarray:
        """The seeds folded in as new sets: queries × factors."""
        weighted = query_weight(_binary(queries), self.params.als.weighting, (self.bm25_idf, self.bm25_length))
        return self.als.set_factors(weighted)

    def _artist_votes(self, queries: sp.csr_matrix) -> sp.csr_matrix:
        """The artist back-off before scaling, sparse: queries × tracks."""
        q_artists = _binary(queries) @ self.track_artists  # queries × artists
        spread = q_artists @ self.artist_similarity + self.params.artist_self * q_artists
        spread = _scale_cols(sp.csr_matrix(spread), self.artist_idf + 1.0)
        return sp.csr_matrix(spread @ self.artist_tracks)

    def signal_votes(self, name: str, queries: sp.csr_matrix) -> sp.csr_matrix:
        """A sparse signal (one of `SPARSE_SIGNALS`) before scaling: queries × tracks."""
        votes = {"sets": self._set_votes, "artists": self._artist_votes, "transitions": self._transition_votes}
        return votes[name](sp.csr_matrix(queries, dtype=np.float32))

    @functools.cached_property
    def _popularity_order(self) -> np.ndarray:
        """Columns by decreasing popularity [shape=(n_tracks,)], ties by column."""
        return np.argsort(-self.popularity, kind="stable")

    def popular_rows(self, count: int, *, skip: np.ndarray) -> np.ndarray:
        """The `count` most popular columns not in `skip` (sorted), most popular first."""
        order = self._popularity_order[: count + len(skip)]
        return order[~np.isin(order, skip, assume_unique=True)][:count]

    def warm(self) -> None:
        """Build what the candidate path needs now rather than in the first query."""
        _ = self._popularity_order
        if self.als is not None:
            self.als.warm()

    @property
    def popularity_peak(self) -> np.ndarray:
        """The largest |popularity| [shape=(1, 1)], what `signals` scales popularity by."""
        return np.abs(self.popularity).max(keepdims=True).reshape(1, 1)

    def _transition_votes(self, queries: sp.csr_matrix) -> sp.csr_matrix:
        """Tracks played after the seeds, before scaling, sparse: queries × tracks."""
        return sp.csr_matrix(_binary(queries) @ self.transitions)
