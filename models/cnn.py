"""The sound model: the pretrained musicnn front end (frozen) and a small head trained on style labels.

Patches of 3 s (`PATCH_FRAMES` frames of `audio.mel.model_input`) go through the frozen musicnn
front end (`models.musicnn`, trained on a million songs' tags) to 1,506 pooled features; a Keras head
learns from them the styles DJs tell apart, with an optional second output that regresses the track's
ALS item factors (van den Oord, Dieleman & Schrauwen 2013), so a track no DJ set contains lands near
the tracks DJs play with tracks that sound like it.

The embedding of a clip: the head's penultimate activations of every patch, L2-normalised, averaged
over the clip's patches and L2-normalised again -> [shape=(EMBEDDING_DIM,)], unit norm.
TensorFlow/Keras are imported on first use (4-6 s); nothing here runs at import time.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from audio.params import MODEL_INPUT_ID, MODEL_N_MELS, PATCH_FRAMES
from errors import ArtifactMissingError, BadInputError
from models.tensorflow_import import tensorflow
from npyio import load_npy

log = logging.getLogger(__name__)

EMBEDDING_DIM = 64
EMBED_PATCHES = 3  # patches per clip when embedding, evenly spread (9 s of a 30-s preview, all of a 10-s clip):
# the front end costs ~5 ms a patch on 2 cores with bfloat16, ~11 ms in float32 (models.musicnn)
MODEL_FILE = "cnn.keras"
METADATA_FILE = "cnn_metadata.json"
EMBEDDINGS_FILE = "embeddings.npy"
TRACK_IDS_FILE = "embedding_track_ids.npy"


def _keras():
    tensorflow()  # first, quietly (Keras imports it)
    import keras

    return keras


def frontend_id() -> str:
    """What the saved head expects as input: the model-input spectrogram and the front-end checkpoint."""
    from models.musicnn import CHECKPOINT

    return f"{MODEL_INPUT_ID}|{CHECKPOINT}"


@dataclass
class CnnConfig:
    """Training settings of the head (all saved in the run's metadata)."""

    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2  # L2 on the dense kernels (strong: a few hundred clips per style at most)
    dropout: float = 0.5
    train_hop: int = PATCH_FRAMES // 2  # frames between training patches (crops of every clip)
    augment_copies: int = 1  # extra copies of each training clip: shifted by a random crop offset, at a random gain
    gain_db: float = 6.0  # the copies' gain is uniform in ±gain_db
    balance_classes: bool = True  # weight patches so every style counts the same in the loss
    factor_weight: float = 1.0  # weight of the ALS-factor loss when factors are given
    seed: int = 0


@dataclass
class CnnModel:
    """A trained head (on the frozen front end) and what it was trained on."""

    model: object  # keras.Model: front-end features -> 'style' (and 'factors')
    classes: list[str]
    config: CnnConfig = field(default_factory=CnnConfig)
    n_factors: int = 0
    history: list[float] = field(default_factory=list)  # training loss per epoch
    _extractor: object | None = None

    @property
    def extractor(self):
        """keras.Model: front-end features -> penultimate activations (the embedding before averaging)."""
        if self._extractor is None:
            keras = _keras()
            self._extractor = keras.Model(self.model.inputs, self.model.get_layer("embedding").output)
        return self._extractor

    def embed(self, inputs: Sequence[np.ndarray], *, features=None, show_progress: bool = False) -> np.ndarray:
        """Unit-norm embeddings of model inputs [each shape=(MODEL_N_MELS, t)] -> [shape=(n, EMBEDDING_DIM)], float32.

        features: (patch features, owner) from `clip_features(inputs)` when already computed.
        """
        if len(inputs) == 0:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        x, owner = features if features is not None else clip_features(inputs, show_progress=show_progress)
        out = _run_model(self.extractor, x)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return _unit(_clip_sums(out, owner, len(inputs)))

    def predict_proba(self, inputs: Sequence[np.ndarray], *, features=None) -> np.ndarray:
        """Style probabilities averaged over each clip's patches -> [shape=(n, len(classes))]."""
        x, owner = features if features is not None else clip_features(inputs)
        probs = _run_model(self.model, x)["style"]
        counts = np.bincount(owner, minlength=len(inputs))[:, None]
        return _clip_sums(probs, owner, len(inputs)) / np.maximum(counts, 1)


def _run_model(model, x: np.ndarray, batch_size: int = 1024):
    """Inference in one direct call per batch (no `predict` set-up cost); arrays come back as numpy."""
    with warnings.catch_warnings():  # Keras 3 warns that a bare array is not the {'features': …} structure
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        outs = [model(x[i : i + batch_size], training=False) for i in range(0, max(len(x), 1), batch_size)]
    if isinstance(outs[0], dict):
        return {k: np.concatenate([np.asarray(o[k]) for o in outs]).astype(np.float32) for k in outs[0]}
    return np.concatenate([np.asarray(o) for o in outs]).astype(np.float32)


def _clip_sums(rows: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    summed = np.zeros((n, rows.shape[1]), np.float32)
    np.add.at(summed, owner, rows)
    return summed


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def _check_input(spec: np.ndarray) -> np.ndarray:
    spec = np.asarray(spec, dtype=np.float32)
    if spec.ndim != 2 or spec.shape[0] != MODEL_N_MELS:
        raise BadInputError(f"model input has shape {spec.shape}; expected ({MODEL_N_MELS}, t) from "
                            "audio.mel.model_input.")
    return spec


def _fit_length(spec: np.ndarray, frames: int) -> np.ndarray:
    if spec.shape[1] >= frames:
        return spec
    reps = int(np.ceil(frames / max(spec.shape[1], 1)))
    return np.tile(spec, (1, reps))[:, :frames]  # short clips loop, like a DJ's loop


def clip_patches(spec: np.ndarray, *, frames: int = PATCH_FRAMES, hop: int | None = None,
                 max_patches: int | None = None) -> np.ndarray:
    """Patches of a model input [shape=(MODEL_N_MELS, t)] -> [shape=(n, frames, MODEL_N_MELS)] (time first).

    hop: frames between patch starts (default a whole patch); the last patch ends at the clip's end.
    max_patches: at most this many, evenly spread from the clip's start to its end (then hop is ignored).
    """
    spec = _fit_length(_check_input(spec), frames)
    hop = hop or frames
    starts = list(range(0, spec.shape[1] - frames + 1, hop))
    if starts[-1] != spec.shape[1] - frames:
        starts.append(spec.shape[1] - frames)
    if max_patches and len(starts) > max_patches:
        starts = np.linspace(0, spec.shape[1] - frames, max_patches).round().astype(int).tolist()
    return np.stack([spec[:, s : s + frames].T for s in starts])


def clip_features(inputs: Sequence[np.ndarray], *, hop: int | None = None, max_patches: int | None = EMBED_PATCHES,
                  show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Front-end features of every clip's patches [shape=(p, FEATURE_DIM)] and the clip of each patch [shape=(p,)]."""
    from models.musicnn import frontend_features

    patches = [clip_patches(s, hop=hop, max_patches=max_patches) for s in inputs]
    owner = np.concatenate([np.full(len(p), i) for i, p in enumerate(patches)])
    return frontend_features(np.concatenate(patches), show_progress=show_progress), owner


def with_gain(spec: np.ndarray, gain_db: float) -> np.ndarray:
    """A model input [shape=(MODEL_N_MELS, t)] as if its audio were `gain_db` louder: musicnn's log10(1 + 10^4 p)
    of the mel power p, recomputed for p * 10^(gain_db / 10)."""
    power = np.expm1(np.asarray(spec, np.float64) * np.log(10.0))  # 10^x - 1 = 10^4 p
    return np.log10(1.0 + power * 10.0 ** (gain_db / 10.0)).astype(np.float32)


def augmented_copies(spec: np.ndarray, config: CnnConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """`config.augment_copies` copies of a model input, each cropped at a random offset (0 to train_hop frames
    later, when the clip is longer than a patch) and at a random gain in ±`config.gain_db`."""
    copies = []
    for _ in range(config.augment_copies):
        room = min(config.train_hop, spec.shape[1] - PATCH_FRAMES)
        start = int(rng.integers(0, room)) if room > 1 else 0
        copies.append(with_gain(spec[:, start:], float(rng.uniform(-config.gain_db, config.gain_db))))
    return copies


def training_features(inputs: Sequence[np.ndarray], config: CnnConfig | None = None, *,
                      show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Front-end features of the training set's patches [shape=(p, FEATURE_DIM)] and the clip of each [shape=(p,)]:
    overlapping crops (every `train_hop` frames) of every clip and of its `augmented_copies` (seeded by
    `config.seed`, so the same inputs give the same patches)."""
    config = config or CnnConfig()
    rng = np.random.default_rng(config.seed)
    variants, source = [], []
    for i, spec in enumerate(inputs):
        spec = _check_input(spec)
        for variant in [spec, *augmented_copies(spec, config, rng)]:
            variants.append(variant)
            source.append(i)
    x, owner = clip_features(variants, hop=config.train_hop, max_patches=None, show_progress=show_progress)
    return x, np.asarray(source, dtype=np.int64)[owner]


def build_head(n_classes: int, feature_mean: np.ndarray, feature_std: np.ndarray, *, n_factors: int = 0,
               config: CnnConfig | None = None):
    """keras.Model: front-end features [shape=(FEATURE_DIM,)] -> 'style' softmax (+ 'factors' if n_factors)."""
    keras = _keras()
    from keras import layers

    from models.musicnn import FEATURE_DIM

    config = config or CnnConfig()
    keras.utils.set_random_seed(config.seed)
    reg = keras.regularizers.L2(config.weight_decay)
    inputs = keras.Input(shape=(FEATURE_DIM,), name="features")
    x = layers.Normalization(mean=feature_mean, variance=np.square(feature_std), name="standardise")(inputs)
    x = layers.Dropout(config.dropout)(x)
    embedding = layers.Dense(EMBEDDING_DIM, activation="relu", kernel_regularizer=reg, name="embedding")(x)
    head = layers.Dropout(config.dropout)(embedding)
    outputs = {"style": layers.Dense(n_classes, activation="softmax", kernel_regularizer=reg, name="style")(head)}
    if n_factors:
        outputs["factors"] = layers.Dense(n_factors, name="factors")(head)
    return keras.Model(inputs, outputs, name="cratedigger_sound_head")


def masked_mse(y_true, y_pred):
    """Mean squared error over rows whose target is not NaN (tracks without ALS factors count 0)."""
    from keras import ops

    known = ops.logical_not(ops.any(ops.isnan(y_true), axis=-1))
    y_true = ops.where(ops.isnan(y_true), 0.0, y_true)
    per_row = ops.mean(ops.square(y_true - y_pred), axis=-1)
    known = ops.cast(known, per_row.dtype)
    return ops.sum(per_row * known) / ops.maximum(ops.sum(known), 1.0)


def _unit_factors(factors: np.ndarray | None, n_clips: int) -> np.ndarray | None:
    if factors is None:
        return None
    factors = np.asarray(factors, dtype=np.float32)
    if factors.shape[0] != n_clips:
        raise BadInputError(f"factors has {factors.shape[0]} rows for {n_clips} clips.")
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    return factors / np.where(np.isfinite(norms) & (norms > 0), norms, 1.0)


def train_cnn(
    inputs: Sequence[np.ndarray],
    labels: Sequence[str],
    *,
    factors: np.ndarray | None = None,
    config: CnnConfig | None = None,
    features: tuple[np.ndarray, np.ndarray] | None = None,
    callback: Callable[[int, float, float], None] | None = None,
    show_progress: bool = False,
) -> CnnModel:
    """Train the head on model inputs [each (MODEL_N_MELS, t)] with style `labels`.

    factors: optional [shape=(n_clips, n_factors)] ALS item factors, rows of NaN where a clip's
    track has none; rows are L2-normalised (the head learns a direction, as cosine similarity uses).
    features: (patch features, clip of each patch) from `training_features(inputs)` if already computed.
    callback(epoch, elapsed_seconds, loss) is called after every epoch.
    """
    keras = _keras()
    config = config or CnnConfig()
    if len(inputs) != len(labels) or len(inputs) == 0:
        raise BadInputError(f"{len(inputs)} clips and {len(labels)} labels: give one label per clip.")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise BadInputError(f"Only one style label ({classes[0]!r}); training needs at least two.")
    for spec in inputs:
        _check_input(spec)
    y_clip = np.array([classes.index(label) for label in labels])
    factors = _unit_factors(factors, len(inputs))
    x, owner = features if features is not None else training_features(inputs, config, show_progress=show_progress)
    y = y_clip[owner]
    weights = np.ones(len(y), np.float32)
    if config.balance_classes:
        counts = np.bincount(y, minlength=len(classes)).astype(np.float32)
        weights = (len(y) / (len(classes) * np.maximum(counts, 1)))[y]
    n_factors = 0 if factors is None else factors.shape[1]
    std = x.std(axis=0)
    model = build_head(len(classes), x.mean(axis=0), np.where(std > 1e-6, std, 1.0), n_factors=n_factors,
                       config=config)
    losses, loss_weights, targets = {"style": "sparse_categorical_crossentropy"}, {"style": 1.0}, {"style": y}
    if n_factors:
        losses["factors"] = masked_mse
        loss_weights["factors"] = config.factor_weight
        targets["factors"] = factors[owner]
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss=losses, loss_weights=loss_weights)
    history: list[float] = []
    start = time.perf_counter()

    def on_epoch_end(epoch, logs):
        history.append(float(logs["loss"]))
        if callback:
            callback(epoch, time.perf_counter() - start, history[-1])

    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)]
    model.fit(x, targets, sample_weight=weights, batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
              verbose=_keras_verbosity(show_progress), callbacks=callbacks)
    return CnnModel(model=model, classes=classes, config=config, n_factors=n_factors, history=history)


def _keras_verbosity(show_progress: bool) -> int:
    """Keras `fit`'s verbose: a live bar on a terminal, one line per epoch in a log, nothing when asked."""
    import sys

    return (1 if sys.stderr.isatty() else 2) if show_progress else 0


def save_cnn(cnn: CnnModel, run_dir: Path, *, extra: dict | None = None) -> Path:
    """Write `cnn.keras`, its numpy twin for queries (`models.numpy_sound`) and `cnn_metadata.json` into
    `run_dir`; returns the model path."""
    from models.numpy_sound import export_inference

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / MODEL_FILE
    cnn.model.save(path)
    export_inference(cnn, run_dir)
    config = asdict(cnn.config)
    metadata = {"classes": cnn.classes, "n_factors": cnn.n_factors, "embedding_dim": EMBEDDING_DIM,
                "frontend": frontend_id(), "config": config, "loss_history": cnn.history, **(extra or {})}
    (run_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
    return path


def made_by_this_frontend(run_dir: Path) -> bool:
    """Whether the sound model in `run_dir` takes this Cratedigger's inputs (no TensorFlow needed)."""
    try:
        return json.loads((Path(run_dir) / METADATA_FILE).read_text()).get("frontend") == frontend_id()
    except (OSError, ValueError):
        return False


def load_cnn(run_dir: Path) -> CnnModel:
    """The CNN saved in `run_dir` by `save_cnn` (without its optimiser state)."""
    run_dir = Path(run_dir)
    path, meta_path = run_dir / MODEL_FILE, run_dir / METADATA_FILE
    if not path.is_file() or not meta_path.is_file():
        raise ArtifactMissingError(f"No trained CNN in {run_dir} (need {MODEL_FILE} and {METADATA_FILE}); "
                                   "run `python cli.py train-cnn` first.")
    metadata = json.loads(meta_path.read_text())
    if metadata.get("frontend") != frontend_id():
        raise ArtifactMissingError(f"The sound model in {run_dir} was trained on '{metadata.get('frontend')}', "
                                   f"this Cratedigger makes '{frontend_id()}'; run `python cli.py train-cnn` again.")
    keras = _keras()
    model = keras.models.load_model(path, compile=False)
    known = set(CnnConfig.__dataclass_fields__)
    config = {k: v for k, v in metadata.get("config", {}).items() if k in known}
    return CnnModel(model=model, classes=list(metadata["classes"]), config=CnnConfig(**config),
                    n_factors=int(metadata.get("n_factors", 0)), history=list(metadata.get("loss_history", [])))


def save_embeddings(run_dir: Path, embeddings: np.ndarray, track_ids: Sequence[int | str]) -> None:
    """Write `embeddings.npy` [shape=(n, d), float32] and `embedding_track_ids.npy` [shape=(n,)] atomically."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ids = np.asarray(track_ids)
    if ids.dtype == object:
        ids = ids.astype(str)
    for name, array in ((EMBEDDINGS_FILE, np.asarray(embeddings, np.float32)), (TRACK_IDS_FILE, ids)):
        tmp = run_dir / f".{name}.tmp.npy"
        np.save(tmp, array, allow_pickle=False)
        os.replace(tmp, run_dir / name)


def load_embeddings(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings [shape=(n, d)], track ids [shape=(n,)]) saved by `save_embeddings`."""
    run_dir = Path(run_dir)
    paths = (run_dir / EMBEDDINGS_FILE, run_dir / TRACK_IDS_FILE)
    if not all(p.is_file() for p in paths):
        raise ArtifactMissingError(f"No embeddings in {run_dir}; run `python cli.py embed` first.")
    return load_npy(paths[0]), load_npy(paths[1])
