"""The dashboard's sound engine: CNN embeddings of the published run, for cold start and the blend.

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

    def __init__(self, run_dir: Path, conn):
        from models.cnn import load_embeddings
        from models.embeddings import EmbeddingIndex

        embeddings, track_ids = load_embeddings(run_dir)
        self.run_dir = Path(run_dir)
        ids = [int(t) for t in track_ids]
        facts = {row["id"]: row for row in conn.execute("SELECT id, tempo, camelot FROM tracks")}
        self.index = EmbeddingIndex(
            embeddings, np.asarray(ids, dtype=np.int64),
            tempo=[float(facts[t]["tempo"]) if t in facts and facts[t]["tempo"] else np.nan for t in ids],
            camelot=[(facts[t]["camelot"] or "") if t in facts else "" for t in ids],
        )
        self.row_of = {t: i for i, t in enumerate(ids)}

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
        current = self.settings.current_model_link
        try:
            run_dir = current.resolve(strict=True)
            stamp = (run_dir, (run_dir / "embeddings.npy").stat().st_mtime_ns)
        except OSError:
            return None
        with self._lock:
            if stamp != self._key:
                from catalog.db import connect

                conn = connect(self.settings.catalog_path, readonly=True)
                try:
                    self._index = SoundIndex(run_dir, conn)
                except ArtifactMissingError:
                    self._index = None
                finally:
                    conn.close()
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


def small_spectrogram(mel: np.ndarray) -> list[list[float]]:
    """A log-mel [shape=(n_mels, t)] shrunk to at most SPECTROGRAM_SHAPE by averaging, as nested lists."""
    bands, frames = SPECTROGRAM_SHAPE
    mel = np.asarray(mel, dtype=np.float32)
    band_step = max(1, int(np.ceil(mel.shape[0] / bands)))
    frame_step = max(1, int(np.ceil(mel.shape[1] / frames)))
    trimmed = mel[: mel.shape[0] // band_step * band_step, : mel.shape[1] // frame_step * frame_step]
    shrunk = trimmed.reshape(trimmed.shape[0] // band_step, band_step, -1, frame_step).mean(axis=(1, 3))
    return np.round(shrunk, 1).tolist()


def analyse_upload(settings, contents: str, filename: str, *, progress=lambda step, total, what: None) -> dict:
    """Uploaded audio → query facts and sound neighbours' ids and scores (runs in a background job).

    Returns `{"query": {...}, "neighbours": [[track_id, score], ...]}`; raises `CratediggerError`s with
    a sentence for the DJ (unreadable file, no CNN published).
    """
    from audio.analysis import analyze
    from audio.decode import decode_bytes

    suffix = Path(filename or "").suffix.lower()
    progress(1, 5, "decoding")
    decoded = decode_bytes(decode_upload(contents, filename), suffix=suffix)
    progress(2, 5, "tempo and key")
    analysis = analyze(decoded.y)
    progress(3, 5, "loading the sound model")
    run_dir = settings.current_model_link
    from models.cnn import load_cnn

    cnn = load_cnn(run_dir)
    progress(4, 5, "listening")
    embedding = cnn.embed([analysis.mel])[0]
    from catalog.db import connect

    conn = connect(settings.catalog_path, readonly=True)
    try:
        ids, scores = SoundIndex(run_dir, conn).neighbours(embedding, k=150)
    finally:
        conn.close()
    progress(5, 5, "done")
    facts = analysis.as_dict()
    query = {"track_id": -1, "artist": "uploaded file", "title": filename or "upload", "bpm": facts["tempo"],
             "key": facts["key"], "camelot": facts["camelot"], "styles": [], "source": "sound",
             "spectrogram": small_spectrogram(analysis.mel), "is_demo": False}
    return {"query": query, "neighbours": [[int(t), float(s)] for t, s in zip(ids, scores, strict=True)]}
