"""Synthetic demo audio: a style-typical groove at a known tempo in a known key.

`synthesize_clip("techno", 132.0, "A minor", seed=7)` renders 30 s of mono float32 audio
with the drum pattern, bassline, chords and timbre typical of the style, so the demo's
CNN has real distinctions to learn and tempo/key estimates can be checked against
truth. Deterministic per `(style, bpm, key, seed, seconds, sr)`; ~30-60 ms per clip.

Styles: house, tech house, techno, drum & bass, trance, breaks (`STYLES`; aliases such
as "dnb" are accepted). `STYLE_TEMPO[style]` is the style's typical BPM range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from audio.params import SAMPLE_RATE
from catalog.keys import parse_key
from errors import BadInputError

STYLES = ("house", "tech house", "techno", "drum & bass", "trance", "breaks")
STYLE_TEMPO = {
    "house": (118.0, 126.0),
    "tech house": (122.0, 128.0),
    "techno": (126.0, 140.0),
    "drum & bass": (168.0, 176.0),
    "trance": (134.0, 142.0),
    "breaks": (126.0, 136.0),
}
_ALIASES = {"dnb": "drum & bass", "drum and bass": "drum & bass", "drum n bass": "drum & bass",
            "d&b": "drum & bass", "techhouse": "tech house", "tech-house": "tech house", "breakbeat": "breaks"}


def canonical_style(style: str) -> str:
    """`style` as one of `STYLES` (case and common aliases forgiven)."""
    name = " ".join(style.lower().replace("_", " ").split())
    name = _ALIASES.get(name, name)
    if name not in STYLES:
        raise BadInputError(f"style={style!r} is not one of {', '.join(STYLES)}.")
    return name


@dataclass(frozen=True)
class _Groove:
    """Per-style 16-step patterns (one bar of 16ths; velocities 0..1) and timbre."""

    kick: tuple
    snare: tuple
    hat: tuple
    open_hat: tuple
    bass: tuple  # steps where a bass note starts
    bass_len: float  # note length in steps
    bass_wave: str  # 'saw', 'square', 'sine', 'reese'
    bass_cutoff: float  # Hz
    chords: str  # 'stab', 'pad' or 'arp'
    drive: float  # waveshaping amount (0 = clean)
    swing: float  # delay of odd 16ths as a fraction of a step
    bars: int = 1  # pattern length in bars (patterns repeat every `bars`)


def _steps(*on: int, n: int = 16, v: float = 1.0) -> tuple:
    return tuple(v if i in on else 0.0 for i in range(n))


_GROOVES = {
    "house": _Groove(kick=_steps(0, 4, 8, 12), snare=_steps(4, 12, v=0.8), hat=_steps(2, 6, 10, 14, v=0.5),
                     open_hat=_steps(2, 6, 10, 14, v=0.6), bass=_steps(2, 5, 10, 13), bass_len=1.5,
                     bass_wave="square", bass_cutoff=700, chords="stab", drive=0.0, swing=0.12),
    "tech house": _Groove(kick=_steps(0, 4, 8, 12), snare=_steps(4, 12, v=0.7),
                          hat=tuple(0.35 + 0.3 * (i % 2) for i in range(16)), open_hat=_steps(2, 10, v=0.4),
                          bass=_steps(0, 3, 6, 7, 10, 14), bass_len=1.0, bass_wave="saw", bass_cutoff=500,
                          chords="stab", drive=0.5, swing=0.18),
    "techno": _Groove(kick=_steps(0, 4, 8, 12, v=1.0), snare=_steps(n=16), hat=tuple(0.4 for _ in range(16)),
                      open_hat=_steps(2, 6, 10, 14, v=0.5), bass=_steps(2, 6, 10, 14), bass_len=1.0,
                      bass_wave="saw", bass_cutoff=350, chords="stab", drive=2.0, swing=0.0),
    "drum & bass": _Groove(kick=_steps(0, 10, 16, 26, n=32),
                           snare=_steps(4, 12, 20, 28, n=32), hat=tuple(0.35 if i % 2 == 0 else 0.2 for i in range(32)),
                           open_hat=_steps(14, 30, n=32, v=0.4), bass=_steps(0, 10, 16, 22, n=32), bass_len=5.0,
                           bass_wave="reese", bass_cutoff=400, chords="pad", drive=0.8, swing=0.0, bars=2),
    "trance": _Groove(kick=_steps(0, 4, 8, 12), snare=_steps(4, 12, v=0.5), hat=_steps(2, 6, 10, 14, v=0.6),
                      open_hat=_steps(2, 6, 10, 14, v=0.5), bass=_steps(1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15),
                      bass_len=0.8, bass_wave="saw", bass_cutoff=900, chords="arp", drive=0.2, swing=0.0),
    "breaks": _Groove(kick=_steps(0, 7, 10, 16, 26, n=32), snare=_steps(4, 12, 20, 28, 31, n=32),
                      hat=tuple(0.4 if i % 2 == 0 else 0.15 for i in range(32)), open_hat=_steps(6, 22, n=32, v=0.4),
                      bass=_steps(0, 3, 7, 10, 16, 19, 23, 26, n=32), bass_len=2.0, bass_wave="sine",
                      bass_cutoff=300, chords="stab", drive=1.0, swing=0.08, bars=2),
}

_MINOR = (0, 2, 3, 5, 7, 8, 10)
_MAJOR = (0, 2, 4, 5, 7, 9, 11)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _lowpass(x: np.ndarray, cutoff: float, sr: int) -> np.ndarray:
    a = float(np.exp(-2.0 * np.pi * cutoff / sr))
    y = lfilter([1.0 - a], [1.0, -a], x)
    return lfilter([1.0 - a], [1.0, -a], y)  # two poles: 12 dB/octave


def _highpass(x: np.ndarray, cutoff: float, sr: int) -> np.ndarray:
    return x - _lowpass(x, cutoff, sr)


def _osc(wave: str, hz: float, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / sr
    phase = rng.random()
    if wave == "sine":
        return np.sin(2 * np.pi * (hz * t + phase))
    if wave == "square":
        return np.sign(np.sin(2 * np.pi * (hz * t + phase))) * 0.6
    if wave == "reese":
        return 0.5 * (_saw(hz * 0.996, t, phase) + _saw(hz * 1.004, t, phase + 0.3))
    return _saw(hz, t, phase)


def _saw(hz: float, t: np.ndarray, phase: float) -> np.ndarray:
    return 2.0 * ((hz * t + phase) % 1.0) - 1.0


def _envelope(n: int, sr: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / sr
    return np.minimum(1.0, t / max(attack, 1e-4)) * np.exp(-t / decay)


def _place(out: np.ndarray, sound: np.ndarray, start: int, gain: float) -> None:
    if start >= out.size or gain <= 0:
        return
    end = min(out.size, start + sound.size)
    out[start:end] += gain * sound[: end - start]


def _drum_kit(style: str, sr: int, rng: np.random.Generator, kick_hz: float) -> dict[str, np.ndarray]:
    """One-shot drum sounds; the kick's pitch falls to `kick_hz` (producers tune the kick to the key)."""
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    top = 160 + 60 * rng.random() if style != "drum & bass" else 200.0
    sweep = kick_hz + (top - kick_hz) * np.exp(-t / 0.03)
    kick = np.sin(2 * np.pi * np.cumsum(sweep) / sr) * np.exp(-t / (0.18 if style == "techno" else 0.12))
    noise = rng.standard_normal(int(0.3 * sr))
    snare = _highpass(noise, 900, sr) * _envelope(noise.size, sr, 0.001, 0.06 if style != "house" else 0.09)
    snare[: int(0.1 * sr)] += 0.5 * np.sin(2 * np.pi * 190 * t[: int(0.1 * sr)]) * np.exp(-t[: int(0.1 * sr)] / 0.03)
    hat_noise = _highpass(rng.standard_normal(int(0.25 * sr)), 6000 + 2000 * rng.random(), sr)
    hat = hat_noise * _envelope(hat_noise.size, sr, 0.0005, 0.018)
    open_hat = hat_noise * _envelope(hat_noise.size, sr, 0.0005, 0.09)
    return {"kick": kick, "snare": snare * 0.7, "hat": hat * 0.5, "open_hat": open_hat * 0.35}


