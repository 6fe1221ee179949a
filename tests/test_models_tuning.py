"""The tuning's shortlist: on a large catalog the grid search ranks each signal's best tracks only."""

import numpy as np
import scipy.sparse as sp

from models.evaluation import top_items
from models.tuning import shortlist


def _blend(signals, weights):
    return sum(weights[name] * values for name, values in signals.items())


def test_shortlist_ranks_like_the_whole_catalog_and_never_returns_seeds():
    rng = np.random.default_rng(0)
    n_queries, n_tracks = 6, 5_000
    signals = {
        name: rng.random((n_queries, n_tracks), dtype=np.float32) for name in ("sets", "als", "artists")
    }
    signals["sets"][:, rng.choice(n_tracks, 4_000, replace=False)] = 0.0  # sparse, like the set votes
    signals["artists"][:, rng.choice(n_tracks, 4_900, replace=False)] = 0.0  # fewer votes than the shortlist
    signals["popularity"] = np.tile(rng.random(n_tracks, dtype=np.float32), (n_queries, 1))  # one row for all
    seeds = sp.random(n_queries, n_tracks, density=0.002, format="csr", random_state=1, dtype=np.float32)
    seeds.data[:] = 1.0
    seeds = seeds.tolil()
    seeds[0, np.argsort(-signals["popularity"][0])[:5]] = 1.0  # the most popular tracks are seeds of query 0
    seeds = seeds.tocsr()
    columns, gathered, leave_out = shortlist(signals, seeds, per_signal=200)
    widest = int(np.diff(seeds.indptr).max())
    assert columns is not None and columns.shape[1] <= 4 * (200 + widest) and gathered["als"].shape == columns.shape
    for weights in (
        {"sets": 1, "als": 0.01, "artists": 0.1, "popularity": 0},
        {"sets": 1, "als": 1, "artists": 0, "popularity": 0.01},
        {"sets": 0, "als": 0.3, "artists": 1, "popularity": 0},
        {"sets": 0, "als": 0.1, "artists": 0, "popularity": 1},
    ):
        whole = top_items(_blend(signals, weights), seeds, 20)
        short = np.take_along_axis(columns, top_items(_blend(gathered, weights), leave_out, 20), axis=1)
        np.testing.assert_array_equal(short, whole)
        assert not any(seeds[i, short[i]].nnz for i in range(n_queries))


def test_small_catalogs_are_ranked_whole():
    signals = {"sets": np.ones((2, 100), dtype=np.float32)}
    seeds = sp.csr_matrix((2, 100), dtype=np.float32)
    columns, gathered, leave_out = shortlist(signals, seeds, per_signal=200)
    assert columns is None and gathered is signals and leave_out is seeds
