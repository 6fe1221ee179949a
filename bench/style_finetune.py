"""Fine-tuning musicnn's mid-end on the style labels: does it lift `evaluate-audio` on real clips?

    python bench/style_finetune.py --lr-mid 0 1e-4 1e-3 --seeds 0 1 2 --out /tmp/finetune.json

The five big pooled convolutions stay frozen: their output (the mid-end's input, 561 channels per frame) is
computed once per patch and cached. The three 1-D mid-end convolutions (7 frames, 64 channels, the last two
residual) and their folded batch norms become trainable variables initialised from the MSD_musicnn checkpoint;
the same max+mean pooling gives the 1,506 features, and the product's head (`models.cnn.build_head`) sits on
top. Per fold, on the training clips only: Adam at `--lr-mid` for the mid-end and the head's own 1e-3, 30
epochs, the head's L2 / dropout / class weights. `--lr-mid 0` is the control: the same pipeline with the
mid-end frozen, so the paired difference is that of fine-tuning alone.

Training patches (what `training_features` gives the shipped head, with fresh crops every epoch): each
training clip and one copy of it at a random gain in ±6 dB (fixed per clip, as the shipped copy is); patches
are cached every 31 frames (0.5 s), and every epoch takes every third one from a random start (0, 31 or 62
frames) plus the patch ending at the clip's end, i.e. the shipped 1.5-s hop at a random offset.
Scoring as `audio.evaluate.evaluate_cnn`: 5 folds grouped by YouTube id, 3 evenly spread patches per clip,
accuracy and macro-F1 of the averaged probabilities, precision@5 of the embedding (penultimate layer,
L2-normalised per patch, averaged) of test clips against training clips.

`--temporal 4` (or 3, 2) also fine-tunes the last (or last two, all three) temporal convolutions at --lr-mid;
they then run on the cached model input every step (~0.5 s a batch of 32 for the 32-frame one alone on this
2-core machine, ~1.2 s for all three: 7-20 minutes a fold), the other convolutions stay cached.
Front maps are cached in float16 (features within 2e-4 relative norm of `models.musicnn.frontend_features`).
Copy this file elsewhere before editing it during a run: tf.function re-reads the source when it traces.

Result (2026-11-24 20:23-21:27, 97 AudioSet clips, fold seeds 0/1/2, load ~3-6 with other jobs), accuracy /
precision@5 means: shipped `evaluate_cnn` 0.591 / 0.566; this pipeline frozen (--lr-mid 0) 0.602 / 0.569;
mid-end fine-tuned at 1e-4 0.564 / 0.560, at 1e-3 0.551 / 0.579; + the 32-frame temporal convolution at
1e-4 (seed 0 only) 0.567 / 0.537 against the frozen 0.609 / 0.572. Paired per fold against the frozen control:
-0.04 accuracy at 1e-4 (sd 0.07, 15 folds), -0.05 at 1e-3; the training loss falls from ~0.36 to ~0.13, so
the extra freedom fits the ~78 training clips, not the styles. No gain: not shipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import warnings  # noqa: E402

import numpy as np  # noqa: E402

from audio.evaluate import grouped_folds, load_clips, precision_at_k, read_labels  # noqa: E402
from audio.params import MODEL_N_MELS, PATCH_FRAMES  # noqa: E402
from models import musicnn  # noqa: E402
from models.cnn import EMBED_PATCHES, CnnConfig, build_head, clip_patches, with_gain  # noqa: E402
from models.tensorflow_import import tensorflow  # noqa: E402

LABELS = Path(__file__).resolve().parent.parent.parent / "shared/fixtures/audio/audioset-electronic/labels.csv"
GRID = PATCH_FRAMES // 6  # 31 frames (0.5 s) between cached training patches
STRIDE = 3  # every epoch takes every third cached patch: the shipped 1.5-s hop (93 frames)


def build_front(weights: dict, dtype: str, n_convs: int = 5):
    """tf.function: patches [shape=(n, PATCH_FRAMES, MODEL_N_MELS)] -> the pooled convolutions' outputs
    [shape=(n, PATCH_FRAMES, 561)], as in `models.musicnn.build_frontend` (the mid-end's input); n_convs 2:
    the two timbral ones only [shape=(n, PATCH_FRAMES, 408)]."""
    tf = tensorflow()
    pooled = [musicnn._pooled_conv(*weights[f"conv{i}"], *weights[f"bn{i + 1}"], dtype) for i in range(n_convs)]
    in_scale, in_offset = weights["bn0"]

    @tf.function(input_signature=[tf.TensorSpec([None, None, MODEL_N_MELS], tf.float32)])
    def front(patches):
        x = tf.cast(patches[..., None] * in_scale + in_offset, dtype)
        padded = tf.pad(x, musicnn._TIME_PAD)
        return tf.concat([conv(padded, "VALID") for conv in pooled[:2]] + [conv(x, "SAME") for conv in pooled[2:]],
                         axis=2)

    return front


def front_maps(front, patches: np.ndarray, batch: int = 64) -> np.ndarray:
    tf = tensorflow()
    return np.concatenate([front(tf.constant(patches[i : i + batch])).numpy().astype(np.float16)
                           for i in range(0, len(patches), batch)])


def grid_patches(spec: np.ndarray) -> np.ndarray:
    """Patches every GRID frames plus the one ending at the clip's end -> [shape=(n, PATCH_FRAMES, MODEL_N_MELS)]."""
    return clip_patches(spec, hop=GRID)


class Temporal:
    """musicnn's temporal convolutions `first`..4 (128/64/32 x 1 frames, 51 filters each, max over frequency)
    as trainable variables: patches (n, t, 96) -> (n, t, 51 * (5 - first)). The batch norm's sign is folded
    into the kernel as in `models.musicnn._pooled_conv` (fixed at its initial value, so the max over
    frequency stays a max)."""

    def __init__(self, weights: dict, first: int = 2):
        import keras

        self.in_scale, self.in_offset = weights["bn0"]
        self.variables, self.layers = [], []
        for i in range(first, 5):
            kernel, bias = weights[f"conv{i}"]
            scale, offset = weights[f"bn{i + 1}"]
            sign = np.where(scale >= 0, 1.0, -1.0).astype(np.float32)
            k = keras.Variable(kernel * sign, name=f"temporal{i}_kernel")
            b, s, o = (keras.Variable(v, name=f"temporal{i}_{n}") for v, n in ((bias, "bias"), (scale, "scale"),
                                                                              (offset, "offset")))
            self.layers.append((k, b, s, o, sign))
            self.variables += [k, b, s, o]

    def __call__(self, patches):
        tf = tensorflow()
        x = patches[..., None] * self.in_scale + self.in_offset
        outs = []
        for k, b, s, o, sign in self.layers:
            pooled = tf.reduce_max(tf.nn.conv2d(x, k.value, 1, "SAME"), axis=2)
            outs.append(tf.nn.relu(pooled * sign + b.value) * s.value + o.value)
        return tf.concat(outs, axis=2)


class MidEnd:
    """musicnn's mid-end as trainable variables: front maps (n, t, 561) -> pooled features (n, 1506)."""

    def __init__(self, weights: dict):
        import keras

        self.variables = []
        self.layers = []
        for i in range(5, 8):
            kernel, bias = weights[f"conv{i}"]
            scale, offset = weights[f"bn{i + 1}"]
            k = keras.Variable(kernel[:, :, 0, :], name=f"mid{i}_kernel")  # (7, in, 64) for conv1d
            b, s, o = (keras.Variable(v, name=f"mid{i}_{n}") for v, n in ((bias, "bias"), (scale, "scale"),
                                                                         (offset, "offset")))
            self.layers.append((k, b, s, o))
            self.variables += [k, b, s, o]

    def __call__(self, front):
        tf = tensorflow()
        outs, x = [], front
        for j, (k, b, s, o) in enumerate(self.layers):
            y = tf.nn.relu(tf.nn.conv1d(x, k.value, 1, "SAME") + b.value) * s.value + o.value
            x = y if j == 0 else y + x
            outs.append(x)
        features = tf.concat([front, *outs], axis=2)  # (n, t, 753)
        pooled = tf.stack([tf.reduce_max(features, axis=1), tf.reduce_mean(features, axis=1)], axis=2)
        return tf.reshape(pooled, [-1, musicnn.FEATURE_DIM])  # interleaved max/mean per channel, as the shipped


class Cache:
    """Front maps of every clip: training grid patches of the clip and its gain copy, and the embed patches."""

    def __init__(self, inputs: list[np.ndarray], front, seed: int = 0, keep_patches: bool = False):
        rng = np.random.default_rng(seed)
        self.train, self.embed, self.train_patches, self.embed_patches = [], [], [], []
        for spec in inputs:
            copy = with_gain(spec, float(rng.uniform(-6.0, 6.0)))
            grids = [grid_patches(v) for v in (spec, copy)]
            embed = clip_patches(spec, max_patches=EMBED_PATCHES)
            self.train.append(np.stack([front_maps(front, g) for g in grids]))
            self.embed.append(front_maps(front, embed))
            if keep_patches:  # the model input too, for the temporal convolutions
                self.train_patches.append(np.stack(grids))
                self.embed_patches.append(embed)

    def epoch_patches(self, clips: np.ndarray, rng: np.random.Generator) -> tuple[list[tuple], np.ndarray]:
        """(clip, variant, grid index) of one epoch's patches, and the clip of each."""
        picks = []
        for c in clips:
            n = self.train[c].shape[1]
            for v in range(2):
                start = int(rng.integers(0, STRIDE))
                idx = list(range(start, n - 1, STRIDE)) + [n - 1]  # the last cached patch ends at the clip's end
                picks += [(c, v, i) for i in dict.fromkeys(idx)]
        return picks, np.array([p[0] for p in picks])

    def gather(self, picks) -> tuple[np.ndarray, np.ndarray | None]:
        maps = np.stack([self.train[c][v, i] for c, v, i in picks]).astype(np.float32)
        if not self.train_patches:
            return maps, None
        return maps, np.stack([self.train_patches[c][v, i] for c, v, i in picks])


def run_fold(cache: Cache, y_all: np.ndarray, classes: list[str], train: np.ndarray, test: np.ndarray,
             weights: dict, lr_mid: float, config: CnnConfig, epochs: int, temporal: int = 5) -> dict:
    import keras
    tf = tensorflow()
    from sklearn.metrics import accuracy_score, f1_score

    mid, tempo_first = MidEnd(weights), temporal
    tempo = Temporal(weights, temporal) if temporal < 5 else None
    temporal = temporal < 5
    tuned = mid.variables + (tempo.variables if temporal else [])

    def features(maps, patches):
        return mid(tf.concat([maps, tempo(patches)], axis=2) if temporal else maps)

    pooled = tf.function(features, reduce_retracing=True)

    def features_of(maps: np.ndarray, patches: np.ndarray | None, batch: int = 64) -> np.ndarray:
        return np.concatenate([pooled(tf.constant(maps[i : i + batch], tf.float32),
                                      None if patches is None else tf.constant(patches[i : i + batch]))
                               .numpy() for i in range(0, len(maps), batch)])

    def flat(arrays):
        return np.concatenate([a.reshape(-1, *a.shape[2:]) for a in arrays])

    # head standardisation from the initial features of every cached training patch of the training clips
    init = features_of(flat([cache.train[c] for c in train]),
                       flat([cache.train_patches[c] for c in train]) if temporal else None)
    std = init.std(axis=0)
    head = build_head(len(classes), init.mean(axis=0), np.where(std > 1e-6, std, 1.0), config=config)
    extractor = keras.Model(head.inputs, head.get_layer("embedding").output)
    head_opt = keras.optimizers.Adam(config.learning_rate)
    mid_opt = keras.optimizers.Adam(lr_mid) if lr_mid > 0 else None
    ce = keras.losses.SparseCategoricalCrossentropy()
    train_mid = lr_mid > 0

    @tf.function(reduce_retracing=True)
    def step(maps, patches, y, w):
        with tf.GradientTape() as tape:
            feats = features(maps, patches)
            feats = feats if train_mid else tf.stop_gradient(feats)
            probs = head(feats, training=True)["style"]
            loss = ce(y, probs, sample_weight=w) + tf.add_n(head.losses)
        variables = head.trainable_variables + (tuned if train_mid else [])
        grads = tape.gradient(loss, variables)
        head_opt.apply(grads[: len(head.trainable_variables)], head.trainable_variables)
        if train_mid:
            mid_opt.apply(grads[len(head.trainable_variables):], tuned)
        return loss

    rng = np.random.default_rng(config.seed)
    history = []
    for _ in range(epochs):
        picks, owner = cache.epoch_patches(train, rng)
        y = y_all[owner]
        counts = np.bincount(y, minlength=len(classes)).astype(np.float32)
        w = (len(y) / (len(classes) * np.maximum(counts, 1)))[y].astype(np.float32)
        order = rng.permutation(len(picks))
        total = 0.0
        for s in range(0, len(order), config.batch_size):
            b = order[s : s + config.batch_size]
            maps, patches = cache.gather([picks[i] for i in b])
            patches = None if patches is None else tf.constant(patches)
            total += float(step(tf.constant(maps), patches, tf.constant(y[b]), tf.constant(w[b]))) * len(b)
        history.append(total / len(order))

    def clip_outputs(clips: np.ndarray):
        maps = np.concatenate([cache.embed[c] for c in clips]).astype(np.float32)
        owner = np.repeat(np.arange(len(clips)), [len(cache.embed[c]) for c in clips])
        feats = features_of(maps, np.concatenate([cache.embed_patches[c] for c in clips]) if temporal else None)
        probs = np.array(head(feats, training=False)["style"])
        emb = np.array(extractor(feats, training=False))
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
        p, e = np.zeros((len(clips), probs.shape[1])), np.zeros((len(clips), emb.shape[1]))
        np.add.at(p, owner, probs)
        np.add.at(e, owner, emb)
        return p, e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-9)

    probs, test_emb = clip_outputs(test)
    _, train_emb = clip_outputs(train)
    labels = np.array(classes)[y_all]
    predicted = np.array(classes)[probs.argmax(axis=1)]
    start = MidEnd(weights).variables + (Temporal(weights, tempo_first).variables if temporal else [])
    drift = float(np.sqrt(sum(float(tf.reduce_sum(tf.square(v.value - w0.value)))
                              for v, w0 in zip(tuned, start, strict=True))))
    return {"accuracy": float(accuracy_score(labels[test], predicted)),
            "macro_f1": float(f1_score(labels[test], predicted, average="macro")),
            "precision_at_5": precision_at_k(test_emb, labels[test], train_emb, labels[train]),
            "final_loss": history[-1], "mid_drift": drift}


