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
    """The published run if it has `need`, else the newest run folder that does."""
    current = settings.current_model_link
    if (current / need).is_file():
        return current
    runs = sorted((p for p in settings.models_dir.glob("*/") if (p / need).is_file()), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise ArtifactMissingError(f"No run folder under {settings.models_dir} has {need}; "
                                   "run `python cli.py train-cnn` (and `embed`) first.")
    return runs[-1]


def new_sound_run_dir(settings, run_id: str | None = None) -> Path:
    run_id = run_id or time.strftime("audio-%Y%m%d-%H%M%S")
    path = settings.models_dir / run_id
    if (path / "cnn.keras").exists():
        raise BadInputError(f"Run {run_id} already has a CNN; pick another --run-id.")
    return path


def train_cnn_on_catalog(settings, *, epochs: int, run_id: str | None = None, factors=None,
                         show_progress: bool = True) -> Path:
    """Train the CNN on catalog tracks with audio, labelled by their sets' styles; returns the run folder."""
    from audio.dataset import load_track_audio, track_styles
    from catalog.db import connect
    from models.cnn import CnnConfig, save_cnn, train_cnn

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
    mels = [data.mels[i] for i in keep]
    labels = [styles[int(data.track_ids[i])] for i in keep]
    rows = None if factors is None else factors(data.track_ids[keep])
    run_dir = new_sound_run_dir(settings, run_id)
    cnn = train_cnn(mels, labels, factors=rows, config=CnnConfig(epochs=epochs), show_progress=show_progress)
    save_cnn(cnn, run_dir, extra={"trained_on": "catalog", "n_clips": len(mels)})
    return run_dir


def embed_catalog(settings, run_dir: Path, *, limit: int | None = None, show_progress: bool = True) -> int:
    """Embed every catalog track with audio into `run_dir`; returns how many."""
    from audio.coldstart import CAMELOT_FILE, TEMPO_FILE
    from audio.dataset import load_track_audio
    from catalog.db import connect
    from models.cnn import load_cnn, save_embeddings

    cnn = load_cnn(run_dir)
    conn = connect(settings.catalog_path)
    try:
        data = load_track_audio(conn, settings.cache_dir, limit=limit, show_progress=show_progress)
    finally:
        conn.close()
    save_embeddings(run_dir, cnn.embed(data.mels), data.track_ids)
    np.save(run_dir / TEMPO_FILE, data.tempo, allow_pickle=False)
    np.save(run_dir / CAMELOT_FILE, data.camelot.astype(str), allow_pickle=False)
    return len(data.track_ids)
