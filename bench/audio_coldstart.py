"""Cold-start query latency and indexing throughput (results in bench/audio.md).

A CNN of the shipped architecture (briefly trained on synthetic clips: speed does not depend
on the weights), 100k random unit embeddings with tempo and Camelot codes, and 30-second
MP3s made by the synthesiser. Measures, after warm-up, each query's decode, analysis (log-mel,
tempo, key), sound-model embedding (model input + front end + head) and top-k one after the other,
then the whole query as it runs (embedding overlapped with the analysis), and the indexing rate
(decode + model input + embedding). Side by side, query by query, each step against the raw library
doing the same work: an `ffmpeg` subprocess decoding to float32, librosa's resample + melspectrogram,
the front end + Keras `predict` on the same patches, and numpy's matrix product + argpartition.

Usage: python bench/audio_coldstart.py [--queries 30] [--index-clips 60] [--n 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _mp3(path: Path, y: np.ndarray) -> Path:
    raw = path.with_suffix(".raw")
    raw.write_bytes(y.astype("<f4").tobytes())
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", "22050", "-ac", "1", "-i", str(raw),
                    "-b:a", "192k", str(path)], check=True)
    raw.unlink()
    return path


FRESH_PROCESS = """
import sys, time
t0 = time.perf_counter()
from audio.warmup import start_warm_up
thread = start_warm_up(sys.argv[1], sys.argv[2])
thread.join()
t1 = time.perf_counter()
from audio.coldstart import cold_start_neighbours
cold_start_neighbours(sys.argv[3], sys.argv[2], k=10)
t2 = time.perf_counter()
print(f"fresh process: background warm-up done {t1 - t0:.1f} s after start; first query then {1000 * (t2 - t1):.0f} ms")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--index-clips", type=int, default=60)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cd-bench-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # ~65 MB of MP3s and embeddings per run


def run(args, tmp: Path) -> None:
    """Every measurement, with the clips, the run folder and numba's cache under `tmp`."""
    from audio.warmup import set_numba_cache

    set_numba_cache(tmp / "cache")
    from audio.analysis import analyze
    from audio.coldstart import CAMELOT_FILE, TEMPO_FILE, analyse_and_embed, load_run
    from audio.decode import decode_file
    from audio.mel import model_input
    from audio.synth import STYLE_TEMPO, STYLES, synthesize_clip
    from models.cnn import CnnConfig, load_cnn, save_cnn, save_embeddings, train_cnn
    from models.embeddings import NeighbourFilters

    rng = np.random.default_rng(0)
    clips = []
    for i in range(max(args.queries, args.index_clips)):
        style = STYLES[i % len(STYLES)]
        bpm = float(rng.uniform(*STYLE_TEMPO[style]))
        clips.append(_mp3(tmp / f"q{i}.mp3", synthesize_clip(style, bpm, "A minor", seed=i, seconds=30.0)))
    train_inputs = [model_input(synthesize_clip(STYLES[i % 6], 128.0, "A minor", seed=i, seconds=8.0))
                    for i in range(12)]
    run = tmp / "run"
    save_cnn(train_cnn(train_inputs, [STYLES[i % 6] for i in range(12)], config=CnnConfig(epochs=1)), run)
    emb = rng.normal(size=(args.n, 64)).astype(np.float32)
    save_embeddings(run, emb / np.linalg.norm(emb, axis=1, keepdims=True), np.arange(args.n))
    np.save(run / TEMPO_FILE, rng.uniform(118, 176, args.n))
    np.save(run / CAMELOT_FILE, np.array([f"{rng.integers(1, 13)}{'AB'[rng.integers(2)]}" for _ in range(args.n)]))

    # A fresh process, as the dashboard starts: warm-up in a background thread, then the first query.
    fresh = subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(tmp / "cache"), str(run), str(clips[0])],
                           capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    print(fresh.stdout.strip())
    from audio.warmup import warm_up

    warm_up(tmp / "cache", run)
    loaded = load_run(run)
    parts = {"decode": [], "analysis": [], "embed": [], "topk": [], "total": [], "overlapped": []}
    for i, path in enumerate(clips[: args.queries]):
        t = time.perf_counter()
        y = decode_file(path).y
        t1 = time.perf_counter()
        a = analyze(y)
        t2 = time.perf_counter()
        e = loaded.sound_model.embed([model_input(y)])[0]
        t3 = time.perf_counter()
        loaded.index.similar(e, 10, NeighbourFilters(bpm=a.tempo, camelot=a.key.camelot) if i % 2 else None)
        t4 = time.perf_counter()
        # The same query as it runs (`cold_start_neighbours`): the sound model in a second thread beside
        # tempo and key; measured right after the sequential one, so both see the same machine load.
        a, e = analyse_and_embed(decode_file(path).y, loaded.sound_model)
        loaded.index.similar(e, 10, NeighbourFilters(bpm=a.tempo, camelot=a.key.camelot) if i % 2 else None)
        t5 = time.perf_counter()
        for key, value in zip(parts, (t1 - t, t2 - t1, t3 - t2, t4 - t3, t4 - t, t5 - t4), strict=True):
            parts[key].append(1000 * value)
    for key, values in parts.items():
        print(f"{key:>10}: p50 {np.percentile(values, 50):6.1f} ms   p90 {np.percentile(values, 90):6.1f} ms")

    keras_model = load_cnn(run)  # batches (indexing) run on TensorFlow; single queries in numpy
    side_by_side(clips[: args.queries], loaded, keras_model, emb)

    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:  # as `python cli.py embed` does
        inputs = list(pool.map(lambda p: model_input(decode_file(p).y), clips[: args.index_clips]))
    t_mel = time.perf_counter() - start
    keras_model.embed(inputs)
    total = time.perf_counter() - start
    print(f"indexing {args.index_clips} 30-s MP3s: {args.index_clips / total:.1f} clips/s "
          f"(decode+model input {args.index_clips / t_mel:.1f} clips/s, model {args.index_clips / (total - t_mel):.1f} clips/s)")