def main(argv=None) -> None:
    warnings.filterwarnings("ignore", message="The structure of `inputs`")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--lr-mid", type=float, nargs="+", default=[0.0, 1e-4, 1e-3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--temporal", type=int, choices=(2, 3, 4, 5), default=5,
                        help="also fine-tune the temporal convolutions from this one on (2: all three, "
                             "4: the 32-frame one; 5: none) at --lr-mid")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    rows = read_labels(args.labels, label_col="single_genre_v2", group_col="youtube_id")
    clips = load_clips(rows)
    weights = musicnn.read_weights(musicnn.checkpoint_dir())
    front = build_front(weights, musicnn.default_dtype(), n_convs=args.temporal)
    cache = Cache(clips.inputs, front, keep_patches=args.temporal < 5)
    print(f"{len(clips.labels)} clips, front maps cached in {time.perf_counter() - t0:.0f} s", flush=True)

    classes = sorted(set(clips.labels.tolist()))
    y_all = np.array([classes.index(label) for label in clips.labels])
    config = CnnConfig()
    results = []
    for seed in args.seeds:
        fold_of = grouped_folds(clips.labels, clips.groups, args.folds, seed=seed)
        for lr_mid in args.lr_mid:
            start = time.perf_counter()
            folds = []
            for k in range(args.folds):
                train, test = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
                folds.append(run_fold(cache, y_all, classes, train, test, weights, lr_mid, config, args.epochs,
                                      args.temporal))
                print(f"  fold {k}: acc {folds[-1]['accuracy']:.3f} P@5 {folds[-1]['precision_at_5']:.3f} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
            row = {"seed": seed, "lr_mid": lr_mid, "temporal": args.temporal,
                   "seconds": time.perf_counter() - start, "folds": folds,
                   **{key: float(np.mean([f[key] for f in folds]))
                      for key in ("accuracy", "macro_f1", "precision_at_5")}}
            results.append(row)
            tuned = f" +temporal from conv{args.temporal}" if args.temporal < 5 else ""
            print(f"seed {seed} lr_mid {lr_mid:g}{tuned}: acc {row['accuracy']:.3f} F1 {row['macro_f1']:.3f} "
                  f"P@5 {row['precision_at_5']:.3f} ({row['seconds']:.0f} s; per fold acc "
                  + " ".join(f"{f['accuracy']:.2f}" for f in folds) + "; drift "
                  + " ".join(f"{f['mid_drift']:.2f}" for f in folds) + ")", flush=True)
            if args.out:
                args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
