"""Speed of the model pipeline on a synthetic catalog of a chosen size.

    .venv/bin/python bench/models_speed.py --sets 30000 --tracks 150000 --plays-per-set 16

Writes a synthetic catalog (Zipf-popular tracks in scenes, artists with several tracks, ordered
sets) into a temporary data folder, then measures: building the play matrix from the catalog
(one SQL read + CSR), `train_als` against raw `implicit` on the same weighted matrix, fitting
the default hybrid, and `Recommender.similar` for one seed (p50/p95, with and without evidence).
Prints a markdown table. MixesDB's size is --sets 300000 --tracks 1500000 (4.7M plays).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.db import connect  # noqa: E402
from config import load_settings  # noqa: E402


def write_catalog(path: Path, *, sets: int, tracks: int, plays_per_set: int, seed: int = 0) -> int:
    """A synthetic catalog straight through SQL (the import path is benchmarked elsewhere)."""
    rng = np.random.default_rng(seed)
    conn = connect(path)
    n_scenes = 12
    n_artists = max(tracks // 4, 1)
    scene_of_track = rng.integers(0, n_scenes, tracks)
    artist_of_track = rng.integers(0, n_artists, tracks)
    by_scene = [np.flatnonzero(scene_of_track == s) for s in range(n_scenes)]
    weights = [1.0 / np.arange(1, len(ids) + 1) ** 0.9 for ids in by_scene]
    weights = [w / w.sum() for w in weights]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO tracks (id, key, artist, artists, title) VALUES (?, ?, ?, ?, ?)",
        (
            (
                i + 1,
                f"artist {artist_of_track[i]} - track {i}",
                f"Artist {artist_of_track[i]}",
                json.dumps([f"Artist {artist_of_track[i]}"]),
                f"Track {i}",
            )
            for i in range(tracks)
        ),
    )
    conn.executemany(
        "INSERT INTO sets (id, source, source_key, title, djs) VALUES (?, 'bench', ?, ?, ?)",
        ((s + 1, f"set-{s}", f"Set {s}", json.dumps([f"DJ {s % max(sets // 8, 1)}"])) for s in range(sets)),
    )
    n_plays = 0

    def plays():
        nonlocal n_plays
        for s in range(sets):
            scene = s % n_scenes
            length = max(3, int(rng.normal(plays_per_set, 4)))
            picked = rng.choice(
                by_scene[scene], size=min(length, len(by_scene[scene])), replace=False, p=weights[scene]
            )
            for position, track in enumerate(picked, 1):
                n_plays += 1
                yield s + 1, position, int(track) + 1

    conn.executemany("INSERT INTO plays (set_id, position, track_id) VALUES (?, ?, ?)", plays())
    conn.execute("COMMIT")
    conn.close()
    return n_plays


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def percentile(values, q):
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=30_000)
    parser.add_argument("--tracks", type=int, default=150_000)
    parser.add_argument("--plays-per-set", type=int, default=16)
    parser.add_argument("--factors", type=int, default=128)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data-dir", help="keep the synthetic catalog here (default: a temporary folder)")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from models.als import AlsParams, train_als
    from models.artifacts import publish
    from models.matrix import catalog_matrix
    from models.pipeline import train_run
    from models.recommender import Recommender
    from models.weighting import weight

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="cd-bench-"))
    settings = load_settings(
        environ={"CRATEDIGGER_DATA_DIR": str(data_dir)}, dotenv_path=data_dir / "none.env"
    )
    rows = []
    if not settings.catalog_path.exists():
        n_plays, seconds = timed(
            write_catalog,
            settings.catalog_path,
            sets=args.sets,
            tracks=args.tracks,
            plays_per_set=args.plays_per_set,
        )
        print(f"wrote {n_plays} plays in {seconds:.1f}s to {settings.catalog_path}", file=sys.stderr)

    conn = connect(settings.catalog_path, readonly=True)
    best = float("inf")
    for _ in range(3):
        (matrix, plays), seconds = timed(catalog_matrix, conn)
        best = min(best, seconds)
    conn.close()
    rows.append(
        (
            "matrix from the catalog (best of 3)",
            f"{best:.2f} s",
            f"{matrix.shape[0]} sets × {matrix.shape[1]} tracks, {len(plays)} plays",
        )
    )

    params = AlsParams(factors=args.factors, iterations=15, regularization=0.05, alpha=5.0, weighting="bm25")
    ours, raw = [], []
    for _ in range(3):  # interleaved, best of 3: the first fit of a process pays for warming up
        ours.append(timed(train_als, matrix.matrix, params)[1])
        weighted = weight(matrix.matrix, "bm25")

        def raw_implicit():
            from implicit.cpu.als import AlternatingLeastSquares

            with threadpool_limits(1, "blas"):
                model = AlternatingLeastSquares(
                    factors=params.factors,
                    regularization=params.regularization,
                    alpha=params.alpha,
                    iterations=params.iterations,
                    random_state=0,
                )
                model.fit(weighted, show_progress=False)  # noqa: B023 - called within this iteration

        raw.append(timed(raw_implicit)[1])
    rows.append(
        (
            "train_als (BM25 weighting included)",
            f"{min(ours):.2f} s",
            f"{args.factors} factors, 15 iterations",
        )
    )
    rows.append(
        ("raw implicit fit, same weighted matrix", f"{min(raw):.2f} s", f"ratio {min(ours) / min(raw):.2f}")
    )

    run, seconds = timed(train_run, settings, als=params)
    rows.append(
        (
            "default model: matrix + fit + write run",
            f"{seconds:.2f} s",
            f"ALS {run.metadata['timings']['train_seconds']:.1f} s of it",
        )
    )
    publish(settings.models_dir, run)
    recommender, seconds = timed(Recommender.from_current, settings)
    rows.append(("load the published run", f"{seconds:.2f} s", ""))

    rng = np.random.default_rng(1)
    popularity = np.asarray((matrix.matrix > 0).sum(axis=0)).ravel()
    candidates = matrix.track_ids[popularity >= 2]
    queries = rng.choice(candidates, size=min(args.queries, len(candidates)), replace=False)
    for explain in (False, True):
        times = [timed(recommender.similar, [int(q)], 20, explain=explain)[1] for q in queries]
        rows.append(
            (
                f"similar, one seed, n=20{' + evidence' if explain else ''}",
                f"p50 {percentile(times, 50):.1f} ms / p95 {percentile(times, 95):.1f} ms",
                f"{len(times)} queries",
            )
        )

    print("| step | time | notes |\n| --- | --- | --- |")
    for step, figure, notes in rows:
        print(f"| {step} | {figure} | {notes} |")


if __name__ == "__main__":
    main()
