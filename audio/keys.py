"""Estimating a track's key from audio (names, parsing and Camelot codes live in `catalog.keys`).

A key is `(tonic, mode)`: tonic a pitch class 0..11 (C = 0), mode 'major' or 'minor'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catalog.keys import camelot, key_name

# Key profiles tuned for electronic dance music, C as tonic: Temperley's shape, but the minor profile is
# natural (Aeolian) minor — a flat seventh, no leading tone — as in most EDM (cf. Faraldo et al. 2016),
# and the tonic weighs more, since a bassline sits on it.
_MAJOR_PROFILE = np.array([6.0, 1.5, 3.5, 1.5, 4.5, 4.0, 1.5, 4.5, 1.5, 3.5, 2.0, 3.0])
_MINOR_PROFILE = np.array([6.0, 1.5, 3.5, 4.5, 1.5, 4.0, 1.5, 4.5, 3.5, 1.5, 3.5, 1.5])

TOP_PITCHES_PER_FRAME = 4
OVERTONE_FLOOR_MIDI = 24  # C1 (32.7 Hz): salience is computed from here, so kick drums' overtones can be told apart
OVERTONES = (19, 28, 31, 34)  # semitones above a note of its 3rd, 5th, 6th and 7th harmonics
BASS_BELOW_MIDI = 50  # D3: the bass register is below
BASS_TONIC_WEIGHT = 0.3
MINOR_PRIOR = 0.04  # added to minor keys' scores: most electronic dance music is in minor (Faraldo et al. 2016)


@dataclass(frozen=True)
class KeyEstimate:
    """A key estimate: name ('A minor'), Camelot code ('8A') and confidence in [0, 1]."""

    tonic: int
    mode: str
    confidence: float

    @property
    def name(self) -> str:
        return key_name(self.tonic, self.mode)

    @property
    def camelot(self) -> str:
        return camelot(self.tonic, self.mode)

    def __str__(self) -> str:
        return f"{self.name} / {self.camelot}"


def chroma_profile(
    y: np.ndarray, *, sr: int, lowest_midi: int = 33, highest_midi: int = 84
) -> tuple[np.ndarray, np.ndarray]:
    """Pitch-class profiles of `y`: (all notes, bass notes), each [shape=(12,)], C first, summing to 1.

    A long STFT (8192 samples, 2.7 Hz bins at 22.05 kHz) resolves bass notes. For every
    pitch from C1 (`OVERTONE_FLOOR_MIDI`) to C6, a harmonic salience sums the spectrum at its
    first four harmonics (weights 1, 1/2, 1/3, 1/4), so a note's overtones count for the note
    and not for the pitches they fall on; a pitch that sits on the 3rd, 5th, 6th or 7th harmonic
    (`OVERTONES`) of a stronger one is dropped. Pitches from A1 (`lowest_midi`, above a kick
    drum's tail) count, if they are local maxima of the salience and among the frame's
    `TOP_PITCHES_PER_FRAME` strongest; frames are weighted equally. The bass profile counts
    each frame's lowest-register note. Pitches below A1 are only there to be stronger: a kick
    tuned to E1 (41 Hz) has a 3rd harmonic on B2 that would otherwise read as a bass note on the
    fifth and pull the key to its dominant.
    """
    n_fft = 8192
    hop = n_fft // 2
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    spec = np.sqrt(np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)))
    bin_hz = sr / n_fft
    midis = np.arange(min(OVERTONE_FLOOR_MIDI, lowest_midi), highest_midi + 1)
    salience = np.zeros((spec.shape[0], midis.size))
    for h, weight in ((1, 1.0), (2, 0.5), (3, 1 / 3), (4, 0.25)):
        bins = 440.0 * 2.0 ** ((midis - 69) / 12.0) * h / bin_hz
        idx = np.clip(np.round(bins).astype(int), 1, spec.shape[1] - 2)
        # The strongest of the nearest three bins, where a semitone spans several bins; low down (below
        # ~3 bins a semitone) the neighbours belong to the next pitch, so only the nearest bin counts.
        wide = bins * (2.0 ** (1 / 12) - 1.0) >= 3.0
        neighbours = np.maximum(spec[:, idx - 1], spec[:, idx + 1])
        local = np.where(wide, np.maximum(spec[:, idx], neighbours), spec[:, idx])
        salience += weight * local
    is_peak = np.zeros_like(salience, dtype=bool)
    is_peak[:, 1:-1] = (salience[:, 1:-1] > salience[:, :-2]) & (salience[:, 1:-1] >= salience[:, 2:])
    # A note's 3rd, 5th, 6th and 7th harmonics (a fifth an octave up, a major third, a fifth and a minor
    # seventh two octaves up) make peaks of their own; drop a pitch that sits there above a stronger one.
    for overtone in OVERTONES:
        below = np.zeros_like(salience)
        below[:, overtone:] = salience[:, :-overtone]
        is_peak &= salience >= below
    counted = midis >= lowest_midi
    salience, midis = np.where(is_peak, salience, 0.0)[:, counted], midis[counted]
    # Keep each frame's strongest few pitches: the notes played, not the noise between them.
    if salience.shape[1] > TOP_PITCHES_PER_FRAME:
        cut = np.partition(salience, -TOP_PITCHES_PER_FRAME, axis=1)[:, -TOP_PITCHES_PER_FRAME][:, None]
        salience = np.where(salience >= cut, salience, 0.0)
    norms = salience.sum(axis=1, keepdims=True)
    salience = np.divide(salience, norms, out=np.zeros_like(salience), where=norms > 0)
    chroma = _normalised(np.bincount(midis % 12, weights=salience.sum(axis=0), minlength=12))
    # The bass note of each frame: the strongest pitch below D3, where a bassline sits.
    bass = salience[:, midis < BASS_BELOW_MIDI]
    voiced = bass.max(axis=1) > 0
    bass_notes = midis[np.argmax(bass, axis=1)][voiced] % 12
    return chroma, _normalised(np.bincount(bass_notes, minlength=12).astype(float))


def _normalised(v: np.ndarray) -> np.ndarray:
    total = v.sum()
    return v / total if total > 0 else v


def tonal_spread(chroma: np.ndarray) -> float:
    """How many pitch classes `chroma` [shape=(12,), sums to 1] holds, as a factor in [0, 1] on key confidence:
    0 for one (a sine, a drone: its mode cannot be known), 1 from three on (a triad, a scale, a track).
    Counted as the exponential of the chroma's entropy (1.5 or less → 0, 3 or more → 1; measured in
    bench/audio.md: 5 % of real electronic clips hold fewer than 3.4)."""
    held = chroma[chroma > 0]
    classes = float(np.exp(-(held * np.log(held)).sum()))
    return float(np.clip((classes - 1.5) / 1.5, 0.0, 1.0))


def estimate_key(y: np.ndarray, *, sr: int) -> KeyEstimate:
    """Best key for the chroma of `y` by correlation with the 24 rotated key profiles, plus
    `BASS_TONIC_WEIGHT` times the share of frames whose bass note is the key's tonic, plus
    `MINOR_PRIOR` for minor keys.

    Confidence is the margin of the best correlation over the runner-up, scaled to [0, 1]
    (0 = a tie, 1 = a clear winner), times `tonal_spread`; a silent or atonal clip gets confidence 0.
    """
    chroma, bass = chroma_profile(y, sr=sr)
    if not chroma.any():
        return KeyEstimate(tonic=9, mode="minor", confidence=0.0)
    scores = []
    for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
        for tonic in range(12):
            fit = float(np.corrcoef(chroma, np.roll(profile, tonic))[0, 1])
            prior = MINOR_PRIOR if mode == "minor" else 0.0
            scores.append((fit + BASS_TONIC_WEIGHT * bass[tonic] + prior, tonic, mode))
    scores.sort(reverse=True)
    (best, tonic, mode), runner_up = scores[0], scores[1][0]
    margin = float(np.clip((best - runner_up) / max(1e-9, 1.0 - runner_up) * 4.0, 0.0, 1.0))
    confidence = margin * tonal_spread(chroma)
    return KeyEstimate(tonic=tonic, mode=mode, confidence=round(confidence, 3))
