"""Tempo in BPM for DJ music, with octave handling for the 70-180 BPM range.

The onset-strength envelope (from the log-mel spectrogram) is autocorrelated; each
candidate tempo is scored by a comb over the first beats' lags (interpolated, so the
resolution is far finer than one frame), weighted by a broad prior centred on 128 BPM.
The half- and double-tempo question: a winner below 90 BPM is doubled (86 -> 172, how
DJs count drum & bass) unless the comb at the doubled tempo is under half as strong.
"""

from __future__ import annotations

import numpy as np

from audio.params import HOP_LENGTH, SAMPLE_RATE

MIN_BPM, MAX_BPM = 70.0, 180.0
PRIOR_CENTER_BPM, PRIOR_OCTAVES = 128.0, 0.9
HALF_TIME_BELOW_BPM = 90.0


def onset_envelope(log_mel: np.ndarray) -> np.ndarray:
    """Spectral flux of a log-mel spectrogram [shape=(n_mels, t)] -> [shape=(t,)], mean-removed."""
    flux = np.maximum(0.0, np.diff(log_mel, axis=1)).mean(axis=0)
    flux = np.concatenate([[0.0], flux])
    return flux - flux.mean()


def _autocorrelation(x: np.ndarray) -> np.ndarray:
    n = x.size
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    return ac / (ac[0] if ac[0] > 0 else 1.0)


def estimate_tempo(log_mel: np.ndarray, *, sr: int = SAMPLE_RATE, hop_length: int = HOP_LENGTH) -> tuple[float, float]:
    """`(bpm, confidence)` for a log-mel spectrogram [shape=(n_mels, t)].

    bpm lies in [70, 180]; confidence in [0, 1] is the comb score of the winner relative
    to the strongest autocorrelation peak (0 for silence or no pulse).
    """
    env = onset_envelope(log_mel)
    if env.size < 64 or not np.any(env):
        return 0.0, 0.0
    fps = sr / hop_length
    ac = _autocorrelation(env)
    lags_axis = np.arange(ac.size)

    def comb(bpm: np.ndarray, teeth: int = 8) -> np.ndarray:
        lag = 60.0 * fps / bpm
        ks = np.arange(1, teeth + 1)[:, None]
        positions = ks * lag[None, :]
        valid = positions < ac.size - 1
        values = np.interp(np.where(valid, positions, 0), lags_axis, ac)
        return np.where(valid, values, 0).sum(axis=0) / np.maximum(valid.sum(axis=0), 1)

    grid = np.arange(MIN_BPM / 2, MAX_BPM * 2 + 0.05, 0.05)
    scores = comb(grid)
    prior = np.exp(-0.5 * (np.log2(grid / PRIOR_CENTER_BPM) / PRIOR_OCTAVES) ** 2)
    in_range = (grid >= MIN_BPM) & (grid <= MAX_BPM)
    weighted = np.where(in_range, scores * prior, -np.inf)
    best = float(grid[int(np.argmax(weighted))])
    # Octave check: below 90 BPM, twice the tempo (drum & bass, not half-time) wins unless its comb is weak.
    double = best * 2
    if best < HALF_TIME_BELOW_BPM and double <= MAX_BPM:
        if comb(np.array([double]))[0] >= 0.5 * comb(np.array([best]))[0]:
            best = double
    best = _refine(best, comb)
    confidence = float(np.clip(comb(np.array([best]))[0] / max(ac[2:].max(), 1e-9), 0.0, 1.0))
    return round(best, 2), round(confidence, 3)


def _refine(bpm: float, comb) -> float:
    """The comb's peak within ±3% of `bpm`, with more teeth (a finer tempo)."""
    grid = np.arange(bpm * 0.97, bpm * 1.03, 0.01)
    grid = grid[(grid >= MIN_BPM) & (grid <= MAX_BPM)]
    if grid.size == 0:
        return bpm
    return float(grid[int(np.argmax(comb(grid, teeth=16)))])
