"""The sound model for one query at a time, in numpy: no TensorFlow on the query path.

TensorFlow's import and its first kernels cost ~2.3 s of CPU, which is what a DJ waited for when dropping a
file on a freshly started dashboard; numpy is already loaded. `save_cnn` therefore also writes
`sound_inference.npz` into the run: the frozen front end's weights (`models.musicnn.read_weights`, batch
norms folded) and the head's standardisation and embedding layer. `NumpySoundModel` computes the same
unit embeddings as `CnnModel.embed` from them (float32 throughout; within ~1e-5 of the Keras model on a
float32 front end, within the bfloat16 front end's ~1 % where TensorFlow uses it). Batches (`embed`,
`train-cnn`, `evaluate-audio`) stay on TensorFlow, which is ~3× faster there.

Front end, as `models.musicnn.build_frontend`: each big convolution is max-pooled over frequency straight out
of its matrix product (kernels negated where the batch norm's scale is negative), then bias, ReLU and batch
norm act on the pooled (t, channels) maps.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from errors import ArtifactMissingError

INFERENCE_FILE = "sound_inference.npz"
_POOLED_CONVS = 5  # conv0..conv4 of models.musicnn: two timbral (valid in frequency), three temporal (1 band wide)
_MIDEND_CONVS = 3  # conv5..conv7: 7-frame convolutions over all channels, the last two residual
_TIME_PAD = 3  # frames of zeros around the 7-frame kernels, as musicnn pads


def export_inference(cnn, run_dir: Path) -> Path:
    """Write `run_dir/sound_inference.npz` for `cnn` (a `models.cnn.CnnModel`), atomically; returns its path."""
    from models.cnn import frontend_id
    from models.musicnn import checkpoint_dir, read_weights

    arrays = {f"{name}/{i}": np.asarray(v, np.float32)
              for name, values in read_weights(checkpoint_dir()).items() for i, v in enumerate(values)}
    standardise = cnn.model.get_layer("standardise")
    arrays["head/mean"] = np.asarray(standardise.mean, np.float32).reshape(-1)
    arrays["head/variance"] = np.asarray(standardise.variance, np.float32).reshape(-1)
    kernel, bias = cnn.model.get_layer("embedding").get_weights()
    arrays["head/kernel"], arrays["head/bias"] = np.asarray(kernel, np.float32), np.asarray(bias, np.float32)
    arrays["frontend_id"] = np.array(frontend_id())
    path = Path(run_dir) / INFERENCE_FILE
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=f".{INFERENCE_FILE}.", suffix=".tmp")  # one per writer
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _required_keys() -> list[str]:
    names = [f"conv{i}" for i in range(_POOLED_CONVS + _MIDEND_CONVS)]
    names += [f"bn{i}" for i in range(1 + _POOLED_CONVS + _MIDEND_CONVS)]
    return [f"{name}/{i}" for name in names for i in range(2)] + ["head/mean", "head/variance", "head/kernel",
                                                                  "head/bias"]


def _read(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a `sound_inference.npz`, checked: this front end's, complete, finite and of fitting shapes."""
    from models.cnn import EMBEDDING_DIM, frontend_id
    from models.musicnn import FEATURE_DIM
    from npyio import load_npz

    arrays = load_npz(path)
    if str(arrays.get("frontend_id")) != frontend_id():
        raise ValueError(f"made for the front end '{arrays.get('frontend_id')}', not '{frontend_id()}'")
    missing = [k for k in _required_keys() if k not in arrays]
    if missing:
        raise ValueError(f"{len(missing)} arrays missing ({missing[0]}, …)")
    if arrays["head/kernel"].shape != (FEATURE_DIM, EMBEDDING_DIM) or arrays["head/mean"].shape != (FEATURE_DIM,):
        raise ValueError(f"the head has shape {arrays['head/kernel'].shape}")
    if not all(np.isfinite(arrays[k]).all() for k in _required_keys()):
        raise ValueError("it holds NaN or infinite weights")
    return arrays


