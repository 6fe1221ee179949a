"""Offline steps that turn the catalog into model runs: matrix → train → (evaluate) → write → publish.

- `train_run`: one run of the default hybrid model (or plain ALS with `engine="als"`).
- `retrain`: evaluate the current settings with the protocol, train on everything with the weights
  tuned there, and publish only if the new run is at least as good as the current one.
- `tune` choices are kept in `models_dir/tuned.json` and used by later runs.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from catalog.db import connect
from errors import ArtifactMissingError
from models.als import AlsParams, train_als
from models.artifacts import Run, current_run, current_run_id, publish, update_metadata, write_run
from models.dataset import Dataset, dataset_from_catalog, play_cells
from models.engines import AlsEngine, HybridEngine
from models.hybrid import HybridModel, HybridParams
from models.matrix import play_matrix

log = logging.getLogger(__name__)

TUNED = "tuned.json"
QUALITY_METRIC = "r_precision"
# Past this many sets + tracks ALS is trained smaller: in the default model it only breaks ties
# (tuned blend weight 1e-4 … 1e-2), and on the real dev sets 16 factors × 4 iterations scored like
# 128 × 15 (R-precision 0.161 vs 0.160 over 3 seeds, seed spread ±0.01; bench/models.md) for
# ~1/20 of the CPU time at MixesDB scale.
LARGE_MATRIX = 1_000_000
ALS_AT_SCALE = {"factors": 16, "iterations": 4}  # at most


def load_catalog_dataset(settings) -> Dataset:
    """The catalog's plays with credits and DJs; `ArtifactMissingError` when there is nothing to learn from."""
    if not settings.catalog_path.is_file():
        raise ArtifactMissingError(
            f"No catalog at {settings.catalog_path}: run `python cli.py import-tracklists FILE` or `python cli.py demo`."
        )
    conn = connect(settings.catalog_path, readonly=True)
    try:
        dataset = dataset_from_catalog(conn, source=str(settings.catalog_path))
    finally:
        conn.close()
    if len(dataset.plays) == 0:
        raise ArtifactMissingError(
            f"The catalog at {settings.catalog_path} has no plays to train on: import tracklists first."
        )
    return dataset


def als_for_size(als: AlsParams, size: int) -> AlsParams:
    """`als` capped at `ALS_AT_SCALE` for a matrix of `size` sets + tracks past `LARGE_MATRIX`.

    (Fitting only tracks in ≥ 2 sets, `AlsParams.min_sets`, would halve the ALS step at MixesDB size
    but cost the generated catalog's sampled R-precision 0.0834 → 0.0747: `bench/models.md`.)
    """
    if size <= LARGE_MATRIX:
        return als
    values = als.to_dict()
    return AlsParams(**{**values, **{name: min(values[name], limit) for name, limit in ALS_AT_SCALE.items()}})


def sized_for(params: HybridParams, plays) -> HybridParams:
    """`params` with its ALS sized for the matrix `plays` make (`als_for_size`)."""
    size = len(np.unique(plays.set_keys)) + len(np.unique(plays.track_keys))
    als = als_for_size(params.als, size)
    if als == params.als:
        return params
    log.info("%d sets + tracks: ALS trained with %d factors, %d iterations", size, als.factors, als.iterations)
    return replace(params, als=als)


def tuned_hybrid_params(models_dir: Path) -> HybridParams:
    """The parameters `tune` recorded, or the defaults."""
    path = Path(models_dir) / TUNED
    if path.is_file():
        with open(path, encoding="utf-8") as handle:
            return HybridParams.from_dict(json.load(handle)["parameters"])
    return HybridParams()