def _raw_decode(path: Path, sr: int = 22_050) -> np.ndarray:
    """ffmpeg alone: the whole file to mono float32 at `sr` through a pipe."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1",
                          "-ar", str(sr), "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4")


def _raw_model_input(y: np.ndarray) -> np.ndarray:
    """librosa alone: resample to 16 kHz, mel power spectrogram, musicnn's log compression."""
    import librosa

    y16 = librosa.resample(y, orig_sr=22_050, target_sr=16_000, res_type="soxr_hq")
    mel = librosa.feature.melspectrogram(y=y16, sr=16_000, n_fft=512, hop_length=256, n_mels=96)
    return np.log10(1.0 + 10_000.0 * mel).astype(np.float32)


def _timed_pair(ours, raw) -> tuple[object, float, float]:
    """Run `ours()` then `raw()`; (ours' result, ours' seconds, raw's seconds)."""
    t0 = time.perf_counter()
    result = ours()
    t1 = time.perf_counter()
    raw()
    return result, t1 - t0, time.perf_counter() - t1


def _ours_decode(path: Path) -> np.ndarray:
    from audio.decode import decode_file

    return decode_file(path).y


def _raw_sound_model(extractor, patches: np.ndarray) -> np.ndarray:
    """The front end's TensorFlow function, then Keras `predict` of the head's embedding layer."""
    from models.musicnn import frontend_features

    return extractor.predict(frontend_features(patches), verbose=0)


def _raw_top10(embeddings: np.ndarray, q: np.ndarray) -> np.ndarray:
    scores = embeddings @ q
    top = np.argpartition(-scores, 9)[:10]
    return top[np.argsort(-scores[top])]


RAW_CALLS = {
    "decode": "ffmpeg subprocess → f32le pipe",
    "model input": "librosa resample + melspectrogram",
    "sound model": "front end + Keras predict",
    "top-10 of 100k": "numpy matmul + argpartition",
}


def side_by_side(clips: list[Path], loaded, keras_model, embeddings: np.ndarray) -> None:
    """Each cold-start step, ours then the raw library's call on the same input, clip by clip (the sound model's
    raw call: TensorFlow's front end and the head's Keras `predict`)."""
    from audio.mel import model_input
    from models.cnn import EMBED_PATCHES, clip_patches

    extractor = keras_model.extractor
    times = {name: ([], []) for name in RAW_CALLS}

    def record(name, pair):
        result, ours, raw = pair
        times[name][0].append(ours)
        times[name][1].append(raw)
        return result

    for path in clips:
        y = record("decode", _timed_pair(partial(_ours_decode, path), partial(_raw_decode, path)))
        spec = record("model input", _timed_pair(partial(model_input, y), partial(_raw_model_input, y)))
        patches = clip_patches(spec, max_patches=EMBED_PATCHES)  # the patches `embed` uses
        e = record("sound model", _timed_pair(partial(loaded.sound_model.embed, [spec]),
                                              partial(_raw_sound_model, extractor, patches)))[0]
        record("top-10 of 100k", _timed_pair(partial(loaded.index.similar, e, 10),
                                             partial(_raw_top10, embeddings, e)))
    print("| step | ours p50 | raw p50 | ours ÷ raw | raw call |")
    print("| --- | --- | --- | --- | --- |")
    for name, (ours, raw) in times.items():
        o, r = 1000 * np.median(ours), 1000 * np.median(raw)
        print(f"| {name} | {o:.1f} ms | {r:.1f} ms | {o / r:.2f}× | {RAW_CALLS[name]} |")


if __name__ == "__main__":
    main()
