"""Catalog tracks with audio as sound-model training and indexing data (model inputs, style labels, tempo, key)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.decode import decode_file
from audio.mel import cached_log_mel, log_mel, model_input
from audio.params import MODEL_INPUT_ID
from errors import ArtifactMissingError, BadInputError

log = logging.getLogger(__name__)


@dataclass
class TrackAudio:
    """Catalog tracks that have audio: ids, model inputs [each (MODEL_N_MELS, t)], tempo (NaN unknown),
    Camelot ('' unknown)."""

    track_ids: np.ndarray
    inputs: list[np.ndarray]
    tempo: np.ndarray
    camelot: np.ndarray


def track_styles(conn: sqlite3.Connection) -> dict[int, str]:
    """Each track's style: the most frequent style among the sets that play it (MixesDB categories)."""
    counts: dict[int, Counter] = {}
    rows = conn.execute("SELECT p.track_id, s.styles FROM plays p JOIN sets s ON s.id = p.set_id")
    for track_id, styles in rows:
        for style in json.loads(styles or "[]"):
            counts.setdefault(track_id, Counter())[style] += 1
    return {t: c.most_common(1)[0][0] for t, c in counts.items() if c}


def mel_cache_id(path: Path) -> str:
    """Cache identity of a file's log-mel: its path, size and modification time."""
    stat = Path(path).stat()
    return f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def mel_for_file(path: Path, cache_dir: Path, y: np.ndarray | None = None) -> np.ndarray:
    """Log-mel of an audio file's representative 30 s (`y` if already decoded), cached by `mel_cache_id`."""
    return cached_log_mel(cache_dir, mel_cache_id(path), lambda: log_mel(decode_file(path).y if y is None else y))


def model_input_for_file(path: Path, cache_dir: Path, y: np.ndarray | None = None) -> np.ndarray:
    """The sound model's input for an audio file's representative 30 s, cached like `mel_for_file`."""
    return cached_log_mel(cache_dir, mel_cache_id(path), lambda: model_input(decode_file(path).y if y is None else y),
                          kind=MODEL_INPUT_ID)


def load_track_audio(conn: sqlite3.Connection, cache_dir: Path, *, limit: int | None = None,
                     show_progress: bool = False, workers: int | None = None) -> TrackAudio:
    """Model inputs of every catalog track with an `audio_path`; undecodable files are skipped with a warning."""
    from tqdm import tqdm

    sql = "SELECT id, audio_path, tempo, camelot FROM tracks WHERE audio_path IS NOT NULL ORDER BY id"
    rows = conn.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    if not rows:
        raise ArtifactMissingError("No catalog track has audio yet; run `python cli.py fetch-audio` first.")
    def one(path: str):
        try:
            return model_input_for_file(Path(path), cache_dir)
        except (BadInputError, OSError) as error:
            return error

    ids, inputs, tempo, camelot = [], [], [], []
    # ffmpeg runs in its own process and numpy's FFTs release the GIL: threads keep both cores busy.
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        results = pool.map(one, [r[1] for r in rows])
        for (track_id, _, bpm, code), mel in tqdm(zip(rows, results, strict=True), total=len(rows),
                                                  desc="model inputs", unit="track", disable=not show_progress or None):
            if isinstance(mel, Exception):
                log.warning("track %s skipped: %s", track_id, mel)
                continue
            inputs.append(mel)
            ids.append(track_id)
            tempo.append(np.nan if bpm is None else bpm)
            camelot.append(code or "")
    return TrackAudio(np.array(ids, dtype=np.int64), inputs, np.array(tempo, dtype=np.float64), np.array(camelot))