def record_tuned(models_dir: Path, params: HybridParams, details: dict) -> Path:
    """Write `tuned.json` atomically (parameters + how they were chosen)."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / TUNED
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"parameters": params.to_dict(), **details}, indent=2, sort_keys=True), encoding="utf-8"
    )
    os.replace(tmp, path)
    return path


def train_run(
    settings,
    *,
    engine: str = "default",
    als: AlsParams | None = None,
    params: HybridParams | None = None,
    dataset: Dataset | None = None,
    metrics: dict | None = None,
    show_progress: bool = False,
    final_blend=None,
    sized: bool | None = None,
    awaiting_evaluation: bool = False,
) -> Run:
    """Train one model on the whole catalog and write a new (unpublished) run.

    The default engine takes `params` as given, else the tuned ones with `als` (when given) as their
    ALS part, `sized_for` the catalog when `sized` (default: when no `als` is given; `train-als` passes
    False only when the DJ chose factors or iterations). `final_blend`, when given, is called once the model is
    fitted and returns the blend the run keeps (`HybridParams.blend_fields`: the retrain fits while it
    still tunes them; a fit depends on the weights only through which signals it builds, so `params`
    then has every signal on). `awaiting_evaluation` marks a run written before its evaluation is done
    (the retrain's): `publish` refuses it until the evaluation clears the mark.
    """
    start = time.perf_counter()
    dataset = dataset or load_catalog_dataset(settings)
    matrix = play_matrix(dataset.plays)
    cells = play_cells(matrix, dataset.plays)
    matrix_seconds = time.perf_counter() - start
    start = time.perf_counter()
    if engine == "als":
        als = als or AlsParams()
        model = AlsEngine(train_als(matrix.matrix, als, show_progress=show_progress).item_factors)
        parameters = {"als": als.to_dict()}
    else:
        tuned = params is None
        params = tuned_hybrid_params(settings.models_dir) if tuned else params
        if als is not None:
            params = HybridParams.from_dict({**params.to_dict(), "als": als.to_dict()})
        if tuned and (sized if sized is not None else als is None):
            params = sized_for(params, dataset.plays)
        model = HybridEngine(HybridModel(params).fit(dataset.training(matrix, dataset.plays, cells)))
        if final_blend is not None:
            model.model.params = replace(params, **final_blend())
        parameters = model.metadata()
    train_seconds = time.perf_counter() - start
    metadata = {
        "engine": model.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": parameters,
        "input": {"source": dataset.source, "fingerprint": dataset.plays.fingerprint()},
        "counts": {
            "sets": int(matrix.shape[0]),
            "tracks": int(matrix.shape[1]),
            "plays": len(dataset.plays),
            "nonzeros": int(matrix.matrix.nnz),
        },
        "timings": {"matrix_seconds": round(matrix_seconds, 3), "train_seconds": round(train_seconds, 3)},
        "metrics": metrics or {},
        **({"awaiting_evaluation": True} if awaiting_evaluation else {}),
    }
    arrays = {**model.to_arrays(), "track_ids": matrix.track_ids, **catalog_arrays(settings, matrix, dataset.plays, cells)}
    return write_run(settings.models_dir, arrays, metadata)


def catalog_arrays(settings, matrix, plays, cells) -> dict[str, np.ndarray]:
    """What the dashboard reads with the run instead of asking the catalog per query: each column's
    top styles (`models.track_styles`) and the sets behind the evidence (`models.evidence`)."""
    from models.evidence import evidence_arrays, followed_counts
    from models.track_styles import style_arrays

    conn = connect(settings.catalog_path, readonly=True)
    try:
        return {**style_arrays(conn, matrix.set_ids, matrix.matrix),
                **evidence_arrays(conn, matrix.set_ids, matrix.matrix, followed_counts(
                    *cells, plays.positions, matrix.shape[1]))}
    finally:
        conn.close()


def current_quality(models_dir: Path) -> float | None:
    """The published run's default-model R-precision, when it was evaluated."""
    if current_run_id(models_dir) is None:
        return None
    value = current_run(models_dir).metadata.get("metrics", {}).get("default", {}).get(QUALITY_METRIC)
    return None if value is None else float(value)


class FinalFit:
    """The model on the whole catalog, trained in a thread from the start of a retrain.

    The fit does not need the tuned weights (only which signals to build: all of them), so it runs
    beside the tuning and the evaluation; it waits for the weights only to write the run. numpy,
    scipy and implicit release the GIL for the heavy parts, so the stages overlap on two cores.
    """

    def __init__(self, settings, dataset: Dataset):
        self.settings, self.dataset = settings, dataset
        self._run: Run | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._blend: dict | None = None
        self._tuned = threading.Event()

    def start(self, params: HybridParams) -> None:
        """Fit with `params`' structure and every signal of its blend on."""
        every_signal = params.with_every_signal()

        def work() -> None:
            try:
                self._run = train_run(self.settings, params=every_signal, dataset=self.dataset,
                                      final_blend=self._wait_for_blend, awaiting_evaluation=True)
            except BaseException as exc:  # handed to the caller by `result`
                self._error = exc

        self._thread = threading.Thread(target=work, name="final-fit", daemon=True)
        self._thread.start()

    def tuned(self, params: HybridParams) -> None:
        """The tuned parameters (`run_evaluation`'s `on_tuned`): their blend goes into the run."""
        self._blend = params.blend_fields()
        self._tuned.set()

    def abandon(self) -> None:
        """The tuning failed: the fit stops at the weights instead of waiting for them forever."""
        self._tuned.set()

    def _wait_for_blend(self) -> dict:
        self._tuned.wait()
        if self._blend is None:
            raise RuntimeError("the retrain stopped before its weights were tuned")
        return self._blend

    def result(self) -> Run:
        """The written (unpublished) run, once the thread is done; its error, if it failed."""
        if self._thread is None:
            raise RuntimeError("FinalFit.result() before start()")
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._run


def retrain(
    settings, *, force: bool = False, seed: int = 0, holdout: float = 0.2, min_set: int = 10
) -> tuple[Run, bool, dict]:
    """Matrix → tune + evaluate → train on everything → write → publish if at least as good.

    The evaluation scores a seeded sample of at most `RETRAIN_QUERIES` test sets (all of them on
    catalogs that have fewer), so the gate costs the same at any size.

    Returns the new run, whether it was published, and the evaluation report.
    """
    from models.evaluation import RETRAIN_QUERIES, run_evaluation

    dataset = load_catalog_dataset(settings)
    params = sized_for(tuned_hybrid_params(settings.models_dir), dataset.plays)
    final = FinalFit(settings, dataset)
    final.start(params)
    try:
        report = run_evaluation(
            dataset,
            holdout=holdout,
            min_set=min_set,
            seed=seed,
            params=params,
            baselines=False,
            max_test_sets=RETRAIN_QUERIES,
            on_tuned=final.tuned,
        )
    finally:
        final.abandon()  # no-op once tuned
    run = update_metadata(final.result(), metrics=report["models"], awaiting_evaluation=False)
    new, old = report["models"]["default"][QUALITY_METRIC], current_quality(settings.models_dir)
    published = force or old is None or new >= old
    if published:
        publish(settings.models_dir, run)
    log.info("retrain: new %s %.4f vs current %s; published=%s", QUALITY_METRIC, new, old, published)
    return run, published, report