def synthesize_clip(
    style: str, bpm: float, key: str, seed: int, seconds: float = 30.0, sr: int = SAMPLE_RATE
) -> np.ndarray:
    """Render a `seconds`-long groove of `style` at `bpm` in `key` ("A minor", "8A", "F# major").

    Returns np.ndarray [shape=(round(seconds*sr),), dtype=float32], peak-normalised to 0.9.
    The tonic of `key` dominates the bassline and chords; the pattern, sounds and mix vary with `seed`.
    """
    style = canonical_style(style)
    if not 40.0 <= bpm <= 250.0:
        raise BadInputError(f"bpm={bpm} is outside 40-250.")
    tonic, mode = parse_key(key)
    rng = np.random.default_rng([seed, int(round(bpm * 100)), tonic, mode == "minor", STYLES.index(style)])
    groove = _GROOVES[style]
    n = int(round(seconds * sr))
    step = 60.0 / bpm / 4.0  # seconds per 16th
    n_steps = int(np.ceil(seconds / step)) + 1
    pattern_len = 16 * groove.bars
    scale = _MINOR if mode == "minor" else _MAJOR
    root = 33 + (tonic - 9) % 12  # between A1 and G#2
    kit = _drum_kit(style, sr, rng, kick_hz=_hz(root if root <= 37 else root - 12))
    drums = np.zeros(n + sr, dtype=np.float64)
    music = np.zeros(n + sr, dtype=np.float64)

    def start_of(i: int) -> int:
        return int(round((i * step + (groove.swing * step if i % 2 else 0.0)) * sr))

    # Drums, with a few seeded ghost notes.
    ghosts = rng.random(pattern_len) < 0.12
    for i in range(n_steps):
        s = i % pattern_len
        at = start_of(i)
        _place(drums, kit["kick"], at, groove.kick[s])
        _place(drums, kit["snare"], at, groove.snare[s] or (0.25 if ghosts[s] and style in ("breaks", "drum & bass") else 0))
        _place(drums, kit["hat"], at, groove.hat[s] * (0.8 + 0.4 * rng.random()))
        _place(drums, kit["open_hat"], at, groove.open_hat[s])

    # Bassline: mostly the tonic, sometimes the fifth or another scale degree.
    degrees = rng.choice([0, 0, 0, 0, 0, 4, 2, 0], size=pattern_len)
    bass_steps = [s for s in range(pattern_len) if groove.bass[s]]
    degrees[bass_steps[0]] = 0  # the riff starts on the tonic ...
    degrees[bass_steps[len(bass_steps) // 2 + int(rng.integers(0, 2))]] = 2  # ... and states the mode with its third
    for i in range(n_steps):
        s = i % pattern_len
        if not groove.bass[s]:
            continue
        midi = root + scale[degrees[s] % 7] + (12 if degrees[s] >= 7 else 0)
        length = int(groove.bass_len * step * sr)
        note = _osc(groove.bass_wave, _hz(midi), length, sr, rng) * _envelope(length, sr, 0.003, groove.bass_len * step * 0.7)
        _place(music, note, start_of(i), 0.55)
    music = _lowpass(music, groove.bass_cutoff * (0.8 + 0.4 * rng.random()), sr)

    # Chords: the tonic triad half the time, otherwise the 4th, 5th or 7th degree's triad.
    chords = np.zeros_like(music)
    bar = 16 * step
    progression = [0, int(rng.choice([3, 6])), 0, int(rng.choice([3, 4, 6]))]
    n_bars = int(np.ceil(seconds / bar))
    for b in range(n_bars):
        degree = progression[b % 4]
        triad = [57 + (tonic - 9) % 12 + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
        bar_start = int(round(b * bar * sr))
        if groove.chords == "pad":
            length = int(bar * sr)
            for m in triad:
                tone = _osc("saw", _hz(m), length, sr, rng) * _envelope(length, sr, 0.4, bar)
                _place(chords, tone, bar_start, 0.12)
        elif groove.chords == "stab":
            length = int(2 * step * sr)
            for hit in (3, 6, 11) if style == "house" else (2, 10):
                for m in triad:
                    tone = _osc("square" if style == "house" else "saw", _hz(m), length, sr, rng)
                    _place(chords, tone * _envelope(length, sr, 0.002, step * 0.8), bar_start + int(hit * step * sr), 0.15)
        else:  # arp: 16ths cycling through the triad and its octave
            length = int(step * sr)
            notes = triad + [triad[0] + 12]
            for k in range(16):
                tone = _osc("saw", _hz(notes[k % 4]), length, sr, rng) * _envelope(length, sr, 0.002, step * 0.6)
                _place(chords, tone, bar_start + int(k * step * sr), 0.16)
    chords = _lowpass(chords, 2500 + 2000 * rng.random(), sr)

    mix = drums * (0.8 + 0.2 * rng.random()) + music + chords
    if groove.drive:
        mix = np.tanh((1.0 + groove.drive) * mix) / np.tanh(1.0 + groove.drive)
    mix = mix[:n]
    mix += 0.002 * rng.standard_normal(n)  # a noise floor like a real recording's
    peak = float(np.max(np.abs(mix))) or 1.0
    return (0.9 * mix / peak).astype(np.float32)


BEATLESS = ("sine", "chord pad", "pink noise", "swell")


def synthesize_beatless(kind: str, seed: int = 0, seconds: float = 20.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Render `seconds` of audio without a beat, to check that tempo estimation says "no clear beat".

    kind: "sine" (a steady 440 Hz tone), "chord pad" (an A minor triad of slightly detuned, low-passed saws
    with a slow attack), "pink noise", or "swell" (the pad over pink noise, rising and falling every 8 s).
    Returns np.ndarray [shape=(round(seconds*sr),), dtype=float32], peak-normalised to 0.9.
    """
    if kind not in BEATLESS:
        raise BadInputError(f"kind={kind!r} is not one of {', '.join(BEATLESS)}.")
    rng = np.random.default_rng([seed, BEATLESS.index(kind)])
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    if kind == "sine":
        y = np.sin(2 * np.pi * 440.0 * t)
    else:
        pad = sum(_saw(_hz(m) * (1 + rng.uniform(-0.004, 0.004)), t, rng.random()) for m in (57, 60, 64, 69))
        pad = _lowpass(pad, 1500.0, sr) * (1 - np.exp(-t / 1.5))
        spectrum = np.fft.rfft(rng.standard_normal(n))
        spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))  # 1/f power: pink
        spectrum[0] = 0.0
        noise = np.fft.irfft(spectrum, n)
        noise *= np.std(pad[n // 2:]) / np.std(noise) if kind == "swell" else 1.0
        y = {"chord pad": pad, "pink noise": noise,
             "swell": (pad + 0.5 * noise) * (0.55 - 0.45 * np.cos(2 * np.pi * t / 8.0))}[kind]
    peak = float(np.max(np.abs(y))) or 1.0
    return (0.9 * y / peak).astype(np.float32)
