"""The pretrained musicnn front end (Pons & Serra, ISC licence), frozen, as a TensorFlow function.

The `musicnn` package from PyPI (installed by `bash dev.sh` with `pip install --no-deps musicnn==0.1.0`)
ships TF1 checkpoints trained on the Million Song Dataset's tags. Only its checkpoint's weights are used,
not its Python code (which needs TF1 layers that Keras 3 dropped): `build_frontend` rewrites the network
up to its temporal pooling (musicnn's `build_musicnn`: musically motivated CNNs + mid-end) with the same
weights, in an order that computes the same features with less work (2× faster than running the saved
graph). Where the CPU has native bfloat16 (AMX, AVX512-BF16) the five big convolutions run in bfloat16,
another 3× (`default_dtype`); the features then differ from float32's by ~0.6 % (relative norm).

`frontend_features(patches)`: patches [shape=(n, PATCH_FRAMES, N_MELS), float32] of `audio.mel.model_input`
-> [shape=(n, FEATURE_DIM), float32], the max- and mean-pooled activations over each patch (3 s).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from pathlib import Path

import numpy as np

from audio.params import MODEL_N_MELS
from errors import ArtifactMissingError
from models.tensorflow_import import tensorflow

CHECKPOINT = "MSD_musicnn"
FEATURE_DIM = 1506  # max- and mean-pool over time of the 753 front-end + mid-end channels, interleaved per channel
INSTALL_HINT = "install it with `pip install --no-deps musicnn==0.1.0` (bash dev.sh does this)"
BN_EPSILON = 1e-3  # tf.layers.batch_normalization's default, as musicnn trained with
_TIME_PAD = [[0, 0], [3, 3], [0, 0], [0, 0]]  # musicnn pads time by 3 frames around its 7-frame kernels
_POOLED_CONVS = 5  # conv2d..conv2d_4: two timbral (7 x 38, 7 x 67) and three temporal (128/64/32 x 1) filters
_MIDEND_CONVS = 3  # conv2d_5..conv2d_7: 7-frame 1-D convolutions, 64 channels, the last two residual


def checkpoint_dir(name: str = CHECKPOINT) -> Path:
    """The folder of musicnn's `name` checkpoint inside the installed package (its code is not imported)."""
    spec = importlib.util.find_spec("musicnn")
    folder = Path(spec.submodule_search_locations[0]) / name if spec and spec.submodule_search_locations else None
    if folder is None or not (folder / ".meta").is_file() or not (folder / ".index").is_file():
        raise ArtifactMissingError(f"The pretrained sound front end ({name} from the musicnn package) is missing; "
                                   f"{INSTALL_HINT}.")
    return folder


def _suffix(i: int) -> str:
    return f"_{i}" if i else ""


def read_weights(folder: Path) -> dict[str, tuple[np.ndarray, ...]]:
    """The checkpoint's front-end weights: 'conv{i}' -> (kernel [shape=(kh, kw, 1, out)], bias [shape=(out,)]),
    'bn{i}' -> (scale, offset) [each shape=(channels,)], each batch normalisation folded for inference."""
    tf = tensorflow()

    reader = tf.compat.v1.train.NewCheckpointReader(str(folder) + "/")
    weights = {}
    for i in range(_POOLED_CONVS + _MIDEND_CONVS):
        name = f"conv2d{_suffix(i)}"
        weights[f"conv{i}"] = (reader.get_tensor(f"{name}/kernel"), reader.get_tensor(f"{name}/bias"))
    for i in range(1 + _POOLED_CONVS + _MIDEND_CONVS):
        name = f"batch_normalization{_suffix(i)}"
        gamma, beta, mean, var = (reader.get_tensor(f"{name}/{k}") for k in ("gamma", "beta", "moving_mean",
                                                                              "moving_variance"))
        scale = gamma / np.sqrt(var + BN_EPSILON)
        weights[f"bn{i}"] = (scale.astype(np.float32), (beta - mean * scale).astype(np.float32))
    return weights


def _pooled_conv(kernel: np.ndarray, bias: np.ndarray, scale: np.ndarray, offset: np.ndarray, dtype):
    """musicnn's conv -> +bias -> ReLU -> batch norm -> max over frequency, as x -> [shape=(n, t, out)].

    The same result with the big maps touched once: a per-channel affine map and ReLU are monotonic, so
    they commute with the max when the batch norm's scale is positive, and turn it into a min when it is
    negative; min(z) = -max(-z), so those channels' kernels are negated, every channel is max-pooled
    straight out of the convolution, and bias, sign, ReLU and batch norm act on the pooled (n, t, out).
    """
    tf = tensorflow()

    sign = np.where(scale >= 0, 1.0, -1.0).astype(np.float32)
    k = tf.constant(kernel * sign, dtype=dtype)
    sign, bias, scale, offset = (tf.constant(v, tf.float32) for v in (sign, bias, scale, offset))

    def apply(x, padding: str):
        y = tf.nn.conv2d(x, k, 1, padding)
        pooled = tf.nn.max_pool2d(y, [1, y.shape[2]], [1, y.shape[2]], "VALID")[:, :, 0, :]
        return tf.nn.relu(tf.cast(pooled, tf.float32) * sign + bias) * scale + offset

    return apply


