"""Tempo and key of a decoded clip, and storing them in the catalog."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from audio.keys import KeyEstimate, estimate_key
from audio.mel import log_mel
from audio.params import SAMPLE_RATE
from audio.tempo import clear_tempo, estimate_tempo


@dataclass(frozen=True)
class Analysis:
    """What one clip sounds like in numbers: tempo (BPM), key, and the log-mel it came from.

    `tempo` is the estimate even without a clear beat (a best guess, `tempo_confidence` 0); `bpm` is the
    tempo to show, store and filter by, None then.
    """

    tempo: float
    tempo_confidence: float
    key: KeyEstimate
    mel: np.ndarray  # [shape=(N_MELS, t), float32 dB]

    @property
    def bpm(self) -> float | None:
        return clear_tempo(self.tempo, self.tempo_confidence)

    def as_dict(self) -> dict:
        return {"tempo": self.tempo, "tempo_confidence": self.tempo_confidence, "key": self.key.name,
                "camelot": self.key.camelot, "key_confidence": self.key.confidence}


def analyze(y: np.ndarray, *, sr: int = SAMPLE_RATE, mel: np.ndarray | None = None) -> Analysis:
    """Log-mel, tempo and key of mono `y` [shape=(n,)] at `sr` (= SAMPLE_RATE) Hz."""
    mel = log_mel(y, sr=sr) if mel is None else mel
    tempo, tempo_confidence = estimate_tempo(mel, sr=sr)
    return Analysis(tempo=tempo, tempo_confidence=tempo_confidence, key=estimate_key(y, sr=sr), mel=mel)


def store_analysis(conn: sqlite3.Connection, track_id: int, analysis: Analysis, *, audio_path: str | None = None,
                   duration_ms: int | None = None) -> None:
    """Write tempo, key, Camelot code and confidence of `track_id` into the catalog; without a clear beat
    the track has no tempo (one stored before, e.g. a best guess from before pulse clarity, is cleared)."""
    from catalog.store import update_track_audio

    update_track_audio(conn, track_id, tempo=analysis.bpm, forget_tempo=analysis.bpm is None, musical_key=analysis.key.name,
                       camelot=analysis.key.camelot, key_confidence=analysis.key.confidence,
                       audio_path=audio_path, duration_ms=duration_ms)
