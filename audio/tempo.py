"""Tempo in BPM for DJ music, with octave handling for the 70-180 BPM range.

The onset-strength envelope (from the log-mel spectrogram) is autocorrelated; each
candidate tempo is scored by a comb over the first beats' lags (interpolated, so the
resolution is far finer than one frame), weighted by a broad prior centred on 128 BPM.
The half- and double-tempo question: a winner below 90 BPM is doubled (86 -> 172, how
DJs count drum & bass) unless the comb at the doubled tempo is under half as strong.

Pulse clarity: the comb score at the winner, as a share of the envelope's variance (the
autocorrelation at lag 0), says how much of the onset envelope repeats at the beat period.
Under MIN_PULSE_CLARITY the clip has no clear beat (a pad, a sine, noise, a voice) and its
confidence is 0: the tempo is then a best guess that is neither shown nor filtered by
(`clear_tempo`). The envelope ignores what lies more than FLOOR_DB under the clip's
loudest bin, so the numerical dust around a pure tone does not read as onsets; the
clarity is measured on the envelope minus its local mean (over DETREND_SECONDS), so a
slow swell does not correlate with itself at every beat lag.
"""

from __future__ import annotations

import numpy as np

from audio.params import HOP_LENGTH, SAMPLE_RATE

MIN_BPM, MAX_BPM = 70.0, 180.0
PRIOR_CENTER_BPM, PRIOR_OCTAVES = 128.0, 0.9
HALF_TIME_BELOW_BPM = 90.0
FLOOR_DB = 80.0  # dB under the loudest mel bin; quieter bins count as that level (librosa's top_db)
DETREND_SECONDS = 1.0  # pulse clarity: the envelope minus its moving average over this long
MIN_PULSE_CLARITY = 0.07  # below: "no clear beat" (measured in bench/audio.md, "Beat or no clear beat")


def onset_envelope(log_mel: np.ndarray) -> np.ndarray:
    """Spectral flux of a log-mel spectrogram [shape=(n_mels, t)] -> [shape=(t,)], mean-removed.

    Bins more than FLOOR_DB under the loudest one are raised to that floor first.
    """
    floored = np.maximum(log_mel, log_mel.max() - FLOOR_DB) if log_mel.size else log_mel
    flux = np.maximum(0.0, np.diff(floored, axis=1)).mean(axis=0)
    flux = np.concatenate([[0.0], flux])
    return flux - flux.mean()


def _minus_local_mean(x: np.ndarray, frames: int) -> np.ndarray:
    """`x` minus its moving average over `frames` (shorter at the edges)."""
    window = np.ones(min(max(1, frames), x.size))
    return x - np.convolve(x, window, mode="same") / np.convolve(np.ones_like(x), window, mode="same")


def _autocorrelation(x: np.ndarray) -> np.ndarray:
    n = x.size
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    return ac / (ac[0] if ac[0] > 0 else 1.0)


def estimate_tempo(log_mel: np.ndarray, *, sr: int = SAMPLE_RATE, hop_length: int = HOP_LENGTH) -> tuple[float, float]:
    """`(bpm, confidence)` for a log-mel spectrogram [shape=(n_mels, t)].

    bpm lies in [70, 180]; confidence in [0, 1] is the comb score of the winner relative
    to the strongest autocorrelation peak, and 0 for silence or a clip with no clear beat
    (pulse clarity under MIN_PULSE_CLARITY; bpm is then only a best guess, see `clear_tempo`).
    """
    bpm, strength, clarity = tempo_and_pulse(log_mel, sr=sr, hop_length=hop_length)
    return bpm, (strength if clarity >= MIN_PULSE_CLARITY else 0.0)


def tempo_and_pulse(log_mel: np.ndarray, *, sr: int = SAMPLE_RATE, hop_length: int = HOP_LENGTH,
                    ) -> tuple[float, float, float]:
    """`(bpm, comb strength, pulse clarity)` for a log-mel spectrogram [shape=(n_mels, t)], before the
    "no clear beat" decision: the strength is the winner's comb score relative to the strongest
    autocorrelation peak, the clarity the share of the envelope's variance at the beat period
    (both 0 for silence). `estimate_tempo` is what the product uses."""
    env = onset_envelope(log_mel)
    if env.size < 64 or not np.any(env):
        return 0.0, 0.0, 0.0
    fps = sr / hop_length
    ac = _autocorrelation(env)
    lags_axis = np.arange(ac.size)

    def comb(bpm: np.ndarray, teeth: int = 8, of: np.ndarray = ac) -> np.ndarray:
        lag = 60.0 * fps / bpm
        ks = np.arange(1, teeth + 1)[:, None]
        positions = ks * lag[None, :]
        valid = positions < of.size - 1
        values = np.interp(np.where(valid, positions, 0), lags_axis, of)
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
    strength = float(np.clip(comb(np.array([best]))[0] / max(ac[2:].max(), 1e-9), 0.0, 1.0))
    # The envelope without its slow trend, so a swell does not correlate with itself at every lag (ac[0] == 1).
    pulse_ac = _autocorrelation(_minus_local_mean(env, round(DETREND_SECONDS * fps)))
    clarity = float(comb(np.array([best]), of=pulse_ac)[0])
    return round(best, 2), round(strength, 3), round(clarity, 3)


def clear_tempo(bpm: float, confidence: float) -> float | None:
    """`bpm` when `estimate_tempo` found a clear beat (confidence > 0), else None: the tempo to show,
    store and filter by. A clip with no clear beat has an unknown tempo, not its best guess."""
    return bpm if confidence > 0 and bpm > 0 else None


def _refine(bpm: float, comb) -> float:
    """The comb's peak within ±3% of `bpm`, with more teeth (a finer tempo)."""
    grid = np.arange(bpm * 0.97, bpm * 1.03, 0.01)
    grid = grid[(grid >= MIN_BPM) & (grid <= MAX_BPM)]
    if grid.size == 0:
        return bpm
    return float(grid[int(np.argmax(comb(grid, teeth=16)))])
