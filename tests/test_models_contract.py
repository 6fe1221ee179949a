"""Expectations every scoring engine meets, on a tiny two-scene matrix whose right answer is known.

Add an engine to `ENGINE_BUILDERS` and it is held to the whole contract.
"""

import numpy as np
import pytest

from models.als import AlsParams, train_als
from models.artifacts import load_run, write_run
from models.dataset import Dataset
from models.engines import AlsEngine, HybridEngine, engine_from_run
from models.hybrid import HybridModel, HybridParams
from models.matrix import Plays, play_matrix
from tests.models_catalog import ARTIST, HOUSE_SETS, TECHNO_SETS


def _tiny_matrix():
    sets, tracks = [], []
    for number, names in enumerate(HOUSE_SETS + TECHNO_SETS):
        sets += [number] * len(names)
        tracks += names
    return play_matrix(Plays(np.array(sets), np.array(tracks), np.arange(1, len(sets) + 1)))


def _plays():
    sets, tracks, positions = [], [], []
    for number, names in enumerate(HOUSE_SETS + TECHNO_SETS):
        sets += [number] * len(names)
        tracks += names
        positions += list(range(1, len(names) + 1))
    return Plays(np.array(sets), np.array(tracks), np.array(positions))


def _als(matrix):
    return AlsEngine(
        train_als(matrix.matrix, AlsParams(factors=8, iterations=20, regularization=0.01)).item_factors
    )


def _hybrid(matrix):
    credits = {name: [artist] for name, artist in ARTIST.items()}
    params = HybridParams(als=AlsParams(factors=8, iterations=20, regularization=0.01))
    dataset = Dataset(plays=_plays(), credits=credits)
    return HybridEngine(HybridModel(params).fit(dataset.training(matrix, dataset.plays)))


ENGINE_BUILDERS = {"als": _als, "default": _hybrid}


@pytest.fixture(scope="module")
def tiny():
    return _tiny_matrix()


@pytest.fixture(scope="module", params=sorted(ENGINE_BUILDERS))
def engine(request, tiny):
    return ENGINE_BUILDERS[request.param](tiny)


def _columns(tiny, names):
    return tiny.track_index(np.array(names, dtype=tiny.track_ids.dtype))


def test_scores_one_value_per_track(engine, tiny):
    scores = engine.scores(_columns(tiny, ["h1"]))
    assert scores.shape == (tiny.shape[1],) and np.isfinite(scores).all()


def test_same_scene_outranks_the_other_scene(engine, tiny):
    for seed, scene in (("h2", "h"), ("t1", "t")):
        scores = engine.scores(_columns(tiny, [seed]))
        names = tiny.track_ids.tolist()
        same = [scores[i] for i, name in enumerate(names) if name.startswith(scene) and name != seed]
        other = [scores[i] for i, name in enumerate(names) if not name.startswith(scene)]
        assert min(same) > max(other), f"{seed}: {dict(zip(names, scores.round(3), strict=True))}"


def test_batch_finds_both_seeds_neighbours(engine, tiny):
    scores = engine.scores(_columns(tiny, ["h2", "t2"]))
    names = [n for n in np.array(tiny.track_ids.tolist())[np.argsort(-scores)] if n not in ("h2", "t2")]
    assert {name[0] for name in names[:3]} == {"h", "t"}, names


def test_als_batch_is_the_weighted_sum_of_singles(tiny):
    engine = _als(tiny)
    both = engine.scores(_columns(tiny, ["h1", "t1"]), np.array([1.0, 2.0], np.float32))
    single = engine.scores(_columns(tiny, ["h1"])) + 2 * engine.scores(_columns(tiny, ["t1"]))
    np.testing.assert_allclose(both, single, rtol=1e-4, atol=1e-5)


def test_save_then_load_scores_the_same(engine, tiny, tmp_path):
    metadata = {"engine": engine.name, "parameters": engine.metadata()}
    run = write_run(tmp_path, {**engine.to_arrays(), "track_ids": np.arange(tiny.shape[1])}, metadata)
    loaded = engine_from_run(load_run(run.path))
    seeds = _columns(tiny, ["h3", "t2"])
    np.testing.assert_allclose(loaded.scores(seeds), engine.scores(seeds), rtol=1e-6, atol=1e-7)
