"""The hybrid model's candidate path (`models.candidates`) gives the dense path's top n, up to ties.

Checked on a random scene-structured crate and on the demo crate, for one seed, several weighted
seeds, exclusions, n larger than the catalogue, other blend weights, and through `Recommender`
(one per artist, shared slots) against the same recommender forced onto the dense path.
"""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

import models.candidates as candidates
from models.als import AlsParams
from models.dataset import Dataset
from models.hybrid import HybridModel, HybridParams
from models.matrix import Plays, play_matrix
from models.pipeline import load_catalog_dataset
from models.topk import top_k
from tests.conftest import build_data
from tests.models_catalog import settings_for

SMALL_ALS = AlsParams(factors=8, iterations=8, regularization=0.05, alpha=5.0)


def _random_dataset(seed: int = 3, n_sets: int = 400, n_tracks: int = 700, n_artists: int = 90) -> Dataset:
    """Sets drawn from 4 scenes, power-law popularity inside each, ordered, credited to a few artists."""
    rng = np.random.default_rng(seed)
    scene_of = rng.integers(0, 4, n_tracks)
    sets, tracks, positions = [], [], []
    for set_id in range(n_sets):
        scene = set_id % 4
        pool = np.flatnonzero((scene_of == scene) | (rng.random(n_tracks) < 0.03))
        weights = 1.0 / (1 + np.arange(len(pool))) ** 0.9
        chosen = rng.choice(pool, size=min(len(pool), int(rng.integers(4, 16))), replace=False,
                            p=weights / weights.sum())
        sets += [set_id] * len(chosen)
        tracks += [f"t{t}" for t in chosen]
        positions += list(range(1, len(chosen) + 1))
    credits = {f"t{t}": [f"a{rng.integers(0, n_artists)}"] + ([f"a{rng.integers(0, n_artists)}"]
                                                             if rng.random() < 0.2 else [])
               for t in range(n_tracks)}
    plays = Plays(np.array(sets), np.array(tracks), np.array(positions))
    return Dataset(plays=plays, credits=credits)


def _fit(dataset: Dataset, *, few_seeds: int | None = None, **weights) -> HybridModel:
    params = HybridParams(als=SMALL_ALS)
    if weights:
        params = params.with_weights(**weights)
    if few_seeds is not None:
        params = replace(params, few_seeds=few_seeds)
    return HybridModel(params).fit(dataset.training(play_matrix(dataset.plays), dataset.plays))


@pytest.fixture(scope="module")
def random_model():
    return _fit(_random_dataset())


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    folder = build_data(tmp_path_factory.mktemp("demo-candidates"), ["demo", "--sets", "400"])
    return _fit(load_catalog_dataset(settings_for(folder)))


def _query(model, seeds, weights=None) -> sp.csr_matrix:
    values = np.ones(len(seeds), np.float32) if weights is None else np.asarray(weights, np.float32)
    return sp.csr_matrix((values, (np.zeros(len(seeds), np.int64), np.asarray(seeds))),
                         shape=(1, model.set_tracks.shape[1]))


def assert_same_top(model, query, k, exclude=None) -> bool:
    """The candidate answer (when it gives one) equals the dense top k up to ties; True when it gave one."""
    dense_scores = model.scores(query)[0]
    dense_columns, dense_top = top_k(dense_scores, k, exclude=exclude)
    fast = candidates.candidate_top(model, query, k, model.params.weights_for(query.nnz), exclude=exclude)
    answer = fast if fast is not None else model.top(query, k, exclude=exclude)
    columns, scores = answer
    assert len(columns) == len(dense_columns)
    tie = 1e-6  # float32 rounding of equal blends
    # the tracks chosen have, by the dense path's own scores, exactly the dense top k's scores, in order
    np.testing.assert_allclose(dense_scores[columns], dense_top, rtol=0, atol=tie)
    differ = columns != dense_columns
    np.testing.assert_allclose(dense_scores[columns[differ]], dense_scores[dense_columns[differ]], atol=tie)
    np.testing.assert_allclose(scores, dense_scores[columns], rtol=0, atol=tie)  # the scores it reports, too
    if exclude is not None:
        assert not set(columns.tolist()) & set(np.asarray(exclude).tolist())
    return fast is not None


def _popular_columns(model, count, rng):
    plays = np.asarray(model.set_tracks.sum(axis=0)).ravel()
    return rng.choice(np.flatnonzero(plays > 0), size=count, replace=False)


@pytest.mark.parametrize("k", [1, 10, 50])
def test_one_seed_matches_the_dense_path(random_model, k):
    rng = np.random.default_rng(k)
    taken = [assert_same_top(random_model, _query(random_model, [c]), k, exclude=np.array([c]))
             for c in _popular_columns(random_model, 60, rng)]
    assert sum(taken) >= len(taken) // 2  # the fast path is actually exercised


def test_several_weighted_seeds_and_exclusions_match(random_model):
    rng = np.random.default_rng(7)
    taken = []
    for _ in range(40):
        seeds = _popular_columns(random_model, 5, rng)
        exclude = np.concatenate([seeds, rng.integers(0, random_model.set_tracks.shape[1], 20)])
        taken.append(assert_same_top(random_model, _query(random_model, seeds, rng.random(5) + 0.1), 30,
                                     exclude=exclude))
    assert sum(taken) >= len(taken) // 2


def test_queries_of_many_seeds_blend_the_many_seed_weights_and_match(random_model):
    rng = np.random.default_rng(8)
    many = random_model.params.few_seeds + 4
    assert random_model.params.weights_for(many) is random_model.params.weights
    taken = [assert_same_top(random_model, _query(random_model, seeds), 20, exclude=seeds)
             for seeds in (_popular_columns(random_model, many, rng) for _ in range(30))]
    assert sum(taken) >= len(taken) // 2


