"""The CNN: a few training steps lower the loss; embeddings are unit-norm; save -> load gives the same."""

from __future__ import annotations

import numpy as np
import pytest

from audio.mel import log_mel
from audio.params import N_MELS, PATCH_FRAMES
from audio.synth import synthesize_clip
from errors import ArtifactMissingError, BadInputError

pytest.importorskip("keras")

from models.cnn import (  # noqa: E402
    EMBEDDING_DIM,
    CnnConfig,
    clip_patches,
    load_cnn,
    load_embeddings,
    masked_mse,
    random_crops,
    save_cnn,
    save_embeddings,
    train_cnn,
)


@pytest.fixture(scope="module")
def crate():
    styles = ["techno", "drum & bass", "trance"]
    tempo = {"techno": 132, "drum & bass": 174, "trance": 138}
    mels, labels = [], []
    for i in range(12):
        style = styles[i % 3]
        mels.append(log_mel(synthesize_clip(style, tempo[style], "A minor", seed=i, seconds=6.0)))
        labels.append(style)
    return mels, labels


@pytest.fixture(scope="module")
def trained(crate):
    mels, labels = crate
    factors = np.random.default_rng(0).normal(size=(len(mels), 8)).astype(np.float32)
    factors[::2] = np.nan  # half the tracks have no ALS factors
    config = CnnConfig(epochs=6, crops_per_clip=8, batch_size=16, filters=(8, 16, 16, 32), learning_rate=3e-3)
    return train_cnn(mels, labels, factors=factors, config=config)


def test_loss_falls(trained):
    assert len(trained.history) == 6
    assert trained.history[-1] < trained.history[0]


def test_embeddings_are_unit_norm(trained, crate):
    emb = trained.embed(crate[0])
    assert emb.shape == (12, EMBEDDING_DIM) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert trained.predict_proba(crate[0][:2]).shape == (2, 3)


def test_save_load_gives_same_embeddings(trained, crate, tmp_path):
    save_cnn(trained, tmp_path)
    loaded = load_cnn(tmp_path)
    assert loaded.classes == trained.classes and loaded.n_factors == 8
    np.testing.assert_allclose(loaded.embed(crate[0]), trained.embed(crate[0]), atol=1e-5)
    save_embeddings(tmp_path, trained.embed(crate[0]), np.arange(12))
    emb, ids = load_embeddings(tmp_path)
    assert emb.shape == (12, EMBEDDING_DIM) and ids.tolist() == list(range(12))


def test_missing_run_is_a_clear_error(tmp_path):
    with pytest.raises(ArtifactMissingError, match="train-cnn"):
        load_cnn(tmp_path)


def test_patches_cover_short_and_long_clips():
    short = np.zeros((N_MELS, 50), np.float32)
    assert clip_patches(short).shape == (1, N_MELS, PATCH_FRAMES)
    long = np.zeros((N_MELS, 431), np.float32)
    p = clip_patches(long)
    assert p.shape[1:] == (N_MELS, PATCH_FRAMES) and p.shape[0] == 6
    x, owner = random_crops([long, short], 3, np.random.default_rng(0), gain_db=6, tilt_db=3)
    assert x.shape == (6, N_MELS, PATCH_FRAMES) and owner.tolist() == [0, 0, 0, 1, 1, 1]


def test_masked_mse_ignores_rows_without_factors():
    y_true = np.array([[1.0, 1.0], [np.nan, np.nan]], np.float32)
    y_pred = np.array([[0.0, 1.0], [5.0, 5.0]], np.float32)
    assert float(masked_mse(y_true, y_pred)) == pytest.approx(0.5)


def test_bad_training_input():
    with pytest.raises(BadInputError, match="two"):
        train_cnn([np.zeros((N_MELS, 200), np.float32)] * 2, ["a", "a"])
    with pytest.raises(BadInputError, match="shape"):
        train_cnn([np.zeros((10, 200), np.float32)] * 2, ["a", "b"])