def _midend_conv(kernel: np.ndarray, bias: np.ndarray, scale: np.ndarray, offset: np.ndarray):
    """A mid-end layer: [shape=(n, t, c, 1)] -> time-padded conv over all c -> ReLU -> batch norm, (n, t, out, 1)."""
    tf = tensorflow()

    k, bias, scale, offset = (tf.constant(v, tf.float32) for v in (kernel, bias, scale, offset))

    def apply(x):
        y = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(tf.pad(x, _TIME_PAD), k, 1, "VALID"), bias)) * scale + offset
        return tf.transpose(y, [0, 1, 3, 2])

    return apply


def build_frontend(weights: dict, *, dtype: str = "float32"):
    """A tf.function: patches [shape=(n, PATCH_FRAMES, N_MELS), float32] -> [shape=(n, FEATURE_DIM), float32].

    dtype: of the five big convolutions ('float32', or 'bfloat16': ~3× faster where the CPU has bfloat16
    matrix units, features within ~1 % of float32's); the rest runs in float32.
    """
    tf = tensorflow()

    pooled = [_pooled_conv(*weights[f"conv{i}"], *weights[f"bn{i + 1}"], dtype) for i in range(_POOLED_CONVS)]
    midend = [_midend_conv(*weights[f"conv{i}"], *weights[f"bn{i + 1}"])
              for i in range(_POOLED_CONVS, _POOLED_CONVS + _MIDEND_CONVS)]
    in_scale, in_offset = weights["bn0"]

    @tf.function(input_signature=[tf.TensorSpec([None, None, MODEL_N_MELS], tf.float32)])  # traced once
    def frontend(patches):
        x = tf.cast(patches[..., None] * in_scale + in_offset, dtype)  # (n, t, mels, 1), the input's batch norm
        padded = tf.pad(x, _TIME_PAD)
        timbral = [conv(padded, "VALID") for conv in pooled[:2]]
        temporal = [conv(x, "SAME") for conv in pooled[2:]]
        front = tf.concat(timbral + temporal, axis=2)[..., None]  # (n, t, 561, 1)
        mid1 = midend[0](front)
        mid2 = midend[1](mid1) + mid1
        mid3 = midend[2](mid2) + mid2
        features = tf.concat([front, mid1, mid2, mid3], axis=2)  # (n, t, 753, 1)
        pooled_over_time = tf.concat([tf.reduce_max(features, axis=1), tf.reduce_mean(features, axis=1)], axis=2)
        return tf.reshape(pooled_over_time, [-1, FEATURE_DIM])

    return frontend


def native_bfloat16(cpuinfo: str | None = None) -> bool:
    """Whether the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX-BF16 in /proc/cpuinfo's flags; Linux)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", cpuinfo) is not None


def default_dtype() -> str:
    """'bfloat16' for the big convolutions where the CPU has native bfloat16 and TensorFlow uses oneDNN
    (its bfloat16 kernels; TF_ENABLE_ONEDNN_OPTS=0 turns them off), else 'float32'.

    Measured on the 97 AudioSet clips of bench/audio.md (5 folds, 2 fold seeds x 3 head seeds): the same
    accuracy (0.556 both) and precision@5 (0.543 vs 0.539) as float32 features.
    """
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false")
    return "bfloat16" if onednn and native_bfloat16() else "float32"


def load_frontend(dtype: str | None = None):
    """`build_frontend` on the installed checkpoint's weights (dtype None: `default_dtype()`), built once."""
    return _load_frontend(dtype or default_dtype())


@functools.lru_cache(maxsize=2)
def _load_frontend(dtype: str):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return build_frontend(read_weights(checkpoint_dir()), dtype=dtype)


def frontend_features(patches: np.ndarray, *, batch_size: int = 64, dtype: str | None = None,
                      show_progress: bool = False) -> np.ndarray:
    """Pooled musicnn features of model-input patches [shape=(n, PATCH_FRAMES, N_MELS)] -> [shape=(n, FEATURE_DIM)].

    dtype: of the big convolutions (see `build_frontend`); None: `default_dtype()`.
    """
    tf = tensorflow()
    from tqdm import tqdm

    run = load_frontend(dtype)
    patches = np.asarray(patches, dtype=np.float32)
    if len(patches) == 0:
        return np.zeros((0, FEATURE_DIM), np.float32)
    out = [run(tf.constant(patches[i : i + batch_size])).numpy()
           for i in tqdm(range(0, len(patches), batch_size), desc="sound front end", unit="batch",
                         disable=not show_progress or None)]
    return np.concatenate(out).astype(np.float32, copy=False)