def test_n_larger_than_the_catalogue_ranks_every_track(random_model):
    n_tracks = random_model.set_tracks.shape[1]
    query = _query(random_model, [0])
    columns, _ = random_model.top(query, n_tracks + 10, exclude=np.array([0]))
    assert len(columns) == n_tracks - 1
    assert_same_top(random_model, query, n_tracks + 10, exclude=np.array([0]))


@pytest.mark.parametrize("weights", [
    {"als": 0.05, "popularity": 0.01},  # dense signals heavy enough that the bound bites
    {"als": 0.0, "popularity": 0.0},  # sparse signals only
    {"artists": 0.0, "transitions": 0.3},
    {"sets": 0.0},
])
def test_other_blend_weights_match(weights):
    model = _fit(_random_dataset(seed=5, n_sets=250), few_seeds=0, **weights)  # every query blends `weights`
    rng = np.random.default_rng(1)
    for column in _popular_columns(model, 40, rng):
        assert_same_top(model, _query(model, [column]), 20, exclude=np.array([column]))


@pytest.mark.parametrize("few", [
    {"als": 1.0, "popularity": 1.0},  # no sparse signal at all: the threshold scan finds everything
    {"als": 1.0, "popularity": 0.3, "artists": 0.1, "sets": 0.1},  # the shipped shape
    {"popularity": 1.0, "transitions": 0.2},  # popularity alone outside the candidates
    {"als": 1.0},
])
def test_one_seed_weight_sets_led_by_dense_signals_match(few):
    model = _fit(_random_dataset(seed=6, n_sets=250))
    model.params = replace(model.params, few_seed_weights={name: few.get(name, 0.0) for name in
                                                           model.params.few_seed_weights}, few_seeds=2)
    rng = np.random.default_rng(2)
    taken = [assert_same_top(model, _query(model, [c]), 20, exclude=np.array([c]))
             for c in _popular_columns(model, 40, rng)]
    taken += [assert_same_top(model, _query(model, seeds), 20, exclude=seeds)
              for seeds in (_popular_columns(model, 2, rng) for _ in range(10))]
    assert sum(taken) >= len(taken) // 2


def test_an_unknown_weighted_signal_leaves_it_to_the_dense_path(random_model):
    model = HybridModel(random_model.params.with_weights(mood=0.5))
    model.__dict__.update({k: v for k, v in random_model.__dict__.items() if k != "params"})
    assert candidates.candidate_top(model, _query(model, [1]), 5, model.params.weights) is None


def test_demo_crate_matches_the_dense_path(demo_model):
    rng = np.random.default_rng(11)
    one = [assert_same_top(demo_model, _query(demo_model, [c]), 150, exclude=np.array([c]))
           for c in _popular_columns(demo_model, 40, rng)]
    multi = [assert_same_top(demo_model, _query(demo_model, seeds), 150, exclude=seeds)
             for seeds in (_popular_columns(demo_model, 5, rng) for _ in range(15))]
    assert sum(one) >= len(one) // 2 and sum(multi) >= len(multi) // 2


@pytest.fixture(scope="module")
def demo_recommender(tmp_path_factory):
    from models.recommender import Recommender

    folder = build_data(tmp_path_factory.mktemp("demo-rec"), ["demo", "--sets", "300"],
                        ["train-als", "--publish", "--factors", "8", "--iterations", "5"])
    return Recommender.from_current(settings_for(folder))


@pytest.mark.parametrize("options", [
    {"n": 20},
    {"n": 25, "one_per_artist": True},
    {"n": 12, "share_slots": True},
    {"n": 10_000},
])
def test_recommender_answers_as_with_the_dense_path(demo_recommender, monkeypatch, options):
    rec = demo_recommender
    rng = np.random.default_rng(4)
    known = rec.track_ids[_popular_columns(rec.engine.model, 12, rng)]
    queries = [[int(t)] for t in known[:6]] + [[int(t) for t in known[6:]]]
    fast = [rec.similar(q, explain=False, **options) for q in queries]
    monkeypatch.setattr(candidates, "candidate_top", lambda *args, **kwargs: None)
    dense = [rec.similar(q, explain=False, **options) for q in queries]
    for got, want in zip(fast, dense, strict=True):
        assert len(got) == len(want)
        got_scores = np.array([r.score for r in got])
        want_scores = np.array([r.score for r in want])
        # the same score at every position: tracks may differ only where the dense path has a tie
        np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)
        assert sum(g.track_id == w.track_id for g, w in zip(got, want, strict=True)) >= len(want) // 2


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_als_peak_without_candidates_comes_from_both_ends_of_the_factor_order(sign):
    """With nothing to start from, `largest_score` finds max |f·y| by scanning for the largest and the
    smallest value (a query whose weights vote through no sparse signal at MixesDB scale)."""
    from models.hybrid import FoldIn

    rng = np.random.default_rng(5)
    factors = (rng.normal(size=(2_000, 8)) * rng.random((2_000, 1)) ** 3).astype(np.float32)
    query = (sign * rng.normal(size=8)).astype(np.float32)
    fold = FoldIn(factors, SMALL_ALS)
    want = float(np.abs(factors @ query).max())
    assert fold.largest_score(query, 0.0, max_rows=10) == pytest.approx(want, rel=1e-5)
    assert fold.largest_score(query, 0.0) == pytest.approx(want, rel=1e-5)
