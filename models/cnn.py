"""A small convnet on log-mel patches whose penultimate layer is a track's sound embedding.

Trained on style labels, with an optional second head that regresses the track's ALS
item factors (van den Oord, Dieleman & Schrauwen 2013), so a track no DJ set contains
lands near the tracks DJs play with tracks that sound like it. Sized for a CPU:
~100k parameters, patches of `PATCH_FRAMES` frames (3 s) of `N_MELS` bands.

The embedding of a clip: every patch's penultimate activations, L2-normalised, averaged
over the clip's patches and L2-normalised again -> [shape=(EMBEDDING_DIM,)], unit norm.
TensorFlow/Keras are imported on first use (4-6 s); nothing here runs at import time.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from audio.params import FRONTEND_ID, N_MELS, PATCH_FRAMES
from errors import ArtifactMissingError, BadInputError

log = logging.getLogger(__name__)

EMBEDDING_DIM = 64
MODEL_FILE = "cnn.keras"
METADATA_FILE = "cnn_metadata.json"
EMBEDDINGS_FILE = "embeddings.npy"
TRACK_IDS_FILE = "embedding_track_ids.npy"


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


@dataclass
class CnnConfig:
    """Training settings of the CNN (all saved in the run's metadata)."""

    epochs: int = 30
    crops_per_clip: int = 8  # random patches drawn from each clip per epoch
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-3
    dropout: float = 0.4
    filters: tuple[int, ...] = (16, 32, 48, 64)
    time_pool: int = 2  # average-pool the input over this many frames first (speed; 46 ms resolution)
    gain_db: float = 6.0  # random gain, ±dB (augmentation)
    tilt_db: float = 3.0  # random spectral tilt low->high band, ±dB (augmentation)
    factor_weight: float = 1.0  # weight of the ALS-factor loss when factors are given
    seed: int = 0


@dataclass
class CnnModel:
    """A trained CNN and what it was trained on."""

    model: object  # keras.Model with outputs 'style' (and 'factors')
    classes: list[str]
    config: CnnConfig = field(default_factory=CnnConfig)
    n_factors: int = 0
    history: list[float] = field(default_factory=list)  # training loss per epoch
    _extractor: object | None = None

    @property
    def extractor(self):
        """keras.Model: patch -> penultimate activations (the embedding before averaging)."""
        if self._extractor is None:
            keras = _keras()
            self._extractor = keras.Model(self.model.inputs, self.model.get_layer("embedding").output)
        return self._extractor

    def embed(self, mels: Sequence[np.ndarray], *, batch_size: int = 256) -> np.ndarray:
        """Unit-norm embeddings of log-mel clips [each shape=(N_MELS, t)] -> [shape=(n, EMBEDDING_DIM)], float32."""
        if len(mels) == 0:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        x, owner = _patch_batch(mels)
        out = _run_model(self.extractor, x, batch_size)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return _unit(_clip_sums(out, owner, len(mels)))

    def predict_proba(self, mels: Sequence[np.ndarray], *, batch_size: int = 256) -> np.ndarray:
        """Style probabilities averaged over each clip's patches -> [shape=(n, len(classes))]."""
        x, owner = _patch_batch(mels)
        probs = _run_model(self.model, x, batch_size, output="style")
        counts = np.bincount(owner, minlength=len(mels))[:, None]
        return _clip_sums(probs, owner, len(mels)) / np.maximum(counts, 1)


def _run_model(model, x: np.ndarray, batch_size: int, output: str | None = None) -> np.ndarray:
    """Inference; one direct call for a small batch (a query: no `predict` set-up cost), else `predict`."""
    if len(x) <= batch_size:
        out = model(x, training=False)
    else:
        out = model.predict(x, batch_size=batch_size, verbose=0)
    if output is not None:
        out = out[output]
    return np.array(out, dtype=np.float32)  # a writable copy


def _patch_batch(mels: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """All clips' patches as one batch [shape=(p, N_MELS, PATCH_FRAMES, 1)] and the clip of each patch."""
    patches = [clip_patches(normalise_clip(m)) for m in mels]
    owner = np.concatenate([np.full(len(p), i) for i, p in enumerate(patches)])
    return np.concatenate(patches)[..., None], owner


def _clip_sums(rows: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    summed = np.zeros((n, rows.shape[1]), np.float32)
    np.add.at(summed, owner, rows)
    return summed


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def normalise_clip(mel: np.ndarray) -> np.ndarray:
    """Standardise one clip's log-mel (dB) to zero mean, unit variance over all bins (gain-invariant)."""
    mel = np.asarray(mel, dtype=np.float32)
    if mel.ndim != 2 or mel.shape[0] != N_MELS:
        raise BadInputError(f"log-mel has shape {mel.shape}; expected ({N_MELS}, t) from audio.mel.log_mel.")
    return (mel - mel.mean()) / max(float(mel.std()), 1e-3)


def _fit_length(mel: np.ndarray, frames: int) -> np.ndarray:
    if mel.shape[1] >= frames:
        return mel
    reps = int(np.ceil(frames / max(mel.shape[1], 1)))
    return np.tile(mel, (1, reps))[:, :frames]  # short clips loop, like a DJ's loop


def clip_patches(mel: np.ndarray, *, frames: int = PATCH_FRAMES, hop: int | None = None) -> np.ndarray:
    """Evenly spaced patches covering the clip -> [shape=(n, N_MELS, frames)] (hop = half a patch)."""
    mel = _fit_length(mel, frames)
    hop = hop or frames // 2
    starts = list(range(0, mel.shape[1] - frames + 1, hop))
    if starts[-1] != mel.shape[1] - frames:
        starts.append(mel.shape[1] - frames)
    return np.stack([mel[:, s : s + frames] for s in starts])


def random_crops(mels: Sequence[np.ndarray], per_clip: int, rng: np.random.Generator, *, gain_db: float = 0.0,
                 tilt_db: float = 0.0, frames: int = PATCH_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """Augmented training patches: `per_clip` random crops of each normalised clip with random gain and tilt.

    Returns (patches [shape=(n*per_clip, N_MELS, frames)], clip index of each patch).
    """
    out, owner = [], []
    ramp = np.linspace(-1.0, 1.0, N_MELS, dtype=np.float32)[:, None]
    for i, mel in enumerate(mels):
        mel = _fit_length(mel, frames)
        for _ in range(per_clip):
            s = int(rng.integers(0, mel.shape[1] - frames + 1))
            patch = mel[:, s : s + frames]
            gain = rng.uniform(-gain_db, gain_db) / 10.0  # dB on a standardised (≈10 dB-unit) scale
            tilt = rng.uniform(-tilt_db, tilt_db) / 10.0
            out.append(patch + gain + tilt * ramp)
            owner.append(i)
    return np.stack(out).astype(np.float32), np.array(owner)


def build_cnn(n_classes: int, *, n_factors: int = 0, config: CnnConfig | None = None):
    """keras.Model: patch [shape=(N_MELS, PATCH_FRAMES, 1)] -> 'style' softmax (+ 'factors' if n_factors)."""
    keras = _keras()
    from keras import layers

    config = config or CnnConfig()
    keras.utils.set_random_seed(config.seed)
    reg = keras.regularizers.L2(config.weight_decay)
    inputs = keras.Input(shape=(N_MELS, PATCH_FRAMES, 1), name="patch")
    x = layers.AveragePooling2D((1, config.time_pool))(inputs) if config.time_pool > 1 else inputs
    for i, n in enumerate(config.filters):
        x = layers.Conv2D(n, 3, padding="same", use_bias=False, kernel_regularizer=reg, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu")(x)
        if i < len(config.filters) - 1:
            x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Concatenate()([layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x)])
    x = layers.Dropout(config.dropout)(x)
    embedding = layers.Dense(EMBEDDING_DIM, activation="relu", kernel_regularizer=reg, name="embedding")(x)
    head = layers.Dropout(config.dropout)(embedding)
    outputs = {"style": layers.Dense(n_classes, activation="softmax", name="style")(head)}
    if n_factors:
        outputs["factors"] = layers.Dense(n_factors, name="factors")(head)
    return keras.Model(inputs, outputs, name="cratedigger_cnn")


def masked_mse(y_true, y_pred):
    """Mean squared error over rows whose target is not NaN (tracks without ALS factors count 0)."""
    from keras import ops

    known = ops.logical_not(ops.any(ops.isnan(y_true), axis=-1))
    y_true = ops.where(ops.isnan(y_true), 0.0, y_true)
    per_row = ops.mean(ops.square(y_true - y_pred), axis=-1)
    known = ops.cast(known, per_row.dtype)
    return ops.sum(per_row * known) / ops.maximum(ops.sum(known), 1.0)


def _CropBatches(normed, y, factors, config):
    """A keras PyDataset of random augmented crops: each epoch sees `crops_per_clip` patches per clip."""
    keras = _keras()

    class CropBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(config.seed)
            self.n_batches = max(1, len(normed) * config.crops_per_clip // config.batch_size)

        def __len__(self):
            return self.n_batches

        def __getitem__(self, index):
            clips = self.rng.integers(0, len(normed), config.batch_size)
            x, _ = random_crops([normed[c] for c in clips], 1, self.rng, gain_db=config.gain_db,
                                tilt_db=config.tilt_db)
            targets = {"style": y[clips]}
            if factors is not None:
                targets["factors"] = factors[clips]
            return x[..., None], targets

    return CropBatches()


def train_cnn(
    mels: Sequence[np.ndarray],
    labels: Sequence[str],
    *,
    factors: np.ndarray | None = None,
    config: CnnConfig | None = None,
    callback: Callable[[int, float, float], None] | None = None,
    show_progress: bool = False,
) -> CnnModel:
    """Train the CNN on log-mel clips [each (N_MELS, t)] with style `labels`.

    factors: optional [shape=(n_clips, n_factors)] ALS item factors, rows of NaN where a clip's
    track has none; rows are L2-normalised (the head learns a direction, as cosine similarity uses).
    callback(epoch, elapsed_seconds, loss) is called after every epoch.
    """
    keras = _keras()
    config = config or CnnConfig()
    if len(mels) != len(labels) or len(mels) == 0:
        raise BadInputError(f"{len(mels)} clips and {len(labels)} labels: give one label per clip.")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise BadInputError(f"Only one style label ({classes[0]!r}); training needs at least two.")
    y = np.array([classes.index(label) for label in labels])
    normed = [normalise_clip(m) for m in mels]
    n_factors = 0
    if factors is not None:
        factors = np.asarray(factors, dtype=np.float32)
        if factors.shape[0] != len(mels):
            raise BadInputError(f"factors has {factors.shape[0]} rows for {len(mels)} clips.")
        norms = np.linalg.norm(factors, axis=1, keepdims=True)
        factors = factors / np.where(np.isfinite(norms) & (norms > 0), norms, 1.0)
        n_factors = factors.shape[1]
    model = build_cnn(len(classes), n_factors=n_factors, config=config)
    losses = {"style": "sparse_categorical_crossentropy"}
    weights = {"style": 1.0}
    if n_factors:
        losses["factors"] = masked_mse
        weights["factors"] = config.factor_weight
    model.compile(optimizer=keras.optimizers.AdamW(config.learning_rate, weight_decay=1e-4), loss=losses,
                  loss_weights=weights)
    data = _CropBatches(normed, y, factors, config)
    history: list[float] = []
    start = time.perf_counter()

    def on_epoch_end(epoch, logs):
        history.append(float(logs["loss"]))
        if callback:
            callback(epoch, time.perf_counter() - start, history[-1])

    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)]
    model.fit(data, epochs=config.epochs, verbose=1 if show_progress else 0, callbacks=callbacks)
    return CnnModel(model=model, classes=classes, config=config, n_factors=n_factors, history=history)


def save_cnn(cnn: CnnModel, run_dir: Path, *, extra: dict | None = None) -> Path:
    """Write `cnn.keras` and `cnn_metadata.json` into `run_dir`; returns the model path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / MODEL_FILE
    cnn.model.save(path)
    config = asdict(cnn.config)
    config["filters"] = list(config["filters"])
    metadata = {"classes": cnn.classes, "n_factors": cnn.n_factors, "embedding_dim": EMBEDDING_DIM,
                "frontend": FRONTEND_ID, "config": config, "loss_history": cnn.history, **(extra or {})}
    (run_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
    return path


def load_cnn(run_dir: Path) -> CnnModel:
    """The CNN saved in `run_dir` by `save_cnn` (without its optimiser state)."""
    run_dir = Path(run_dir)
    path, meta_path = run_dir / MODEL_FILE, run_dir / METADATA_FILE
    if not path.is_file() or not meta_path.is_file():
        raise ArtifactMissingError(f"No trained CNN in {run_dir} (need {MODEL_FILE} and {METADATA_FILE}); "
                                   "run `python cli.py train-cnn` first.")
    metadata = json.loads(meta_path.read_text())
    if metadata.get("frontend") != FRONTEND_ID:
        raise ArtifactMissingError(f"The CNN in {run_dir} was trained on spectrograms '{metadata.get('frontend')}', "
                                   f"this Cratedigger makes '{FRONTEND_ID}'; run `python cli.py train-cnn` again.")
    keras = _keras()
    model = keras.models.load_model(path, compile=False)
    config = dict(metadata.get("config", {}))
    config["filters"] = tuple(config.get("filters", CnnConfig.filters))
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
    return np.load(paths[0], allow_pickle=False), np.load(paths[1], allow_pickle=False)
