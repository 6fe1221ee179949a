"""Which pretrained features tell electronic sub-styles apart: a probe for the sound model's next front end.

    .venv/bin/python bench/style_frontends.py [--labels CSV] [--seeds 0 1 2 3 4]

Clip features, each with patches as the product takes them (`models.cnn.clip_patches` of
`audio.mel.model_input`, 3-s patches every 1.5 s, mean and max over patches):
- `musicnn`: the shipped front end (MSD_musicnn, `models.musicnn.frontend_features`), 3,012 values;
- `vgg`: musicnn's MSD_vgg checkpoint (same wheel, ISC licence, unused by the product so far), the mean and max
  of its 4th pooling block per patch, 512 values: rebuilt here from the checkpoint in TF2 (`vgg_frontend`),
  since TF 2.21 cannot import its graph;
- `tempogram`: librosa's autocorrelation tempogram of the onset envelope (22,050 Hz, hop 512, 384 lags), mean and
  std of its first 192 lags over the whole clip, 384 values; no model.

Protocol (like `evaluate-audio`, on clip features instead of the trained head): StratifiedGroupKFold(5, shuffle)
over the labelled clips grouped by YouTube id, one split per seed; each feature block standardised on the training
folds and scaled to equal weight; balanced logistic regression at several C; accuracy, and precision@5 of
same-label training neighbours in the regression's centred log-probabilities (a trained-head embedding).
Prints one markdown row per feature set and C. Needs `../shared/fixtures/audio/audioset-electronic`; nothing
here runs in CI. Found with a helper's wider search (2026-11-24; `bench/audio.md`).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT.parent / "shared" / "fixtures" / "audio" / "audioset-electronic"
FEATURE_SETS = ("musicnn", "vgg", "musicnn+vgg", "musicnn+tempogram", "musicnn+vgg+tempogram")
C_GRID = (0.001, 0.003, 0.01, 0.03)
VGG_BN_EPSILON = 1e-3


def labelled_clips(labels: Path) -> list[tuple[Path, str, str]]:
    """(file, label, group) of every clip with a style label ('none' and empty dropped)."""
    rows = []
    with open(labels, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            label = (row.get("single_genre_v2") or "").strip()
            path = labels.parent / row["file"]
            if label and label.lower() != "none" and path.is_file():
                rows.append((path, label, row["youtube_id"]))
    return rows


def vgg_frontend(checkpoint: str = "MSD_vgg"):
    """musicnn's VGG (5 conv blocks on the 96-band model input) up to block 4, in TF2 from the checkpoint:
    patches [shape=(n, 187, 96)] -> mean and max over time and frequency of block 4 [shape=(n, 256)]."""
    import tensorflow as tf

    from models.musicnn import checkpoint_dir

    reader = tf.compat.v1.train.NewCheckpointReader(str(checkpoint_dir(checkpoint)) + "/")

    def batch_norm(i: int):
        name = "batch_normalization" + (f"_{i}" if i else "")
        gamma, beta, mean, var = (reader.get_tensor(f"{name}/{k}") for k in ("gamma", "beta", "moving_mean",
                                                                                "moving_variance"))
        scale = gamma / np.sqrt(var + VGG_BN_EPSILON)
        return scale.astype(np.float32), (beta - mean * scale).astype(np.float32)

    convs = [(reader.get_tensor(f"{i}CNN/kernel"), reader.get_tensor(f"{i}CNN/bias")) for i in range(1, 5)]
    norms = [batch_norm(i) for i in range(5)]
    pools = [([4, 1], [2, 2]), ([2, 2], [2, 2]), ([2, 2], [2, 2]), ([2, 2], [2, 2])]

    @tf.function(reduce_retracing=True)
    def run(patches):
        h = tf.expand_dims(patches, 3) * norms[0][0] + norms[0][1]
        for (kernel, bias), (scale, offset), (size, stride) in zip(convs, norms[1:], pools, strict=True):
            h = tf.nn.relu(tf.nn.conv2d(h, kernel, 1, "SAME") + bias) * scale + offset
            h = tf.nn.max_pool2d(h, size, stride, "VALID")
        return tf.concat([tf.reduce_mean(h, [1, 2]), tf.reduce_max(h, [1, 2])], 1)

    return lambda patches: run(tf.constant(patches)).numpy()


def tempogram_features(samples: np.ndarray, sr: int) -> np.ndarray:
    """Mean and std over the clip of the first 192 lags of the onset autocorrelation tempogram [shape=(384,)]."""
    import librosa

    y = librosa.resample(samples, orig_sr=sr, target_sr=22050) if sr != 22050 else samples
    onsets = librosa.onset.onset_strength(y=y, sr=22050, hop_length=512)
    gram = librosa.feature.tempogram(onset_envelope=onsets, sr=22050, hop_length=512, win_length=384)[:192]
    return np.concatenate([gram.mean(axis=1), gram.std(axis=1)]).astype(np.float32)


def clip_features(clips) -> dict[str, np.ndarray]:
    """Each feature block for every clip: name -> [shape=(n_clips, dims)]."""
    from audio.decode import decode_file
    from audio.mel import model_input
    from models.cnn import clip_patches
    from models.musicnn import frontend_features

    vgg = vgg_frontend()
    blocks: dict[str, list[np.ndarray]] = {"musicnn": [], "vgg": [], "tempogram": []}
    seconds = dict.fromkeys(blocks, 0.0)
    for path, _, _ in clips:
        audio = decode_file(path)  # as the product decodes: mono, 22,050 Hz
        patches = clip_patches(model_input(audio.y, sr=audio.sr), hop=94)  # every 1.5 s
        for name, front_end in (("musicnn", frontend_features), ("vgg", vgg)):
            start = time.perf_counter()
            x = front_end(patches)
            seconds[name] += time.perf_counter() - start
            blocks[name].append(np.concatenate([x.mean(axis=0), x.max(axis=0)]))
        start = time.perf_counter()
        blocks["tempogram"].append(tempogram_features(audio.y, audio.sr))
        seconds["tempogram"] += time.perf_counter() - start
    print("ms per clip (all patches): " + ", ".join(f"{k} {1000 * v / len(clips):.1f}" for k, v in seconds.items()),
          file=sys.stderr)
    return {name: np.stack(rows).astype(np.float64) for name, rows in blocks.items()}


def precision_at_5(train: np.ndarray, test: np.ndarray, y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Share of each test clip's 5 nearest training clips (cosine) with its label."""
    a = train / (np.linalg.norm(train, axis=1, keepdims=True) + 1e-12)
    b = test / (np.linalg.norm(test, axis=1, keepdims=True) + 1e-12)
    nearest = np.argsort(-(b @ a.T), axis=1)[:, :5]
    return float((y_train[nearest] == y_test[:, None]).mean())


