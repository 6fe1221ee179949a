"""ALS training and the full retrain: ours (`models.pipeline.retrain`) vs raw `implicit` on the same matrix.

`retrain` is what `python cli.py retrain` runs: load the catalog, split, tune the default hybrid's blend
on a validation split, evaluate it on a sample of the test sets, train it on everything, write and
publish the run. Its ALS step (`models.weighting.weight` + `models.als.fit_supported`, as the hybrid
calls it on the whole catalog) is timed on its own, right after raw
`implicit.als.AlternatingLeastSquares(...).fit()` on the identical matrix (play counts weighted by BM25,
K1=100, B=0.8 — on the raw side with `implicit.nearest_neighbours.bm25_weight` — and, at this size,
only the columns of tracks in ≥ `min_sets` sets, selected with scipy on the raw side) with the same
parameters (the default model's, `models.pipeline.als_for_size` for this catalog), BLAS limited to one
thread with threadpoolctl, implicit's OpenMP on every core. The run is published for the query and
dashboard benchmarks. Targets (issue 8): ALS ≤ 1.1× raw, full retrain ≤ 2 minutes at full scale.

Inside the retrain the final fit runs in a thread beside the evaluation, so the step is timed
outside it, where CPU time belongs to it alone. The ratio is taken on **CPU time** (`time.process_time`, all threads of this process, implicit's
OpenMP included): on a machine shared with other jobs the wall time of two trainings run one after
the other drifts with the neighbours' load (a first full-scale run measured raw 461 s and ours 208 s
wall, 0.45×, as the load average fell from 9 to 5), while CPU time barely does. Wall times go in the note.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scale_common import Figure, ScaleContext

RATIO_TARGET = 1.1
RETRAIN_TARGET = 120.0


def default_params(size: int):
    """The ALS settings the default model trains with on a matrix of `size` sets + tracks."""
    from models.hybrid import HybridParams
    from models.pipeline import als_for_size

    return als_for_size(HybridParams().als, size)


def raw_fit(counts, params) -> tuple[float, float]:
    """(wall s, CPU s) of raw implicit's weighting + `fit` on `counts`, weighted as ours weights them."""
    import implicit.als
    from implicit.nearest_neighbours import bm25_weight
    from threadpoolctl import threadpool_limits

    weighting = getattr(params, "weighting", "bm25")
    start, cpu = time.perf_counter(), time.process_time()
    if weighting == "bm25":
        weighted = bm25_weight(counts, K1=100, B=0.8).tocsr().astype(np.float32)
    elif weighting == "binary":
        weighted = counts.copy()
        weighted.data[:] = 1.0
    else:
        weighted = counts.copy()
        weighted.data = (1.0 + params.alpha * np.log1p(weighted.data)).astype(np.float32)
    if getattr(params, "min_sets", 1) > 1:  # the same columns ours factorises: tracks in ≥ min_sets sets
        weighted = weighted[:, np.bincount(counts.indices, minlength=counts.shape[1]) >= params.min_sets]
    with threadpool_limits(1, "blas"):
        model = implicit.als.AlternatingLeastSquares(
            factors=params.factors, regularization=params.regularization, alpha=params.alpha,
            iterations=params.iterations, random_state=params.random_state, use_gpu=False)
        model.fit(weighted, show_progress=False)
    return time.perf_counter() - start, time.process_time() - cpu


def ours_fit(counts, params) -> tuple[float, float]:
    """(wall s, CPU s) of our ALS step on `counts`: the hybrid's weighting + `fit_supported`."""
    from threadpoolctl import threadpool_limits

    from models.als import fit_supported
    from models.weighting import weight

    start, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(1, "blas"):
        fit_supported(weight(counts, params.weighting), params)
    return time.perf_counter() - start, time.process_time() - cpu


def run(ctx: ScaleContext) -> list[Figure]:
    from scale_matrix import raw_matrix

    import models.pipeline as pipeline
    from models.memory import reuse_freed_memory

    reuse_freed_memory()  # as `python cli.py retrain` does
    settings = ctx.settings()
    counts = raw_matrix(ctx.catalog_path)
    params = default_params(sum(counts.shape))
    raw_wall, raw_cpu = raw_fit(counts, params)
    ours_wall, ours_cpu = ours_fit(counts, params)
    del counts
    start = time.perf_counter()
    run_, published, report = pipeline.retrain(settings, force=True)
    retrain = time.perf_counter() - start
    ctx.extra["run_id"] = run_.run_id
    trained = run_.metadata["parameters"]["hybrid"]["als"]
    if (trained["factors"], trained["iterations"], trained.get("min_sets", 1)) != (
            params.factors, params.iterations, params.min_sets):
        raise RuntimeError(f"the retrain trained ALS with {trained}, the raw side with {params}")
    note = (f"{params.factors} factors, {params.iterations} iterations, {params.weighting}, tracks in ≥ "
            f"{params.min_sets} sets; on the whole "
            f"catalog, one after the other; wall ours {ours_wall:.0f} s, raw {raw_wall:.0f} s")
    counts = report["counts"]
    return [
        Figure("ALS step, CPU time", ours_cpu, "s", raw=raw_cpu, note=note,
               target=f"≤ {RATIO_TARGET}× raw", met=ours_cpu <= RATIO_TARGET * raw_cpu),
        Figure("full retrain (`retrain`: load, split, tune, evaluate a sample, train, write, publish)", retrain, "s",
               target="≤ 120 s at full scale", met=retrain <= RETRAIN_TARGET,
               note=f"{counts['test_sets']} of {counts.get('test_sets_in_split', '?')} test sets scored"),
    ]


if __name__ == "__main__":
    import argparse

    from scale_common import context_for, print_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args()
    print_table(run(context_for(args.data_dir)))
