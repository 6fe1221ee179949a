"""Log-mel spectrograms (the CNN's input and the tempo estimator's) and their `.npy` cache.

Parameters come from `audio.params`; `log_mel(y)` returns
np.ndarray [shape=(N_MELS, t), dtype=float32] in dB (power, ref 1.0, floor -100 dB).
librosa is imported on first use (its numba JIT is slow to warm; see `audio.warmup`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from audio.params import FMAX, FMIN, FRONTEND_ID, HOP_LENGTH, N_FFT, N_MELS, SAMPLE_RATE
from errors import BadInputError

_FILTERS: dict[int, tuple[np.ndarray, slice]] = {}


def _mel_filters(sr: int) -> tuple[np.ndarray, slice]:
    """The mel filterbank restricted to the STFT bins it uses (FMIN..FMAX), and those bins."""
    if sr not in _FILTERS:
        import librosa

        full = librosa.filters.mel(sr=sr, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX).astype(np.float32)
        used = np.flatnonzero(full.any(axis=0))
        bins = slice(int(used[0]), int(used[-1]) + 1)
        _FILTERS[sr] = (np.ascontiguousarray(full[:, bins]), bins)
    return _FILTERS[sr]


def log_mel(y: np.ndarray, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Log-mel power spectrogram of mono `y` [shape=(n,)]: [shape=(N_MELS, 1 + n // HOP_LENGTH)], float32 dB."""
    if y.ndim != 1:
        raise BadInputError(f"y has shape {y.shape}; expected mono audio of shape (n,).")
    if sr != SAMPLE_RATE:
        raise BadInputError(f"sr={sr}: decode audio at {SAMPLE_RATE} Hz first (audio.decode).")
    import librosa

    filters, bins = _mel_filters(sr)
    stft = librosa.stft(y.astype(np.float32, copy=False), n_fft=N_FFT, hop_length=HOP_LENGTH, center=True)[bins]
    power = (stft.real**2 + stft.imag**2).astype(np.float32)  # only the bins below FMAX: a quarter less work
    mel = filters @ power
    return (10.0 * np.log10(np.maximum(mel, 1e-10))).astype(np.float32)


def cache_path(cache_dir: Path, source_id: str) -> Path:
    """Where the log-mel of `source_id` (a file path or track id) is cached."""
    digest = hashlib.sha1(f"{FRONTEND_ID}|{source_id}".encode()).hexdigest()[:20]
    return Path(cache_dir) / "mel" / FRONTEND_ID / f"{digest}.npy"


def cached_log_mel(cache_dir: Path, source_id: str, compute) -> np.ndarray:
    """The cached log-mel for `source_id`, or `compute()`'s result saved atomically to the cache."""
    path = cache_path(cache_dir, source_id)
    if path.is_file():
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
    spec = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, spec, allow_pickle=False)
    os.replace(tmp, path)
    return spec


SPECTROGRAM_SHAPE = (64, 240)  # (mel bands, frames) kept for pictures


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