def evaluate(blocks: list[np.ndarray], y: np.ndarray, groups: np.ndarray, seeds) -> dict[float, tuple[float, float]]:
    """C -> (accuracy, precision@5) averaged over folds and seeds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.preprocessing import StandardScaler

    scores = {c: ([], []) for c in C_GRID}
    total = sum(b.shape[1] for b in blocks)
    for seed in seeds:
        for train, test in StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(blocks[0], y, groups):
            x_train, x_test = [], []
            for block in blocks:
                scaler = StandardScaler().fit(block[train])
                weight = np.sqrt(total / (len(blocks) * block.shape[1]))
                x_train.append(scaler.transform(block[train]) * weight)
                x_test.append(scaler.transform(block[test]) * weight)
            x_train, x_test = np.hstack(x_train), np.hstack(x_test)
            for c in C_GRID:
                model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x_train, y[train])
                scores[c][0].append(float((model.predict(x_test) == y[test]).mean()))
                log_train, log_test = model.predict_log_proba(x_train), model.predict_log_proba(x_test)
                log_train -= log_train.mean(axis=1, keepdims=True)
                log_test -= log_test.mean(axis=1, keepdims=True)
                scores[c][1].append(precision_at_5(log_train, log_test, y[train], y[test]))
    return {c: (float(np.mean(a)), float(np.mean(p))) for c, (a, p) in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=FIXTURE / "labels.csv")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    if not args.labels.is_file():
        sys.exit(f"{args.labels} not found: this probe needs ../shared/fixtures/audio/audioset-electronic")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore")
    clips = labelled_clips(args.labels)
    features = clip_features(clips)
    y = np.array([label for _, label, _ in clips])
    groups = np.array([group for _, _, group in clips])
    print(f"{len(clips)} clips, fold seeds {args.seeds}\n")
    print("| features | " + " | ".join(f"C {c:g}: accuracy / P@5" for c in C_GRID) + " |")
    print("| --- |" + " --- |" * len(C_GRID))
    for name in FEATURE_SETS:
        result = evaluate([features[part] for part in name.split("+")], y, groups, args.seeds)
        print(f"| {name} | " + " | ".join(f"{a:.3f} / {p:.3f}" for a, p in result.values()) + " |", flush=True)


if __name__ == "__main__":
    main()
