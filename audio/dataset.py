"""Catalog tracks with audio as CNN training and indexing data (log-mels, style labels, tempo, key)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.decode import decode_file
from audio.mel import cached_log_mel, log_mel
from errors import BadInputError

log = logging.getLogger(__name__)


@dataclass
class TrackAudio:
    """Catalog tracks that have audio: ids, log-mels [each (N_MELS, t)], tempo (NaN unknown), Camelot ('' unknown)."""

    track_ids: np.ndarray
    mels: list[np.ndarray]
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


def mel_cache_key(path: Path) -> str:
    """The key an audio file's log-mel is cached under: its path, size and modification time."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def mel_for_file(path: Path, cache_dir: Path) -> np.ndarray:
    """Log-mel of an audio file's representative 30 s, cached by path, size and modification time."""
    return cached_log_mel(cache_dir, mel_cache_key(path), lambda: log_mel(decode_file(path).y))


def load_track_audio(conn: sqlite3.Connection, cache_dir: Path, *, limit: int | None = None,
                     show_progress: bool = False, workers: int | None = None) -> TrackAudio:
    """Log-mels of every catalog track with an `audio_path`; undecodable files are skipped with a warning."""
    from tqdm import tqdm

    sql = "SELECT id, audio_path, tempo, camelot FROM tracks WHERE audio_path IS NOT NULL ORDER BY id"
    rows = conn.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    if not rows:
        raise BadInputError("No catalog track has audio yet; run `python cli.py fetch-audio` first.")
    def one(path: str):
        try:
            return mel_for_file(Path(path), cache_dir)
        except (BadInputError, OSError) as error:
            return error

    ids, mels, tempo, camelot = [], [], [], []
    # ffmpeg runs in its own process and numpy's FFTs release the GIL: threads keep both cores busy.
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        results = pool.map(one, [r[1] for r in rows])
        for (track_id, _, bpm, code), mel in tqdm(zip(rows, results, strict=True), total=len(rows),
                                                  desc="spectrograms", unit="track", disable=not show_progress):
            if isinstance(mel, Exception):
                log.warning("track %s skipped: %s", track_id, mel)
                continue
            mels.append(mel)
            ids.append(track_id)
            tempo.append(np.nan if bpm is None else bpm)
            camelot.append(code or "")
    return TrackAudio(np.array(ids, dtype=np.int64), mels, np.array(tempo, dtype=np.float64), np.array(camelot))
