"""The numpy sound model (queries without TensorFlow) gives the Keras model's embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from audio.mel import model_input
from audio.synth import synthesize_clip
from errors import ArtifactMissingError

pytest.importorskip("keras")

from models.cnn import CnnConfig, clip_patches, load_cnn, save_cnn, train_cnn  # noqa: E402
from models.numpy_sound import INFERENCE_FILE, NumpySoundModel, has_inference  # noqa: E402


@pytest.fixture(scope="module")
def clips():
    tempo = {"techno": 132, "drum & bass": 174, "house": 124}
    inputs = [model_input(synthesize_clip(style, bpm, "F minor", seed=i, seconds=s))
              for i, ((style, bpm), s) in enumerate(zip(tempo.items(), (4.0, 7.5, 31.0), strict=True))]
    return inputs, list(tempo)


@pytest.fixture(scope="module")
def run_dir(clips, tmp_path_factory):
    inputs, labels = clips
    folder = tmp_path_factory.mktemp("sound-run")
    save_cnn(train_cnn(inputs, labels, config=CnnConfig(epochs=2, batch_size=4)), folder)
    return folder


@pytest.fixture
def float32_frontend(monkeypatch):
    """The Keras model on the float32 front end (bfloat16 where the CPU has it is ~1 % off by design)."""
    import models.musicnn

    monkeypatch.setattr(models.musicnn, "default_dtype", lambda: "float32")


def test_save_writes_the_numpy_twin(run_dir):
    assert has_inference(run_dir)


def test_front_end_features_match_tensorflow(run_dir, clips, float32_frontend):
    from models.musicnn import frontend_features

    patches = clip_patches(clips[0][1], max_patches=3)
    model = NumpySoundModel.load(run_dir)
    ours = np.stack([model.features(p) for p in patches])
    np.testing.assert_allclose(ours, frontend_features(patches), rtol=1e-4, atol=1e-4)


def test_embeddings_match_the_keras_model(run_dir, clips, float32_frontend):
    inputs, _ = clips
    ours = NumpySoundModel.load(run_dir).embed(inputs)
    assert ours.shape == (3, 64) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(ours, load_cnn(run_dir).embed(inputs), atol=1e-4)


def test_embeddings_stay_close_to_the_bfloat16_front_end(run_dir, clips):
    """Where TensorFlow uses bfloat16 (indexing), queries in numpy float32 still land on the same spot."""
    inputs, _ = clips
    cosine = np.sum(NumpySoundModel.load(run_dir).embed(inputs) * load_cnn(run_dir).embed(inputs), axis=1)
    assert (cosine > 0.99).all()


def test_a_run_without_it_is_a_clear_error_and_embed_writes_it(run_dir, tmp_path):
    import shutil

    old = tmp_path / "old-run"
    shutil.copytree(run_dir, old)
    (old / INFERENCE_FILE).unlink()
    assert not has_inference(old)
    with pytest.raises(ArtifactMissingError, match="cli.py embed"):
        NumpySoundModel.load(old)
    from models.numpy_sound import export_inference

    export_inference(load_cnn(old), old)
    assert has_inference(old)


def test_a_twin_of_another_front_end_is_not_used(run_dir, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    with np.load(other / INFERENCE_FILE) as saved:
        arrays = {k: saved[k] for k in saved.files}
    arrays["frontend_id"] = np.array("musicnn-sr8000|MTT_musicnn")
    np.savez(other / INFERENCE_FILE, **arrays)
    assert not has_inference(other)


def test_cold_start_queries_do_not_load_tensorflow(sound_data_dir):
    """A fresh process answers an audio query from a demo run without importing TensorFlow."""
    import subprocess
    import sys
    from pathlib import Path

    code = """
import sys
from audio.coldstart import cold_start_neighbours
from audio.synth import synthesize_clip
from audio.training import newest_sound_run
from config import load_settings
settings = load_settings()
ids, scores, analysis = cold_start_neighbours(synthesize_clip("techno", 130.0, "A minor", seed=2, seconds=8.0),
                                              newest_sound_run(settings, need="embeddings.npy"), k=5)
assert len(ids) == 5, ids
print("tensorflow" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parent.parent,
                         env={"CRATEDIGGER_DATA_DIR": str(sound_data_dir), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
