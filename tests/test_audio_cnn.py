"""The sound model: the musicnn front end loads; a few training steps lower the loss; embeddings are
unit-norm; save -> load gives the same embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from audio.mel import model_input
from audio.params import MODEL_N_MELS, PATCH_FRAMES
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
    save_cnn,
    save_embeddings,
    train_cnn,
)
from models.musicnn import FEATURE_DIM, checkpoint_dir, frontend_features  # noqa: E402


@pytest.fixture(scope="module")
def crate():
    styles = ["techno", "drum & bass", "trance"]
    tempo = {"techno": 132, "drum & bass": 174, "trance": 138}
    inputs, labels = [], []
    for i in range(12):
        style = styles[i % 3]
        inputs.append(model_input(synthesize_clip(style, tempo[style], "A minor", seed=i, seconds=6.0)))
        labels.append(style)
    return inputs, labels


@pytest.fixture(scope="module")
def trained(crate):
    inputs, labels = crate
    factors = np.random.default_rng(0).normal(size=(len(inputs), 8)).astype(np.float32)
    factors[::2] = np.nan  # half the tracks have no ALS factors
    return train_cnn(inputs, labels, factors=factors, config=CnnConfig(epochs=6, batch_size=8))


def test_model_input_shape_and_dtype():
    spec = model_input(np.zeros(22_050 * 3, np.float32) + 0.1 * np.sin(np.arange(22_050 * 3) / 5.0))
    assert spec.shape == (MODEL_N_MELS, 1 + 48_000 // 256) and spec.dtype == np.float32
    assert spec.min() >= 0.0 and spec.max() > 0.0


def test_frontend_loads_and_gives_pooled_features(crate):
    patches = clip_patches(crate[0][0])
    assert patches.shape == (3, PATCH_FRAMES, MODEL_N_MELS)  # 6 s: two whole patches and one ending at the end
    features = frontend_features(patches)
    assert features.shape == (3, FEATURE_DIM) and features.dtype == np.float32 and np.isfinite(features).all()
    assert not np.allclose(features[0], frontend_features(clip_patches(crate[0][1]))[0])  # depends on the input


def _reference_patches() -> np.ndarray:
    """Two deterministic patches [shape=(2, PATCH_FRAMES, MODEL_N_MELS)] in the model input's range."""
    t, f = np.arange(PATCH_FRAMES)[:, None], np.arange(MODEL_N_MELS)[None, :]
    return np.stack([1.5 + np.sin(t / 7.0) * np.cos(f / 11.0), 2.0 * np.abs(np.sin(t * f / 50.0))]).astype(np.float32)


def _reference_features() -> np.ndarray:
    from pathlib import Path

    return np.load(Path(__file__).parent / "fixtures" / "audio" / "musicnn_reference_features.npy")


def test_float32_frontend_matches_the_checkpoint_graph():
    """Regression pin for the rewritten front end (pooling before the batch norms, sign-flipped kernels): its
    float32 features must stay those of musicnn's saved graph (computed by the graph-importing implementation)."""
    features = frontend_features(_reference_patches(), dtype="float32")
    np.testing.assert_allclose(features, _reference_features(), rtol=1e-3, atol=1e-3)


def _cpu_has_bfloat16() -> bool:
    from models.musicnn import native_bfloat16

    return native_bfloat16()


@pytest.mark.skipif(not _cpu_has_bfloat16(), reason="bfloat16 is only used where the CPU has it")
def test_bfloat16_frontend_stays_within_two_percent_of_float32():
    features, reference = frontend_features(_reference_patches(), dtype="bfloat16"), _reference_features()
    relative = np.linalg.norm(features - reference, axis=1) / np.linalg.norm(reference, axis=1)
    assert (relative < 0.02).all() and (relative > 0).all()  # > 0: the big convolutions did run in bfloat16


def test_bfloat16_only_where_the_cpu_has_it():
    from models.musicnn import native_bfloat16

    assert native_bfloat16("flags\t\t: fpu sse avx512f avx512_bf16 avx512_vnni")
    assert native_bfloat16("flags\t\t: fpu amx_bf16 amx_tile")
    assert not native_bfloat16("flags\t\t: fpu sse avx512f avx512_vnni avx2")


def test_float32_when_onednn_is_off(monkeypatch):
    import models.musicnn

    monkeypatch.setattr(models.musicnn, "native_bfloat16", lambda: True)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert models.musicnn.default_dtype() == "float32"
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    assert models.musicnn.default_dtype() == "bfloat16"


