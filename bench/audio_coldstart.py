"""Cold-start query latency and indexing throughput (results in bench/audio.md).

A CNN of the shipped architecture (briefly trained on synthetic clips: speed does not depend
on the weights), 100k random unit embeddings with tempo and Camelot codes, and 30-second
MP3s made by the synthesiser. Measures, after warm-up, each query's decode, analysis (log-mel,
tempo, key), sound-model embedding (model input + front end + head) and top-k one after the other,
then the whole query as it runs (embedding overlapped with the analysis), and the indexing rate
(decode + model input + embedding).

Usage: python bench/audio_coldstart.py [--queries 30] [--index-clips 60] [--n 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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

    from audio.warmup import set_numba_cache

    set_numba_cache(tmp / "cache")
    from audio.analysis import analyze
    from audio.coldstart import CAMELOT_FILE, TEMPO_FILE, analyse_and_embed, load_run
    from audio.decode import decode_file
    from audio.mel import model_input
    from audio.synth import STYLE_TEMPO, STYLES, synthesize_clip
    from models.cnn import CnnConfig, save_cnn, save_embeddings, train_cnn
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
        e = loaded.cnn.embed([model_input(y)])[0]
        t3 = time.perf_counter()
        loaded.index.similar(e, 10, NeighbourFilters(bpm=a.tempo, camelot=a.key.camelot) if i % 2 else None)
        t4 = time.perf_counter()
        # The same query as it runs (`cold_start_neighbours`): the sound model in a second thread beside
        # tempo and key; measured right after the sequential one, so both see the same machine load.
        a, e = analyse_and_embed(decode_file(path).y, loaded.cnn)
        loaded.index.similar(e, 10, NeighbourFilters(bpm=a.tempo, camelot=a.key.camelot) if i % 2 else None)
        t5 = time.perf_counter()
        for key, value in zip(parts, (t1 - t, t2 - t1, t3 - t2, t4 - t3, t4 - t, t5 - t4), strict=True):
            parts[key].append(1000 * value)
    for key, values in parts.items():
        print(f"{key:>10}: p50 {np.percentile(values, 50):6.1f} ms   p90 {np.percentile(values, 90):6.1f} ms")

    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:  # as `python cli.py embed` does
        inputs = list(pool.map(lambda p: model_input(decode_file(p).y), clips[: args.index_clips]))
    t_mel = time.perf_counter() - start
    loaded.cnn.embed(inputs)
    total = time.perf_counter() - start
    print(f"indexing {args.index_clips} 30-s MP3s: {args.index_clips / total:.1f} clips/s "
          f"(decode+model input {args.index_clips / t_mel:.1f} clips/s, model {args.index_clips / (total - t_mel):.1f} clips/s)")


if __name__ == "__main__":
    main()
