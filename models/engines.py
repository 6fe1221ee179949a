"""Scoring engines a published run can carry: each scores every track for a list of seed tracks.

An engine works in column space (0 … n_tracks-1 of the run's `track_ids`); `scores(seeds, weights)`
returns one float32 score per column, higher is better, and treats several seeds as a weighted
sum; `top(seeds, weights, k=…, exclude=…)` returns the best k of those scores as (columns, scores),
best first (ties: lower column first), without necessarily scoring every track. Engines are rebuilt
from a run's arrays with `engine_from_run`; `to_arrays` is what a run saves.
"""

from __future__ import annotations

import numpy as np

from errors import ArtifactMissingError
from models.topk import top_k


class AlsEngine:
    """Cosine similarity of ALS item factors.

    item_factors : np.ndarray [shape=(n_tracks, factors)]
    """

    name = "als"

    def __init__(self, item_factors: np.ndarray):
        self.item_factors = item_factors
        norms = np.linalg.norm(np.asarray(item_factors, dtype=np.float32), axis=1)
        self._inverse_norms = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)

    @property
    def n_tracks(self) -> int:
        return self.item_factors.shape[0]

    def scores(self, seeds: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        seeds = np.asarray(seeds, dtype=np.int64)
        weights = (
            np.ones(len(seeds), dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
        )
        query = (weights * self._inverse_norms[seeds])[:, None] * np.asarray(self.item_factors[seeds])
        return (self.item_factors @ query.sum(axis=0)) * self._inverse_norms

    def top(self, seeds: np.ndarray, weights: np.ndarray | None = None, *, k: int,
            exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return top_k(self.scores(seeds, weights), k, exclude=exclude)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": np.asarray(self.item_factors)}

    def metadata(self) -> dict:
        return {}

    @classmethod
    def from_run(cls, run) -> AlsEngine:
        return cls(run.array("item_factors"))


class HybridEngine:
    """The default model (`models.hybrid`): set neighbours, ALS, artist back-off, transitions, popularity."""

    name = "default"

    def __init__(self, model):
        self.model = model

    @property
    def sets_per_track(self) -> np.ndarray:
        """How many training sets play each column [shape=(n_tracks,)] (plans the evidence queries)."""
        return np.diff(self.model.weighted_track_sets.indptr)

    @property
    def n_tracks(self) -> int:
        return self.model.set_tracks.shape[1]

    def scores(self, seeds: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return self.model.scores(self._query(seeds, weights))[0]

    def top(self, seeds: np.ndarray, weights: np.ndarray | None = None, *, k: int,
            exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The model's candidate path (`models.candidates`), or every track scored when it cannot prove its answer."""
        return self.model.top(self._query(seeds, weights), k, exclude=exclude)

    def _query(self, seeds: np.ndarray, weights: np.ndarray | None):
        """The seeds as one row [shape=(1, n_tracks)], valued by their weights (default 1)."""
        import scipy.sparse as sp

        seeds = np.asarray(seeds, dtype=np.int64)
        values = np.ones(len(seeds), np.float32) if weights is None else np.asarray(weights, np.float32)
        return sp.csr_matrix((values, (np.zeros(len(seeds), dtype=np.int64), seeds)), shape=(1, self.n_tracks))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return self.model.to_arrays()

    def metadata(self) -> dict:
        return {"hybrid": self.model.params.to_dict()}

    @classmethod
    def from_run(cls, run) -> HybridEngine:
        from models.hybrid import HybridModel, HybridParams

        stored = run.metadata.get("parameters", {}).get("hybrid")
        if stored is None:
            raise ArtifactMissingError(f"Run {run.run_id} has no hybrid parameters in its metadata.json: retrain it.")
        params = HybridParams.from_dict(stored)
        model = HybridModel.from_arrays(run.array, params)
        model.warm()  # the candidate path's orders (ALS norm, popularity), built once here rather than in a query
        return cls(model)


ENGINES = {AlsEngine.name: AlsEngine, HybridEngine.name: HybridEngine}


def engine_from_run(run):
    """The engine named in the run's metadata (`engine`), built from its arrays."""
    name = run.metadata.get("engine", "als")
    if name not in ENGINES:
        raise ArtifactMissingError(
            f"Run {run.run_id} uses engine {name!r}, which this Cratedigger does not know: update it or retrain."
        )
    return ENGINES[name].from_run(run)
