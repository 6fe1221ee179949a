"""Two weight sets: a pasted track (few seeds) and a crate or set (many seeds) blend the signals differently.

The cut between them and both weight sets are tuned on a validation split; a run stored before there
were two weight sets loads and blends exactly as it did.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import models.tuning as tuning
from models.als import AlsParams
from models.hybrid import HybridModel, HybridParams
from models.matrix import play_matrix
from models.split import holdout_split
from tests.test_models_candidates import _query, _random_dataset

SMALL_ALS = AlsParams(factors=8, iterations=8, regularization=0.05, alpha=5.0)
MANY = {"sets": 1.0, "als": 0.01, "artists": 0.01, "transitions": 0.01, "popularity": 0.0}
FEW = {"sets": 0.1, "als": 1.0, "artists": 0.0, "transitions": 0.0, "popularity": 0.5}


@pytest.fixture(scope="module")
def dataset():
    return _random_dataset(seed=9, n_sets=300, n_tracks=500)


@pytest.fixture(scope="module")
def model(dataset):
    params = HybridParams(als=SMALL_ALS, weights=MANY, few_seed_weights=FEW, few_seeds=3)
    return HybridModel(params).fit(dataset.training(play_matrix(dataset.plays), dataset.plays))


def test_each_query_uses_the_weights_for_its_number_of_seeds(model):
    params = model.params
    assert params.weights_for(1) is params.few_seed_weights and params.weights_for(3) is params.few_seed_weights
    assert params.weights_for(4) is params.weights and params.weights_for(0) is params.weights
    queries = sp.vstack([_query(model, [3]), _query(model, [3, 8, 20, 41, 77]), _query(model, [5, 9])]).tocsr()
    mixed = model.scores(queries)
    signals = model.signals(queries, names=model.active_signals())
    for row, weights in ((0, FEW), (1, MANY), (2, FEW)):
        alone = model.blend({name: values[row : row + 1] for name, values in signals.items()}, weights)[0]
        np.testing.assert_allclose(mixed[row], alone, rtol=1e-6, atol=1e-6)
    assert not np.allclose(model.blend(signals, FEW)[1], mixed[1])  # the weight sets really differ


def test_few_seeds_zero_blends_every_query_with_the_weights(model):
    from dataclasses import replace

    one = replace(model.params, few_seeds=0)
    assert one.weights_for(1) is one.weights and one.profiles() == [one.weights]


def test_a_run_stored_before_the_second_weight_set_blends_as_it_did():
    stored = {"weights": dict(MANY), "set_exponent": 2.0, "als": SMALL_ALS.to_dict()}
    params = HybridParams.from_dict(stored)
    assert params.few_seeds == 0 and params.weights_for(1) == MANY
    assert HybridParams.from_dict(params.to_dict()) == params  # and it round-trips
    assert HybridParams.from_dict({**params.to_dict(), "a_later_knob": 3}) == params  # a newer run's names: left out


def test_als_is_fitted_when_only_the_few_seed_weights_use_it():
    without = {**MANY, "als": 0.0}
    assert HybridParams(weights=without, few_seed_weights=FEW, few_seeds=1).needs_als
    assert not HybridParams(weights=without, few_seed_weights=FEW, few_seeds=0).needs_als


def test_one_seed_queries_leave_the_rest_of_their_set_out_and_add_next_pairs(dataset):
    split = holdout_split(dataset.plays, holdout=0.2, min_set=8, seed=1)
    kept = split.train.matrix[split.test_rows]
    budget = 2 * kept.shape[0]
    queries, truth, exclude = tuning._one_seed_queries(split, kept, split.truth, budget, np.random.default_rng(0))
    n_sets = kept.shape[0]
    assert np.all(np.diff(queries.indptr) == 1) and len(truth) == queries.shape[0] > n_sets
    for row in range(n_sets):
        seed = queries.indices[row]
        assert kept[row, seed] == 1 and (exclude[row] != kept[row]).nnz == 0  # its whole kept set
    pairs = {tuple(p) for p in split.next_pairs.tolist()}
    for row in range(n_sets, queries.shape[0]):
        assert (queries.indices[row], int(truth[row][0])) in pairs
        assert exclude[row].indices.tolist() == [queries.indices[row]]  # only the seed
    small, small_truth, left_out = tuning._one_seed_queries(split, kept, split.truth, 10, np.random.default_rng(0))
    assert small.shape[0] == len(small_truth) == 10  # one dense batch: 5 sets, 5 pairs
    rows = {tuple(kept[i].indices.tolist()): i for i in range(n_sets)}
    for row in range(5):  # a random five of the sets, each asked with one of its own kept tracks
        i = rows[tuple(left_out[row].indices.tolist())]
        assert kept[i, small.indices[row]] == 1 and np.array_equal(small_truth[row], split.truth[i])
    assert sorted(rows[tuple(left_out[r].indices.tolist())] for r in range(5)) != list(range(5))


def test_tuning_chooses_both_weight_sets_and_the_cut(dataset):
    split = holdout_split(dataset.plays, holdout=0.2, min_set=8, seed=1)
    data = dataset.training(split.train, split.train_plays)
    params = HybridParams(als=SMALL_ALS)
    tuned, value = tuning.tune_weights(params, split, data, seed=0)
    assert value > 0
    assert tuned.weights["sets"] == 1.0  # each weight set has its anchor
    assert tuned.few_seed_weights["als"] == 1.0 or tuned.few_seeds == 0
    assert tuned.few_seeds in (0, 1, *tuning.SEED_COUNTS)
    assert set(tuned.weights) == set(params.weights) and set(tuned.few_seed_weights) == set(params.few_seed_weights)
    assert tuned.als == params.als and tuned.set_exponent == params.set_exponent  # only the blend is tuned


def test_the_cut_stops_where_the_many_seed_weights_do_better(dataset, monkeypatch):
    split = holdout_split(dataset.plays, holdout=0.2, min_set=8, seed=1)
    model = HybridModel(HybridParams(als=SMALL_ALS).with_every_signal()).fit(
        dataset.training(split.train, split.train_plays))
    kept = split.train.matrix[split.test_rows]
    sizes = []

    def fake_scorer(model, queries, truth, exclude=None):
        count = int(np.diff(queries.indptr)[0])
        sizes.append(count)
        assert np.all(np.diff(queries.indptr) == count) and (queries.multiply(exclude) != queries).nnz == 0
        return lambda weights: (1.0 if weights is FEW else 0.0) if count < 4 else (1.0 if weights is MANY else 0.0)

    monkeypatch.setattr(tuning, "_scorer", fake_scorer)
    monkeypatch.setattr(tuning, "MIN_CUT_QUERIES", 1)
    assert tuning._cut(model, kept, split.truth, MANY, FEW, np.random.default_rng(0)) == 2
    assert sizes == [2, 4]
    sizes.clear()
    monkeypatch.setattr(tuning, "_scorer", lambda *args: (sizes.append(0), lambda weights: float(weights is FEW))[1])
    assert tuning._cut(model, kept, split.truth, MANY, FEW, np.random.default_rng(0)) == tuning.SEED_COUNTS[-1] == 4
    assert len(sizes) == len(tuning.SEED_COUNTS)  # never past the last count, however well few seeds do


def test_the_few_seed_search_keeps_set_neighbours_at_their_floor():
    """Even when the validation objective would drop `sets` to 0, a pasted track keeps co-played tracks first."""
    def prefers_no_sets(weights):
        return 1.0 - weights["sets"] + 0.1 * weights["popularity"]

    prefers_no_sets.signals = ("sets", "als", "popularity")
    start = {"sets": 1.0, "als": 1.0, "popularity": 0.0}
    free, _ = tuning._search(prefers_no_sets, start, "als", 2, tuning.GRID)
    floored, _ = tuning._search(prefers_no_sets, start, "als", 2, tuning.GRID, floors=tuning.FEW_SEED_FLOORS)
    assert free["sets"] == 0.0 and floored["sets"] == tuning.FEW_SEED_FLOORS["sets"] > 0
    assert floored["als"] == 1.0 and floored["popularity"] == 1.0
