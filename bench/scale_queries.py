"""Query latency: `Recommender.similar` (without and with explanations) vs raw implicit `similar_items`.

One-track queries take a track drawn from random plays (so popular tracks come up as often as DJs
paste them); multi-seed queries take 5 tracks of one random set (a pasted playlist). Ours and raw
alternate query by query on the published run's item factors, so both see the same machine load.
Raw one-track: `implicit.cpu.als.AlternatingLeastSquares.similar_items(column, N=21)` on the run's
item factors. Raw multi-seed: implicit's `topk` over the sum of the seeds' unit vectors (what
`similar_items` does for one). When the run is the default hybrid model, its dense path (every
track scored by `HybridModel.scores`, then `top_k`: what `similar` did before the candidate path)
is timed in the same loop, so before → after is one side-by-side ratio. Target (issue 8):
one-track p95 ≤ 20 ms at 1.5M tracks.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import numpy as np
from scale_common import Figure, ScaleContext, percentile

TARGET_P95_MS = 20.0
N = 20
SEEDS = 5


def _sample_queries(path: Path, n: int, seed: int) -> tuple[list[int], list[list[int]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    n_plays, n_sets = conn.execute("SELECT MAX(id), MAX(set_id) FROM plays").fetchone()
    rng = random.Random(seed)
    one = [conn.execute("SELECT track_id FROM plays WHERE id = ?", (rng.randint(1, n_plays),)).fetchone()[0]
           for _ in range(n)]
    multi = []
    while len(multi) < n:
        tracks = [r[0] for r in conn.execute("SELECT track_id FROM plays WHERE set_id = ? ORDER BY position",
                                             (rng.randint(1, n_sets),))]
        if len(set(tracks)) >= SEEDS:
            multi.append(rng.sample(sorted(set(tracks)), SEEDS))
    conn.close()
    return one, multi


def _raw_model(rec):
    """implicit's CPU ALS model carrying the run's item factors, or None when the run has none."""
    from implicit.cpu.als import AlternatingLeastSquares

    if not rec.run.has("item_factors"):
        return None
    factors = np.ascontiguousarray(rec.run.array("item_factors", mmap=False), dtype=np.float32)
    model = AlternatingLeastSquares(factors=factors.shape[1])
    model.item_factors = factors
    model.user_factors = np.zeros((1, factors.shape[1]), np.float32)
    return model


def _raw_multi(model, norms, columns) -> np.ndarray:
    from implicit.cpu.topk import topk

    unit = model.item_factors[columns] / np.maximum(norms[columns], 1e-12)[:, None]
    ids, _scores = topk(model.item_factors, unit.sum(axis=0)[None, :], N + len(columns), item_norms=norms)
    return ids[0]


def _ms(values: list[float]) -> tuple[float, float, float]:
    return tuple(percentile(values, q) * 1000 for q in (50, 95, 99))


def run(ctx: ScaleContext, n_queries: int | None = None) -> list[Figure]:
    import implicit.cpu.als  # noqa: F401 - load every BLAS before limiting them to one thread
    from threadpoolctl import threadpool_limits

    from models.recommender import Recommender

    n_queries = n_queries or (100 if ctx.quick else 300)
    settings = ctx.settings()
    threadpool_limits(1, "blas")  # as the dashboard does
    start = time.perf_counter()
    rec = Recommender.from_current(settings)
    load_seconds = time.perf_counter() - start
    model = _raw_model(rec)
    one, multi = _sample_queries(ctx.catalog_path, n_queries, ctx.seed)
    times: dict[str, list[float]] = {k: [] for k in ("one", "one_explain", "one_raw", "multi", "multi_explain",
                                                     "multi_raw", "one_dense", "multi_dense")}
    dense = _dense_path(rec)
    norms = None
    if model is not None:
        model.similar_items(int(rec.columns([one[0]])[0]), N=N + 1)  # warm: norms, caches
        norms = np.linalg.norm(model.item_factors, axis=1)
    rec.similar([one[0]], n=N)
    proven, restore = _count_candidate_answers()
    try:
        _time_queries(rec, model, norms, dense, one, multi, times)
    finally:
        restore()
    figures = [Figure("model load (Recommender.from_current)", load_seconds, "s", note=_blend_note(rec))]
    if proven["calls"]:
        figures.append(Figure("queries the candidate path proved (the rest scored every track)",
                              100 * proven["answered"] / proven["calls"], "%",
                              note=f"{proven['answered']} of {proven['calls']} `candidate_top` calls"))
    labels = {"one": "one-track query, no explanation", "one_explain": "one-track query, explained",
              "multi": f"{SEEDS}-seed query, no explanation", "multi_explain": f"{SEEDS}-seed query, explained"}
    for key, label in labels.items():
        raw_key = "one_raw" if key.startswith("one") else "multi_raw"
        ours = _ms(times[key])
        raw = _ms(times[raw_key]) if times[raw_key] else (None, None, None)
        for q, o, r in zip((50, 95, 99), ours, raw, strict=True):
            target, met = "", None
            if key == "one" and q == 95:
                target, met = f"≤ {TARGET_P95_MS:.0f} ms", o <= TARGET_P95_MS
            figures.append(Figure(f"{label} p{q}", o, "ms", raw=r, target=target, met=met,
                                  note=f"n={len(times[key])}, top {N}"))
    for key in ("one", "multi"):
        if times[f"{key}_dense"]:
            ours, before = _ms(times[key]), _ms(times[f"{key}_dense"])
            for q, o, b in zip((50, 95, 99), ours, before, strict=True):
                figures.append(Figure(f"{labels[key]} p{q}: candidate path vs dense path (raw column)", o, "ms",
                                      raw=b, note=f"n={len(times[key])}, top {N}, same run"))
    return figures


def _time_queries(rec, model, norms, dense, one, multi, times: dict) -> None:
    """Time every query kind for each sampled track and set, into `times` (seconds)."""
    for track, seeds in zip(one, multi, strict=True):
        column = int(rec.columns([track])[0])
        for key, query, explain in (("one", [track], False), ("one_explain", [track], True),
                                    ("multi", seeds, False), ("multi_explain", seeds, True)):
            t0 = time.perf_counter()
            rec.similar(query, n=N, explain=explain)
            times[key].append(time.perf_counter() - t0)
            if dense is not None and not explain:
                t0 = time.perf_counter()
                dense(query)
                times[f"{key}_dense"].append(time.perf_counter() - t0)
        if model is not None:
            t0 = time.perf_counter()
            model.similar_items(column, N=N + 1)
            times["one_raw"].append(time.perf_counter() - t0)
            columns = rec.columns(seeds)
            t0 = time.perf_counter()
            _raw_multi(model, norms, columns)
            times["multi_raw"].append(time.perf_counter() - t0)


def _blend_note(rec) -> str:
    """Which weight set the run blends a query of n seeds with (the default engine only)."""
    params = getattr(getattr(rec.engine, "model", None), "params", None)
    if params is None or not getattr(params, "few_seeds", 0):
        return "one weight set for every query"
    few = "one-seed queries use" if params.few_seeds == 1 else f"queries of 1-{params.few_seeds} seeds use"
    return f"{few} the few-seed weights, larger ones the many-seed weights"


def _count_candidate_answers() -> tuple[dict, object]:
    """Count `models.candidates.candidate_top` calls and the answers it proved (not None) until `restore()`."""
    import models.candidates as candidates

    counts = {"calls": 0, "answered": 0}
    original = candidates.candidate_top

    def counted(*args, **kwargs):
        found = original(*args, **kwargs)
        counts["calls"] += 1
        counts["answered"] += found is not None
        return found

    candidates.candidate_top = counted

    def restore() -> None:
        candidates.candidate_top = original

    return counts, restore


def _dense_path(rec):
    """The hybrid model's dense top-N for a query (every track scored), or None for other engines."""
    model = getattr(rec.engine, "model", None)
    if model is None:
        return None
    from models.topk import top_k

    def answer(track_ids):
        columns = rec.columns(track_ids)
        return top_k(rec.engine.scores(columns), N, exclude=columns)

    return answer


if __name__ == "__main__":
    import argparse

    from scale_common import context_for, print_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--queries", type=int, default=None)
    args = parser.parse_args()
    print_table(run(context_for(args.data_dir), args.queries))
