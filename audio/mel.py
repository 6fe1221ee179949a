"""Log-mel spectrograms (the CNN's input and the tempo estimator's) and their `.npy` cache.

Parameters come from `audio.params`; `log_mel(y)` returns
np.ndarray [shape=(N_MELS, t), dtype=float32] in dB (power, ref 1.0, floor -100 dB), the tempo
estimator's and the pictures' spectrogram. `model_input(y)` is the sound model's own input: the
log-compressed 16 kHz mel the pretrained musicnn front end was trained on
[shape=(MODEL_N_MELS, t), float32, log10(1 + 10000 * power)].
librosa is imported on first use (its numba JIT is slow to warm; see `audio.warmup`).
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from audio.params import (
    FMAX,
    FMIN,
    FRONTEND_ID,
    HOP_LENGTH,
    MODEL_HOP_LENGTH,
    MODEL_N_FFT,
    MODEL_N_MELS,
    MODEL_SAMPLE_RATE,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
)
from errors import BadInputError
from npyio import load_npy

_FILTERS: dict[int, tuple[object, slice]] = {}


def _sparse(filters: np.ndarray):
    """A mel filterbank as a sparse matrix: each band is a few bins wide, and a sparse product uses no BLAS
    threads, which under CPU contention (indexing threads, TensorFlow beside) made the dense product 20×
    slower (0.6 -> 12 ms for a 30-s model input)."""
    import scipy.sparse

    return scipy.sparse.csr_array(filters.astype(np.float32))


def _mel_filters(sr: int) -> tuple[object, slice]:
    """The mel filterbank (sparse) restricted to the STFT bins it uses (FMIN..FMAX), and those bins."""
    if sr not in _FILTERS:
        import librosa

        full = librosa.filters.mel(sr=sr, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX)
        used = np.flatnonzero(full.any(axis=0))
        bins = slice(int(used[0]), int(used[-1]) + 1)
        _FILTERS[sr] = (_sparse(full[:, bins]), bins)
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


@functools.lru_cache(maxsize=1)
def _model_filters():
    import librosa

    return _sparse(librosa.filters.mel(sr=MODEL_SAMPLE_RATE, n_fft=MODEL_N_FFT, n_mels=MODEL_N_MELS))


def model_input(y: np.ndarray, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The sound model's input from mono `y` [shape=(n,)] at `sr` Hz: musicnn's log-mel at 16 kHz.

    -> [shape=(MODEL_N_MELS, 1 + n' // MODEL_HOP_LENGTH)], float32, where n' is the length at 16 kHz.
    """
    if y.ndim != 1:
        raise BadInputError(f"y has shape {y.shape}; expected mono audio of shape (n,).")
    import librosa
    import soxr

    y16 = soxr.resample(y.astype(np.float32, copy=False), sr, MODEL_SAMPLE_RATE) if sr != MODEL_SAMPLE_RATE else y
    stft = librosa.stft(y16.astype(np.float32, copy=False), n_fft=MODEL_N_FFT, hop_length=MODEL_HOP_LENGTH,
                        center=True)
    power = (stft.real**2 + stft.imag**2).astype(np.float32)
    return np.log10(1.0 + 10_000.0 * (_model_filters() @ power)).astype(np.float32)


def cache_path(cache_dir: Path, source_id: str, kind: str = FRONTEND_ID) -> Path:
    """Where the spectrogram `kind` (FRONTEND_ID: log-mel, MODEL_INPUT_ID: model input) of `source_id` is cached."""
    digest = hashlib.sha1(f"{kind}|{source_id}".encode()).hexdigest()[:20]
    return Path(cache_dir) / "mel" / kind / f"{digest}.npy"


def cached_log_mel(cache_dir: Path, source_id: str, compute, kind: str = FRONTEND_ID) -> np.ndarray:
    """The cached spectrogram `kind` for `source_id`, or `compute()`'s result saved atomically to the cache."""
    path = cache_path(cache_dir, source_id, kind)
    if path.is_file():
        try:
            return load_npy(path)
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