def _pooled_conv(x: np.ndarray, kernel: np.ndarray, bias, scale, offset, *, timbral: bool) -> np.ndarray:
    """One of musicnn's big convolutions on one patch [shape=(t, N_MELS)] -> [shape=(t, out)], max over frequency."""
    kh, kw, _, out = kernel.shape
    before, after = (_TIME_PAD, _TIME_PAD) if timbral else ((kh - 1) // 2, kh // 2)  # temporal: 'SAME' in time
    padded = np.pad(x, ((before, after), (0, 0)))
    windows = sliding_window_view(padded, (kh, kw))  # (t, bands - kw + 1, kh, kw), a view
    t, positions = windows.shape[:2]
    sign = np.where(scale >= 0, 1.0, -1.0).astype(np.float32)
    products = windows.reshape(t * positions, kh * kw) @ (kernel.reshape(kh * kw, out) * sign)
    pooled = products.reshape(t, positions, out).max(axis=1)
    return np.maximum(pooled * sign + bias, 0.0) * scale + offset


def _midend_conv(x: np.ndarray, kernel: np.ndarray, bias, scale, offset) -> np.ndarray:
    """A mid-end layer on [shape=(t, c)]: 7-frame convolution over all c -> ReLU -> batch norm, [shape=(t, out)]."""
    kh, c, _, out = kernel.shape
    windows = sliding_window_view(np.pad(x, ((_TIME_PAD, _TIME_PAD), (0, 0))), kh, axis=0)  # (t, c, kh)
    products = windows.transpose(0, 2, 1).reshape(len(x), kh * c) @ kernel.reshape(kh * c, out)
    return np.maximum(products + bias, 0.0) * scale + offset


class NumpySoundModel:
    """The run's front end and head: model inputs -> unit embeddings, like `models.cnn.CnnModel.embed`."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self._w = {k: v for k, v in arrays.items() if k != "frontend_id"}
        self._std = np.maximum(np.sqrt(self._w["head/variance"]), 1e-7)  # Keras's Normalization floor

    @classmethod
    def load(cls, run_dir: Path) -> NumpySoundModel:
        """`run_dir`'s numpy sound model; `ArtifactMissingError` when it has none, or a damaged or foreign one."""
        path = Path(run_dir) / INFERENCE_FILE
        if not path.is_file():
            raise ArtifactMissingError(f"No numpy sound model in {run_dir} ({INFERENCE_FILE}, written by train-cnn "
                                       "since 2026-11-24); run `python cli.py embed` to write it.")
        try:
            return cls(_read(path))
        except Exception as error:  # a damaged zip raises BadZipFile, EOFError, zlib.error, KeyError …  # noqa: BLE001
            raise ArtifactMissingError(f"The numpy sound model {path} is unusable ({error}); run "
                                       "`python cli.py embed` to write it again.") from error

    def _weights(self, name: str) -> tuple[np.ndarray, ...]:
        return tuple(self._w[f"{name}/{i}"] for i in range(2))

    def features(self, patch: np.ndarray) -> np.ndarray:
        """Front-end features of one patch [shape=(PATCH_FRAMES, N_MELS)] -> [shape=(FEATURE_DIM,)], as
        `models.musicnn.frontend_features` computes them in float32."""
        in_scale, in_offset = self._weights("bn0")
        x = np.asarray(patch, np.float32) * in_scale + in_offset
        front = np.concatenate([_pooled_conv(x, *self._weights(f"conv{i}"), *self._weights(f"bn{i + 1}"),
                                             timbral=i < 2) for i in range(_POOLED_CONVS)], axis=1)
        layers, previous = [front], front
        for i in range(_POOLED_CONVS, _POOLED_CONVS + _MIDEND_CONVS):
            mid = _midend_conv(previous, *self._weights(f"conv{i}"), *self._weights(f"bn{i + 1}"))
            previous = mid if i == _POOLED_CONVS else mid + previous  # the last two are residual
            layers.append(previous)
        stacked = np.concatenate(layers, axis=1)  # (t, 753)
        return np.stack([stacked.max(axis=0), stacked.mean(axis=0)], axis=1).reshape(-1)  # interleaved per channel

    def embed(self, inputs: Sequence[np.ndarray]) -> np.ndarray:
        """Unit-norm embeddings of model inputs [each shape=(MODEL_N_MELS, t)] -> [shape=(n, EMBEDDING_DIM)]."""
        from models.cnn import EMBED_PATCHES, EMBEDDING_DIM, _unit, clip_patches

        if len(inputs) == 0:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        rows = []
        for spec in inputs:
            features = np.stack([self.features(p) for p in clip_patches(spec, max_patches=EMBED_PATCHES)])
            hidden = np.maximum((features - self._w["head/mean"]) / self._std @ self._w["head/kernel"]
                                + self._w["head/bias"], 0.0)
            rows.append(_unit(hidden).sum(axis=0))
        return _unit(np.asarray(rows, np.float32).reshape(len(rows), -1))

