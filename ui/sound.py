"""The dashboard's sound engine: CNN embeddings of the newest sound run, for cold start and the blend.

`SoundIndex` is numpy only (no TensorFlow): it serves tracks that have embeddings. Only an uploaded
file needs the sound model itself, which the warm worker runs (in numpy, `models.numpy_sound`).
"""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

import numpy as np

from audio.mel import small_spectrogram
from audio.tempo import clear_tempo
from errors import ArtifactMissingError, BadInputError
from npyio import load_npy

MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # a 5-minute WAV; DJ software exports are far smaller


class SoundIndex:
    """Embeddings of one run with their track ids, tempo and Camelot codes (for the filters)."""

    def __init__(self, run_dir: Path):
        from audio.coldstart import load_index

        self.run_dir = Path(run_dir)
        self.index = load_index(self.run_dir)
        self.row_of = {int(t): i for i, t in enumerate(self.index.track_ids)}

    def knows(self, track_id: int) -> bool:
        return int(track_id) in self.row_of

    def query_of(self, seed_ids: list[int]) -> np.ndarray | None:
        """The unit mean embedding [shape=(d,)] of the seeds that have one (what a crate sounds like); None
        when none has."""
        rows = [self.row_of[int(t)] for t in seed_ids if self.knows(t)]
        if not rows:
            return None
        mean = self.index.embeddings[rows].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else self.index.embeddings[rows[0]]

    def neighbours_of_tracks(self, seed_ids: list[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(track ids, cosine scores) of the `k` tracks nearest the seeds' `query_of`, seeds left out."""
        return self.neighbours(self.query_of(seed_ids), k, exclude=tuple(int(t) for t in seed_ids))

    def neighbours(self, embedding: np.ndarray, k: int, exclude=()) -> tuple[np.ndarray, np.ndarray]:
        """(track ids, cosine scores) of the `k` nearest tracks, best first."""
        from models.embeddings import NeighbourFilters

        return self.index.similar(np.asarray(embedding, np.float32), k=k,
                                  filters=NeighbourFilters(exclude=tuple(exclude), keep_unknown=True))

    def similarity(self, seed_ids: list[int], others: list[int]) -> dict[int, float]:
        """Cosine similarity of the seeds' `query_of` to each of `others` that has an embedding."""
        query = self.query_of(seed_ids)
        known = [t for t in others if self.knows(t)]
        if query is None or not known:
            return {}
        scores = self.index.embeddings[[self.row_of[t] for t in known]] @ query
        return {t: float(s) for t, s in zip(known, scores, strict=True)}


class SoundIndexLoader:
    """The `SoundIndex` of the newest sound run, or None without one.

    The models folder is looked at again at most every `check_every` seconds (not on every query); a newer
    run, or re-embedded one, is loaded then.
    """

    def __init__(self, settings, *, check_every: float = 2.0):
        self.settings = settings
        self.check_every = check_every
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._index: SoundIndex | None = None
        self._checked_at = float("-inf")

    def get(self) -> SoundIndex | None:
        from audio.training import newest_sound_run

        with self._lock:
            if time.monotonic() - self._checked_at < self.check_every:
                return self._index
            self._checked_at = time.monotonic()
            try:
                run_dir = newest_sound_run(self.settings, need="embeddings.npy").resolve(strict=True)
                stamp = (run_dir, (run_dir / "embeddings.npy").stat().st_mtime_ns)
            except (OSError, ArtifactMissingError):
                self._key, self._index = None, None
                return None
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


def cached_spectrogram(settings, audio_path: str | None) -> list[list[int]] | None:
    """The small spectrogram of a track whose log-mel is already cached (never computed on a request)."""
    if not audio_path:
        return None
    from audio.dataset import mel_cache_id
    from audio.mel import cache_path

    try:
        path = cache_path(settings.cache_dir, mel_cache_id(Path(audio_path)))
        return small_spectrogram(load_npy(path)) if path.is_file() else None
    except (OSError, ValueError):
        return None


UPLOAD_NEIGHBOURS = 150  # sound neighbours of an uploaded file; controls pick from these


def analyse_upload(settings, contents: str, filename: str, *, progress=lambda step, total, what: None,
                   exclude=()) -> dict:
    """Uploaded audio → query facts and sound neighbours' ids and scores (runs in a background job).

    Asks the warm sound worker first (`audio.worker`, a few hundred ms); without one, loads the analysis
    and the model in this process (a second or two; TensorFlow only for a run older than `sound_inference.npz`). Returns `{"query": {...}, "neighbours": [[track_id, score], ...], "note": None or why there are none}`;
    raises `CratediggerError`s with a sentence for the DJ (unreadable file, no sound model trained).
    Tracks of `exclude` (the destination playlist's) are left out before the neighbours are counted.
    """
    from audio.worker import WorkerUnavailable, ask_worker
    from errors import CratediggerError

    progress(1, 3, "reading the file")
    data = decode_upload(contents, filename)
    progress(2, 3, "listening: tempo, key and sound")
    banned = {int(t) for t in exclude}
    k = UPLOAD_NEIGHBOURS + len(banned)
    try:
        reply = ask_worker(settings, data, filename=filename or "", k=k)
    except WorkerUnavailable:
        reply = analyse_here(settings, data, filename or "", k=k)
    if "error" in reply:
        error = BadInputError(reply["error"]) if reply.get("exit_code") == 2 else CratediggerError(reply["error"])
        raise error
    progress(3, 3, "done")
    facts = reply["analysis"]
    bpm = clear_tempo(facts["tempo"], facts["tempo_confidence"])  # None: no clear beat, so the BPM filter passes all
    query = {"track_id": -1, "artist": "uploaded file", "title": filename or "upload", "bpm": bpm,
             "no_clear_beat": bpm is None, "key": facts["key"], "camelot": facts["camelot"], "styles": [], "source": "sound",
             "spectrogram": reply["spectrogram"], "is_demo": False}
    neighbours = [[int(t), float(s)] for t, s in zip(reply["ids"], reply["scores"], strict=True) if int(t) not in banned]
    return {"query": query, "neighbours": neighbours[:UPLOAD_NEIGHBOURS],
            "note": reply.get("note")}  # why there are no neighbours (no sound model yet)


def analyse_here(settings, data: bytes, filename: str, k: int = UPLOAD_NEIGHBOURS) -> dict:
    """What the warm worker would answer, computed in this process."""
    from audio.worker import answer

    return answer(settings, {"filename": filename, "k": k}, data)
