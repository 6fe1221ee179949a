"""How well the CNN tells styles apart on a labelled folder, split by track (grouped k-fold).

Per fold the CNN is trained on the training clips only; held-out clips are scored for
accuracy and macro-F1 (style head, probabilities averaged over patches) and for
precision@5: the share of a held-out clip's 5 nearest training clips (cosine over
embeddings: the cold-start lookup) that carry its label. A log-mel/MFCC-statistics +
logistic-regression baseline is scored on the same folds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.decode import decode_file
from audio.mel import log_mel, model_input
from errors import BadInputError
from textfile import csv_dict_reader

log = logging.getLogger(__name__)

IGNORED_LABELS = {"", "none", "unknown", "nan"}


@dataclass
class LabelledClips:
    """Decoded, labelled clips: log-mels [each (N_MELS, t)], model inputs [each (MODEL_N_MELS, t')], labels,
    groups (tracks) and file names."""

    mels: list[np.ndarray]
    inputs: list[np.ndarray]
    labels: np.ndarray
    groups: np.ndarray
    files: list[str]


def read_labels(csv_path: Path, *, audio_dir: Path | None = None, label_col: str = "label",
                group_col: str | None = "track_id", file_col: str = "file",
                group_required: bool = False) -> list[tuple[Path, str, str]]:
    """(audio path, label, group) rows of a labels CSV; rows labelled ''/'none' are skipped.

    Without `group_col` (None, or a column the file lacks: a warning, or `BadInputError` if `group_required`)
    every clip is its own group."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise BadInputError(f"{csv_path}: no such labels file.")
    audio_dir = Path(audio_dir) if audio_dir else csv_path.parent
    with csv_dict_reader(csv_path) as reader:
        columns = reader.fieldnames or []
        missing = [c for c in (file_col, label_col) if c not in columns]
        if missing:
            raise BadInputError(f"{csv_path.name} has no column {', '.join(missing)} (columns: {', '.join(columns)}); "
                                "name them with --file-col/--label-col.")
        if group_col and group_col not in columns:
            if group_required:
                raise BadInputError(f"{csv_path.name} has no column {group_col} (columns: {', '.join(columns)}); "
                                    "name the column that says which clips come from one track with --group-col.")
            log.warning("%s has no column %r: every clip is its own group", csv_path.name, group_col)
        rows, unlabelled = [], 0
        for row in reader:
            label = (row.get(label_col) or "").strip()
            if label.lower() in IGNORED_LABELS:
                unlabelled += 1
                continue
            group = (row.get(group_col) or "").strip() if group_col else ""
            group = group or row[file_col]
            rows.append((audio_dir / row[file_col], label, group))
    if not rows:
        raise BadInputError(f"{csv_path.name}: no labelled rows.")
    if unlabelled:
        log.warning("%s: %d rows without a label (or labelled 'none') left out", csv_path.name, unlabelled)
    return rows


def load_clips(rows: list[tuple[Path, str, str]], *, show_progress: bool = False) -> LabelledClips:
    """Decode and log-mel every row; files that fail to decode are skipped with a warning."""
    from tqdm import tqdm

    mels, inputs, labels, groups, files = [], [], [], [], []
    for path, label, group in tqdm(rows, desc="decoding", unit="clip", disable=not show_progress or None):
        try:
            decoded = decode_file(path)
        except BadInputError as error:
            log.warning("skipped: %s", error)
            continue
        mels.append(log_mel(decoded.y))
        inputs.append(model_input(decoded.y))
        labels.append(label)
        groups.append(group)
        files.append(path.name)
    if len(set(labels)) < 2:
        raise BadInputError("Fewer than two labels among the clips that decoded; nothing to tell apart.")
    return LabelledClips(mels=mels, inputs=inputs, labels=np.array(labels), groups=np.array(groups), files=files)


def grouped_folds(labels: np.ndarray, groups: np.ndarray, n_folds: int, seed: int = 0) -> list[np.ndarray]:
    """Fold number of every clip: no group in two folds, labels spread evenly (StratifiedGroupKFold)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_groups = len(set(groups.tolist()))
    if n_folds < 2 or n_folds > n_groups:
        raise BadInputError(f"--folds {n_folds}: need 2 to {n_groups} (the number of groups).")
    fold_of = np.zeros(len(labels), dtype=int)
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        fold_of[test] = k
    return fold_of


def precision_at_k(query_emb: np.ndarray, query_labels: np.ndarray, index_emb: np.ndarray,
                   index_labels: np.ndarray, k: int = 5) -> float:
    """Mean share of each query's k most cosine-similar index items that have the query's label."""
    from models.embeddings import EmbeddingIndex

    index = EmbeddingIndex(index_emb, np.arange(len(index_labels)))
    shares = []
    for emb, label in zip(query_emb, query_labels, strict=True):
        rows, _ = index.similar(emb, k)
        shares.append(float(np.mean(index_labels[rows] == label)))
    return float(np.mean(shares)) if shares else 0.0


def summary_features(mel: np.ndarray) -> np.ndarray:
    """Baseline features: mean and std of each log-mel band and of 20 MFCCs and their deltas -> [shape=(232,)]."""
    import librosa

    mfcc = librosa.feature.mfcc(S=mel, n_mfcc=20)
    delta = np.diff(mfcc, axis=1)
    parts = [mel.mean(1), mel.std(1), mfcc.mean(1), mfcc.std(1), delta.mean(1), delta.std(1)]
    return np.concatenate(parts).astype(np.float32)


def _scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return float(accuracy_score(truth, predicted)), float(f1_score(truth, predicted, average="macro"))


def evaluate_baseline(clips: LabelledClips, fold_of: np.ndarray) -> dict:
    """Logistic regression on standardised `summary_features`, same folds; embeddings = standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    features = np.stack([summary_features(m) for m in clips.mels])
    acc, f1, p5 = [], [], []
    for k in range(fold_of.max() + 1):
        train, test = fold_of != k, fold_of == k
        scaler = StandardScaler().fit(features[train])
        model = LogisticRegression(max_iter=2000, C=0.1).fit(scaler.transform(features[train]), clips.labels[train])
        a, f = _scores(clips.labels[test], model.predict(scaler.transform(features[test])))
        acc.append(a)
        f1.append(f)
        p5.append(precision_at_k(scaler.transform(features[test]), clips.labels[test],
                                 scaler.transform(features[train]), clips.labels[train]))
    return {"accuracy": float(np.mean(acc)), "macro_f1": float(np.mean(f1)), "precision_at_5": float(np.mean(p5))}


def _baseline_proba(clips: LabelledClips, train: np.ndarray, test: np.ndarray, classes: list[str]) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    features = np.stack([summary_features(clips.mels[i]) for i in np.concatenate([train, test])])
    scaler = StandardScaler().fit(features[: len(train)])
    model = LogisticRegression(max_iter=2000, C=0.1).fit(scaler.transform(features[: len(train)]), clips.labels[train])
    probs = model.predict_proba(scaler.transform(features[len(train):]))
    return probs[:, [list(model.classes_).index(c) for c in classes]]


def _precision_with_bpm_filter(query_emb, query_tempo, query_labels, index_emb, index_tempo, index_labels,
                               k: int = 5, tolerance: float = 0.06) -> float:
    """precision@k when neighbours must be within ±tolerance of the query's tempo (half/double allowed);
    a query with no neighbour in range falls back to unfiltered neighbours."""
    from models.embeddings import EmbeddingIndex, NeighbourFilters

    index = EmbeddingIndex(index_emb, np.arange(len(index_labels)), tempo=index_tempo)
    shares = []
    for emb, bpm, label in zip(query_emb, query_tempo, query_labels, strict=True):
        rows, _ = index.similar(emb, k, NeighbourFilters(bpm=float(bpm), bpm_tolerance=tolerance) if bpm else None)
        if rows.size == 0:
            rows, _ = index.similar(emb, k)
        shares.append(float(np.mean(index_labels[rows] == label)))
    return float(np.mean(shares)) if shares else 0.0


def _subset(features: tuple[np.ndarray, np.ndarray], clips: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The patch features of `clips` (indices into the clip list), owners renumbered 0..len(clips)-1."""
    x, owner = features
    position = np.full(owner.max() + 1, -1)
    position[clips] = np.arange(len(clips))
    keep = position[owner] >= 0
    return x[keep], position[owner[keep]]


def evaluate_cnn(clips: LabelledClips, fold_of: np.ndarray, *, config=None,
                 on_fold: Callable[[int, dict], None] | None = None) -> dict:
    """Train and score the sound model on every fold; returns the fold means and the per-fold figures.

    The front end is pretrained and frozen, so its features are computed once for all clips; only the
    head is trained per fold, on training clips only. Besides the model's own figures, each fold reports
    `ensemble_*` (model and baseline probabilities averaged) and `precision_at_5_bpm_filter` (neighbours
    restricted to a mixable tempo, as the cold-start filter does).
    """
    from audio.tempo import estimate_tempo
    from models.cnn import CnnConfig, clip_features, train_cnn, training_features

    config = config or CnnConfig()
    tempo = np.array([estimate_tempo(m)[0] for m in clips.mels])
    train_features, embed_features = training_features(clips.inputs, config), clip_features(clips.inputs)
    folds = []
    for k in range(fold_of.max() + 1):
        train, test = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        train_inputs, test_inputs = [clips.inputs[i] for i in train], [clips.inputs[i] for i in test]
        cnn = train_cnn(train_inputs, clips.labels[train].tolist(), config=config,
                        features=_subset(train_features, train))
        test_features = _subset(embed_features, test)
        probs = cnn.predict_proba(test_inputs, features=test_features)
        predicted = np.array(cnn.classes)[np.argmax(probs, axis=1)]
        acc, f1 = _scores(clips.labels[test], predicted)
        test_emb = cnn.embed(test_inputs, features=test_features)
        train_emb = cnn.embed(train_inputs, features=_subset(embed_features, train))
        p5 = precision_at_k(test_emb, clips.labels[test], train_emb, clips.labels[train])
        p5_bpm = _precision_with_bpm_filter(test_emb, tempo[test], clips.labels[test], train_emb, tempo[train],
                                            clips.labels[train])
        mixed = (probs + _baseline_proba(clips, train, test, cnn.classes)) / 2
        ens_acc, ens_f1 = _scores(clips.labels[test], np.array(cnn.classes)[np.argmax(mixed, axis=1)])
        fold = {"fold": k, "n_test": int(test.size), "accuracy": acc, "macro_f1": f1, "precision_at_5": p5,
                "precision_at_5_bpm_filter": p5_bpm, "ensemble_accuracy": ens_acc, "ensemble_macro_f1": ens_f1,
                "final_loss": cnn.history[-1] if cnn.history else None}
        folds.append(fold)
        if on_fold:
            on_fold(k, fold)
    keys = ("accuracy", "macro_f1", "precision_at_5", "precision_at_5_bpm_filter", "ensemble_accuracy",
            "ensemble_macro_f1")
    return {**{key: float(np.mean([f[key] for f in folds])) for key in keys}, "folds": folds}
