"""The numpy sound model (queries without TensorFlow) gives the Keras model's embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from audio.mel import model_input
from audio.synth import synthesize_clip
from errors import ArtifactMissingError

pytest.importorskip("keras")

from models.cnn import CnnConfig, clip_patches, load_cnn, save_cnn, train_cnn  # noqa: E402
from models.numpy_sound import INFERENCE_FILE, NumpySoundModel, export_inference  # noqa: E402


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
    assert NumpySoundModel.load(run_dir).embed([]).shape == (0, 64)


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


def _copy(run_dir, folder):
    import shutil

    shutil.copytree(run_dir, folder)
    return folder


def test_a_run_without_it_is_a_clear_error_until_it_is_exported(run_dir, tmp_path):
    old = _copy(run_dir, tmp_path / "old-run")
    (old / INFERENCE_FILE).unlink()
    with pytest.raises(ArtifactMissingError, match="cli.py embed"):
        NumpySoundModel.load(old)
    export_inference(load_cnn(old), old)
    assert NumpySoundModel.load(old).embed([np.ones((96, 400), np.float32)]).shape == (1, 64)
    assert [p.name for p in old.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def _rewrite(path, **changes):
    with np.load(path) as saved:
        arrays = {k: saved[k] for k in saved.files}
    np.savez(path, **{**arrays, **changes})


@pytest.mark.parametrize("damage", ["truncated", "empty", "bit flip", "another front end", "head missing",
                                    "wrong head shape", "nan weights"])
def test_a_damaged_or_foreign_file_is_a_clear_error(run_dir, tmp_path, damage):
    run = _copy(run_dir, tmp_path / "run")
    path = run / INFERENCE_FILE
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "bit flip":  # inside the largest array's compressed-or-not bytes: the zip's CRC catches it
        path.write_bytes(data[:100_000] + bytes([data[100_000] ^ 0xFF]) + data[100_001:])
    elif damage == "another front end":
        _rewrite(path, frontend_id=np.array("musicnn-sr8000|MTT_musicnn"))
    elif damage == "head missing":
        with np.load(path) as saved:
            np.savez(path, **{k: saved[k] for k in saved.files if k != "head/kernel"})
    elif damage == "wrong head shape":
        _rewrite(path, **{"head/kernel": np.zeros((10, 64), np.float32)})
    else:
        _rewrite(path, **{"conv3/0": np.full((64, 1, 1, 51), np.nan, np.float32)})
    with pytest.raises(ArtifactMissingError, match="cli.py embed"):
        NumpySoundModel.load(run)


def test_cold_start_answers_with_the_keras_model_when_the_file_is_damaged(sound_data_dir, tmp_path):
    from audio.coldstart import cold_start_neighbours, load_run
    from audio.training import newest_sound_run
    from config import load_settings
    from models.cnn import CnnModel

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(sound_data_dir)}, dotenv_path=sound_data_dir / "no.env")
    run = _copy(newest_sound_run(settings, need="embeddings.npy"), tmp_path / "run")
    (run / INFERENCE_FILE).write_bytes(b"PK\x03\x04 not a zip any more")
    assert isinstance(load_run(run).sound_model, CnnModel)
    ids, _, _ = cold_start_neighbours(synthesize_clip("techno", 130.0, "A minor", seed=2, seconds=8.0), run, k=5)
    assert len(ids) == 5


def test_embed_rewrites_a_stale_twin_from_the_head_that_makes_the_index(sound_data_dir, tmp_path, float32_frontend):
    """A cnn.keras restored or copied over a run left the old head's numpy twin: queries then disagreed with the index."""
    import shutil

    from audio.training import embed_catalog, newest_sound_run
    from config import load_settings

    data = tmp_path / "data"
    shutil.copytree(sound_data_dir, data, ignore=shutil.ignore_patterns("*.sock", "*.log"))
    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(data)}, dotenv_path=data / "no.env")
    run = newest_sound_run(settings, need="embeddings.npy")
    _rewrite(run / INFERENCE_FILE, **{"head/kernel": np.random.default_rng(0).normal(size=(1506, 64))
                                      .astype(np.float32)})
    clip = [model_input(synthesize_clip("techno", 130.0, "A minor", seed=2, seconds=8.0))]
    assert float(NumpySoundModel.load(run).embed(clip)[0] @ load_cnn(run).embed(clip)[0]) < 0.99
    embed_catalog(settings, run, show_progress=False)
    np.testing.assert_allclose(NumpySoundModel.load(run).embed(clip), load_cnn(run).embed(clip), atol=1e-4)


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


def test_demo_audio_if_missing_gives_an_older_demo_run_its_twin(sound_data_dir, tmp_path):
    """`bash dev.sh serve` runs `demo-audio --if-missing`: a demo built before this change gets the file there."""
    import shutil

    from audio.demo import demo_audio_command
    from audio.training import newest_sound_run
    from config import load_settings

    data = tmp_path / "data"
    shutil.copytree(sound_data_dir, data, ignore=shutil.ignore_patterns("*.sock", "*.log"))
    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(data)}, dotenv_path=data / "no.env")
    run = newest_sound_run(settings, need="embeddings.npy")
    (run / INFERENCE_FILE).unlink()

    class Args:
        if_missing = True

    assert demo_audio_command(Args(), settings) == 0
    NumpySoundModel.load(run)  # written, and whole