def test_missing_frontend_is_a_clear_error(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ArtifactMissingError, match="pip install --no-deps musicnn"):
        checkpoint_dir()


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
    short = np.zeros((MODEL_N_MELS, 50), np.float32)
    assert clip_patches(short).shape == (1, PATCH_FRAMES, MODEL_N_MELS)
    long = np.arange(MODEL_N_MELS * 1876, dtype=np.float32).reshape(MODEL_N_MELS, 1876)  # 30 s
    p = clip_patches(long)
    assert p.shape == (11, PATCH_FRAMES, MODEL_N_MELS)  # 10 whole patches and one ending at the clip's end
    assert clip_patches(long, hop=PATCH_FRAMES // 2).shape[0] == 20
    spread = clip_patches(long, max_patches=3)
    assert spread.shape[0] == 3
    np.testing.assert_array_equal(spread[1], long[:, 844 : 844 + PATCH_FRAMES].T)  # halfway between the ends
    np.testing.assert_array_equal(spread[0], p[0])
    np.testing.assert_array_equal(spread[-1], p[-1])


def test_masked_mse_ignores_rows_without_factors():
    y_true = np.array([[1.0, 1.0], [np.nan, np.nan]], np.float32)
    y_pred = np.array([[0.0, 1.0], [5.0, 5.0]], np.float32)
    assert float(masked_mse(y_true, y_pred)) == pytest.approx(0.5)


def test_bad_training_input():
    with pytest.raises(BadInputError, match="two"):
        train_cnn([np.zeros((MODEL_N_MELS, 200), np.float32)] * 2, ["a", "a"])
    with pytest.raises(BadInputError, match="shape"):
        train_cnn([np.zeros((10, 200), np.float32)] * 2, ["a", "b"])


def test_runs_of_an_older_front_end_are_passed_over(trained, tmp_path):
    """Regression: after the front end changed, a stale run made `demo-audio --if-missing` skip rebuilding."""
    import json
    import os
    from types import SimpleNamespace

    from audio.training import newest_sound_run
    from models.cnn import METADATA_FILE

    settings = SimpleNamespace(models_dir=tmp_path, current_model_link=tmp_path / "current")
    save_cnn(trained, tmp_path / "new")
    save_cnn(trained, tmp_path / "old")
    meta = json.loads((tmp_path / "old" / METADATA_FILE).read_text())
    (tmp_path / "old" / METADATA_FILE).write_text(json.dumps({**meta, "frontend": "sr22050-fft2048-hop512"}))
    os.utime(tmp_path / "new", (1, 1))  # the stale run is the newest folder
    assert newest_sound_run(settings) == tmp_path / "new"
    (tmp_path / "new" / METADATA_FILE).unlink()
    with pytest.raises(ArtifactMissingError, match="train-cnn"):
        newest_sound_run(settings)


def test_published_als_factors_become_the_second_heads_targets(tmp_path):
    """train-cnn without --factors takes the published run's item factors; NaN rows where a track has none."""
    from types import SimpleNamespace

    from audio.training import published_factor_rows
    from models.artifacts import publish, write_run

    settings = SimpleNamespace(models_dir=tmp_path / "models")
    assert published_factor_rows(settings, [1, 2]) is None  # nothing published: styles only
    factors = np.arange(12, dtype=np.float32).reshape(3, 4)
    publish(settings.models_dir, write_run(settings.models_dir, {"track_ids": np.array([30, 10, 20]),
                                                                 "item_factors": factors}, {}))
    rows = published_factor_rows(settings, [10, 99, 30])
    np.testing.assert_array_equal(rows[0], factors[1])
    assert np.isnan(rows[1]).all()
    np.testing.assert_array_equal(rows[2], factors[0])


def test_gain_on_the_model_input_is_the_model_input_of_louder_audio():
    from models.cnn import with_gain

    y = synthesize_clip("house", 124.0, "A minor", seed=4, seconds=4.0)
    for gain_db in (-6.0, 3.0):
        np.testing.assert_allclose(with_gain(model_input(y), gain_db), model_input(y * 10 ** (gain_db / 20)),
                                   atol=2e-3)
    np.testing.assert_allclose(with_gain(model_input(y), 0.0), model_input(y), atol=1e-6)


def test_training_patches_include_random_crops_at_random_gains(crate):
    from models.cnn import augmented_copies, training_features

    inputs = crate[0][:3]
    plain, plain_owner = training_features(inputs, CnnConfig(augment_copies=0))
    more, owner = training_features(inputs, CnnConfig(augment_copies=2))
    assert len(more) > 2 * len(plain) and set(owner.tolist()) == set(plain_owner.tolist()) == {0, 1, 2}
    again, _ = training_features(inputs, CnnConfig(augment_copies=2))
    np.testing.assert_array_equal(more, again)  # seeded: the same inputs give the same patches
    copies = augmented_copies(inputs[0], CnnConfig(augment_copies=4, gain_db=6.0), np.random.default_rng(0))
    assert len({c.shape[1] for c in copies}) > 1  # crops start at different offsets
    assert all(not np.allclose(c[:, -50:], inputs[0][:, -50:]) for c in copies)  # and are louder or quieter


@pytest.mark.parametrize("content", [b"\x80\x04\x95 pickled", b"", b"PK\x03\x04 truncated zip"])
def test_a_factors_file_that_is_not_arrays_is_a_sentence(tmp_path, content):
    from audio.training import factor_rows

    path = tmp_path / "factors.npz"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match="not an .npz of arrays"):
        factor_rows(path, [1, 2])
