"""Offline steps that turn the catalog into a model run: matrix → train → write the run folder."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from catalog.db import connect
from errors import NotFoundError
from models.als import AlsParams, train_als
from models.artifacts import Run, write_run
from models.engines import AlsEngine
from models.matrix import catalog_matrix

log = logging.getLogger(__name__)


def train_als_run(settings, params: AlsParams | None = None, *, show_progress: bool = False) -> Run:
    """Build the catalog's play matrix, train ALS on it and write a new (unpublished) run."""
    params = params or AlsParams()
    start = time.perf_counter()
    conn = connect(settings.catalog_path, readonly=True) if settings.catalog_path.is_file() else None
    if conn is None:
        raise NotFoundError(
            f"No catalog at {settings.catalog_path}: run `python cli.py import-tracklists FILE` or `python cli.py demo`."
        )
    try:
        matrix, plays = catalog_matrix(conn)
    finally:
        conn.close()
    if matrix.matrix.nnz == 0:
        raise NotFoundError(
            f"The catalog at {settings.catalog_path} has no plays to train on: import tracklists first."
        )
    matrix_seconds = time.perf_counter() - start
    factors = train_als(matrix.matrix, params, show_progress=show_progress)
    engine = AlsEngine(factors.item_factors)
    metadata = {
        "engine": engine.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"als": params.to_dict()},
        "input": {"catalog": str(settings.catalog_path), "fingerprint": plays.fingerprint()},
        "counts": {
            "sets": int(matrix.shape[0]),
            "tracks": int(matrix.shape[1]),
            "plays": len(plays),
            "nonzeros": int(matrix.matrix.nnz),
        },
        "timings": {"matrix_seconds": round(matrix_seconds, 3), "train_seconds": round(factors.seconds, 3)},
        "metrics": {},
    }
    return write_run(settings.models_dir, {**engine.to_arrays(), "track_ids": matrix.track_ids}, metadata)
