"""The dashboard's sound engine: CNN embeddings of the newest sound run, for cold start and the blend.

`SoundIndex` is numpy only (no TensorFlow): it serves tracks that have embeddings. Only an uploaded
file needs the CNN itself, and `analyse_upload` imports it lazily, inside the background job.
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import numpy as np

from errors import ArtifactMissingError, BadInputError

MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # a 5-minute WAV; DJ software exports are far smaller
SPECTROGRAM_SHAPE = (64, 240)  # (mel bands, frames) kept for the query's picture


class SoundIndex:
    """Embeddings of one run with their track ids, tempo and Camelot codes (for the filters)."""

    def __init__(self, run_dir: Path):
        from audio.coldstart import load_index

        self.run_dir = Path(run_dir)
        self.index = load_index(self.run_dir)
        self.row_of = {int(t): i for i, t in enumerate(self.index.track_ids)}

    def knows(self, track_id: int) -> bool:
        return int(track_id) in self.row_of

    def neighbours_of_track(self, track_id: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.neighbours(self.index.embeddings[self.row_of[int(track_id)]], k, exclude=(int(track_id),))

    def neighbours(self, embedding: np.ndarray, k: int, exclude=()) -> tuple[np.ndarray, np.ndarray]:
        """(track ids, cosine scores) of the `k` nearest tracks, best first."""
        from models.embeddings import NeighbourFilters

        return self.index.similar(np.asarray(embedding, np.float32), k=k,
                                  filters=NeighbourFilters(exclude=tuple(exclude), keep_unknown=True))

    def similarity(self, track_id: int, others: list[int]) -> dict[int, float]:
        """Cosine similarity of `track_id` to each of `others` that has an embedding."""
        if not self.knows(track_id):
            return {}
        query = self.index.embeddings[self.row_of[int(track_id)]]
        known = [t for t in others if self.knows(t)]
        if not known:
            return {}
        scores = self.index.embeddings[[self.row_of[t] for t in known]] @ query
        return {t: float(s) for t, s in zip(known, scores, strict=True)}


class SoundIndexLoader:
    """The `SoundIndex` of the published run, reloaded when another run is published; None if it has none."""

    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._index: SoundIndex | None = None

    def get(self) -> SoundIndex | None:
        from audio.training import newest_sound_run

        try:
            run_dir = newest_sound_run(self.settings, need="embeddings.npy").resolve(strict=True)
            stamp = (run_dir, (run_dir / "embeddings.npy").stat().st_mtime_ns)
        except (OSError, ArtifactMissingError):
            return None
        with self._lock:
            if stamp != self._key:
                try:
                    self._index = SoundIndex(run_dir)
                except ArtifactMissingError:
                    self._index = None
                self._key = stamp
            return self._index


def decode_upload(contents: str, filename: str) -> bytes:
    """The bytes of a `dcc.Upload` data URL; refuses empty or oversized files with a clear message."""
    if not contents or "," not in contents:
        raise BadInputError(f"{filename or 'The file'} arrived empty: drop an audio file (mp3, wav, flac, aiff, m4a).")
    payload = contents.split(",", 1)[1]
    if len(payload) * 3 // 4 > MAX_UPLOAD_BYTES:
        raise BadInputError(
            f"{filename} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: export a shorter clip or an MP3."
        )
    try:
        return base64.b64decode(payload, validate=True)
    except ValueError as error:
        raise BadInputError(f"{filename} could not be read (broken upload); try again.") from error


def small_spectrogram(mel: np.ndarray) -> list[list[int]]:
    """A log-mel [shape=(n_mels, t)] shrunk to at most SPECTROGRAM_SHAPE by averaging, in whole dB.

    Integers on purpose: a session-storage `dcc.Store` compares what it holds with what Python sent,
    and `-35.0` (Python's JSON) never equals `-35` (JavaScript's), which made React re-render forever.
    """
    bands, frames = SPECTROGRAM_SHAPE
    mel = np.asarray(mel, dtype=np.float32)
    band_step = max(1, int(np.ceil(mel.shape[0] / bands)))
    frame_step = max(1, int(np.ceil(mel.shape[1] / frames)))
    trimmed = mel[: mel.shape[0] // band_step * band_step, : mel.shape[1] // frame_step * frame_step]
    shrunk = trimmed.reshape(trimmed.shape[0] // band_step, band_step, -1, frame_step).mean(axis=(1, 3))
    return np.rint(shrunk).astype(int).tolist()


def cached_spectrogram(settings, audio_path: str | None) -> list[list[int]] | None:
    """The small spectrogram of a track whose log-mel is already cached (never computed on a request)."""
    if not audio_path:
        return None
    from audio.dataset import mel_cache_key
    from audio.mel import cache_path

    try:
        path = cache_path(settings.cache_dir, mel_cache_key(Path(audio_path)))
        return small_spectrogram(np.load(path, allow_pickle=False)) if path.is_file() else None
    except (OSError, ValueError):
        return None


def analyse_upload(settings, contents: str, filename: str, *, progress=lambda step, total, what: None) -> dict:
    """Uploaded audio → query facts and sound neighbours' ids and scores (runs in a background job).

    Returns `{"query": {...}, "neighbours": [[track_id, score], ...]}`; raises `CratediggerError`s with
    a sentence for the DJ (unreadable file, no sound model trained).
    """
    from audio.coldstart import cold_start_neighbours, load_run
    from audio.training import newest_sound_run

    progress(1, 4, "reading the file")
    data = decode_upload(contents, filename)
    progress(2, 4, "loading the sound model")
    run_dir = newest_sound_run(settings, need="embeddings.npy")
    load_run(run_dir)
    progress(3, 4, "listening: tempo, key and sound")
    ids, scores, analysis = cold_start_neighbours(data, run_dir, k=150, suffix=Path(filename or "").suffix.lower())
    progress(4, 4, "done")
    facts = analysis.as_dict()
    query = {"track_id": -1, "artist": "uploaded file", "title": filename or "upload", "bpm": facts["tempo"],
             "key": facts["key"], "camelot": facts["camelot"], "styles": [], "source": "sound",
             "spectrogram": small_spectrogram(analysis.mel), "is_demo": False}
    return {"query": query, "neighbours": [[int(t), float(s)] for t, s in zip(ids, scores, strict=True)]}
