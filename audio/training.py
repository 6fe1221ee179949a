"""Training the sound CNN on the catalog and embedding its tracks into a sound run folder.

A sound run is a folder under `models/` holding `cnn.keras`, `cnn_metadata.json`, `embeddings.npy`,
`embedding_track_ids.npy` and the indexed tracks' tempo and Camelot codes. The newest one (or the
published run, if it has them) serves cold start.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from errors import ArtifactMissingError, BadInputError


def newest_sound_run(settings, need: str = "cnn.keras") -> Path:
    """The published run if it has `need`, else the newest run folder that does.

    Runs whose sound model was made for other inputs (an older front end) are passed over.
    """
    from models.cnn import made_by_this_frontend

    def usable(path: Path) -> bool:
        return (path / need).is_file() and made_by_this_frontend(path)

    current = settings.current_model_link
    if usable(current):
        return current
    runs = sorted((p for p in settings.models_dir.glob("*/") if usable(p)), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise ArtifactMissingError("There is no sound model to compare with yet: run `python cli.py fetch-audio` "
                                   "(if your tracks have no audio yet), then `train-cnn` and `embed`; for the demo "
                                   "crate, `python cli.py demo-audio`.")
    return runs[-1]


def new_sound_run_dir(settings, run_id: str | None = None) -> Path:
    run_id = run_id or time.strftime("audio-%Y%m%d-%H%M%S")
    path = settings.models_dir / run_id
    if (path / "cnn.keras").exists():
        raise BadInputError(f"Run {run_id} already has a CNN; pick another --run-id.")
    return path


def _rows_for(source_ids: np.ndarray, factors: np.ndarray, track_ids) -> np.ndarray:
    """Rows of `factors` (one per `source_ids`) for `track_ids`; NaN rows where a track has none."""
    source_ids = np.asarray(source_ids, dtype=np.int64)
    wanted = np.asarray(track_ids, dtype=np.int64)
    order = np.argsort(source_ids, kind="stable")
    where = np.minimum(np.searchsorted(source_ids, wanted, sorter=order), max(len(source_ids) - 1, 0))
    found = source_ids[order[where]] == wanted if len(source_ids) else np.zeros(len(wanted), dtype=bool)
    out = np.full((len(wanted), factors.shape[1]), np.nan, dtype=np.float32)
    out[found] = factors[order[where[found]]]
    return out


def factor_rows(path: Path | None, track_ids) -> np.ndarray | None:
    """ALS factor rows for `track_ids` from an `.npz` with `track_ids` and `factors` (NaN where a track has none).

    np.ndarray [shape=(len(track_ids), n_factors), float32], or None without a file.
    """
    if path is None:
        return None
    if not path.is_file():
        raise BadInputError(f"--factors {path}: no such file.")
    from npyio import load_npz

    try:
        data = load_npz(path)
    except Exception as error:  # pickled, not a zip, truncated: numpy and zipfile raise many types  # noqa: BLE001
        raise BadInputError(f"--factors {path.name} is not an .npz of arrays ({error}); write one with "
                            "numpy.savez(path, track_ids=..., factors=...).") from error
    if "track_ids" not in data or "factors" not in data:
        raise BadInputError(f"--factors {path.name} needs arrays 'track_ids' and 'factors'.")
    return _rows_for(data["track_ids"], data["factors"], track_ids)


def published_factor_rows(settings, track_ids) -> np.ndarray | None:
    """The published recommender run's ALS item factors for `track_ids` (NaN rows where a track has none).

    None when no run is published or it has no ALS factors: the CNN then learns styles only.
    """
    from models.artifacts import current_run

    try:
        run = current_run(settings.models_dir)
    except ArtifactMissingError:
        return None
    if not (run.has("item_factors") and run.has("track_ids")):
        return None
    return _rows_for(run.array("track_ids"), run.array("item_factors"), track_ids)


def save_trained_cnn(settings, inputs, labels, *, epochs: int, run_id: str | None = None, factors=None,
                     source: str, show_progress: bool = True):
    """Train the sound model on model inputs with labels (and optional factor targets); save it in a new sound run.

    Returns (run folder, the trained `CnnModel` with `n_clips` set).
    """
    from models.cnn import CnnConfig, save_cnn, train_cnn

    run_dir = new_sound_run_dir(settings, run_id)
    cnn = train_cnn(inputs, labels, factors=factors, config=CnnConfig(epochs=epochs), show_progress=show_progress)
    cnn.n_clips = len(inputs)
    save_cnn(cnn, run_dir, extra={"trained_on": source, "n_clips": len(inputs)})
    return run_dir, cnn


def train_cnn_on_catalog(settings, *, epochs: int, run_id: str | None = None, factors=None,
                         show_progress: bool = True):
    """Train on catalog tracks with audio, labelled by their sets' styles; returns (run folder, CnnModel).

    `factors(track_ids)` may give ALS factor targets for the second head.
    """
    from audio.dataset import load_track_audio, track_styles
    from catalog.db import connect

    conn = connect(settings.catalog_path)
    try:
        styles = track_styles(conn)
        data = load_track_audio(conn, settings.cache_dir, show_progress=show_progress)
    finally:
        conn.close()
    keep = [i for i, t in enumerate(data.track_ids) if int(t) in styles]
    if len(keep) < 4:
        raise BadInputError(f"Only {len(keep)} tracks with audio have a style from their sets; "
                            "import sets with styles or pass --labels CSV.")
    return save_trained_cnn(
        settings, [data.inputs[i] for i in keep], [styles[int(data.track_ids[i])] for i in keep], epochs=epochs,
        run_id=run_id, factors=None if factors is None else factors(data.track_ids[keep]), source="catalog",
        show_progress=show_progress,
    )


def embed_catalog(settings, run_dir: Path, *, limit: int | None = None, show_progress: bool = True) -> int:
    """Embed every catalog track with audio into `run_dir`; returns how many."""
    from audio.coldstart import CAMELOT_FILE, TEMPO_FILE
    from audio.dataset import load_track_audio
    from catalog.db import connect
    from models.cnn import load_cnn, save_embeddings
    from models.numpy_sound import export_inference

    cnn = load_cnn(run_dir)
    export_inference(cnn, run_dir)  # queries' numpy twin, from the head that makes the index (older runs had none)
    conn = connect(settings.catalog_path)
    try:
        data = load_track_audio(conn, settings.cache_dir, limit=limit, show_progress=show_progress)
    finally:
        conn.close()
    save_embeddings(run_dir, cnn.embed(data.inputs, show_progress=show_progress), data.track_ids)
    np.save(run_dir / TEMPO_FILE, data.tempo, allow_pickle=False)
    np.save(run_dir / CAMELOT_FILE, data.camelot.astype(str), allow_pickle=False)
    return len(data.track_ids)
