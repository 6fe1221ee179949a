"""Exact cosine top-k over sound embeddings, with DJ filters (BPM range, Camelot-compatible key).

`EmbeddingIndex(embeddings, track_ids, tempo=…, camelot=…).similar(query, k=10, filters=…)`
returns `(ids, scores)` like the CF models: 1-D arrays for one query, best first. numpy
only: 100k x 64 float32 is 25 MB and a query is one matrix-vector product (~5 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from catalog.keys import camelot_compatible
from errors import BadInputError


@dataclass(frozen=True)
class NeighbourFilters:
    """Which neighbours are allowed.

    bpm: the query's tempo; with `bpm_tolerance` (fraction, 0.06 = ±6%) a neighbour must lie within
      that range of it, or of half or double it when `allow_half_double` (a DJ mixes 87 into 174).
    camelot: the query's Camelot code; a neighbour must be harmonically compatible with it.
    exclude: track ids never returned (e.g. the query itself).
    Neighbours whose tempo or key is unknown pass a filter they cannot be judged by only if `keep_unknown`.
    """

    bpm: float | None = None
    bpm_tolerance: float = 0.06
    allow_half_double: bool = True
    camelot: str | None = None
    exclude: Sequence = ()
    keep_unknown: bool = False


class EmbeddingIndex:
    """Unit-normalised embeddings [shape=(n, d)] of tracks `track_ids` [shape=(n,)], with optional
    per-track tempo [shape=(n,), BPM, NaN unknown] and Camelot codes [n strings, '' unknown]."""

    def __init__(self, embeddings: np.ndarray, track_ids: Sequence, *, tempo: Sequence[float] | None = None,
                 camelot: Sequence[str] | None = None):
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(track_ids):
            raise BadInputError(f"embeddings has shape {emb.shape} for {len(track_ids)} track ids.")
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        self.embeddings = emb / np.maximum(norms, 1e-9)
        self.track_ids = np.asarray(track_ids)
        self.tempo = None if tempo is None else np.asarray(tempo, dtype=np.float64)
        self.camelot = None if camelot is None else np.asarray([c or "" for c in camelot])
        self._compatible_cache: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.track_ids)

    def _mask(self, filters: NeighbourFilters) -> np.ndarray:
        keep = np.ones(len(self), dtype=bool)
        if filters.bpm and self.tempo is not None:
            known = np.isfinite(self.tempo) & (self.tempo > 0)
            ok = np.zeros(len(self), dtype=bool)
            for factor in (1.0, 0.5, 2.0) if filters.allow_half_double else (1.0,):
                target = filters.bpm * factor
                ok |= np.abs(self.tempo - target) <= filters.bpm_tolerance * target
            keep &= np.where(known, ok, filters.keep_unknown)
        if filters.camelot and self.camelot is not None:
            keep &= self._compatible(filters.camelot, filters.keep_unknown)
        if len(filters.exclude):
            keep &= ~np.isin(self.track_ids, np.asarray(filters.exclude))
        return keep

    def _compatible(self, code: str, keep_unknown: bool) -> np.ndarray:
        key = f"{code.upper()}|{keep_unknown}"
        if key not in self._compatible_cache:
            codes = {c: camelot_compatible(code, c) for c in set(self.camelot.tolist()) if c}
            self._compatible_cache[key] = np.array([codes.get(c, keep_unknown) if c else keep_unknown
                                                    for c in self.camelot])
        return self._compatible_cache[key]

    def similar(self, query: np.ndarray, k: int = 10, filters: NeighbourFilters | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` tracks most cosine-similar to `query` [shape=(d,)] that pass `filters`.

        Returns (track ids [shape=(<=k,)], cosine similarities [shape=(<=k,)]), best first.
        """
        q = np.asarray(query, dtype=np.float32).ravel()
        if q.shape[0] != self.embeddings.shape[1]:
            raise BadInputError(f"query has {q.shape[0]} dimensions; the index has {self.embeddings.shape[1]}.")
        if k <= 0:
            raise BadInputError(f"k={k} must be a positive integer.")
        q = q / max(float(np.linalg.norm(q)), 1e-9)
        scores = self.embeddings @ q
        if filters is not None:
            mask = self._mask(filters)
            candidates = np.flatnonzero(mask)
            scores = scores[candidates]
        else:
            candidates = None
        k = min(k, scores.size)
        if k == 0:
            return self.track_ids[:0], np.zeros(0, np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        rows = top if candidates is None else candidates[top]
        return self.track_ids[rows], scores[top].astype(np.float32)

    def similar_to_track(self, track_id, k: int = 10, filters: NeighbourFilters | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours of an indexed track (never itself)."""
        rows = np.flatnonzero(self.track_ids == track_id)
        if rows.size == 0:
            raise IndexError(f"track {track_id!r} has no embedding")
        base = filters or NeighbourFilters()
        filters = NeighbourFilters(**{**base.__dict__, "exclude": (*base.exclude, track_id)})
        return self.similar(self.embeddings[rows[0]], k, filters)
