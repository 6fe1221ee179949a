"""Beat or "no clear beat": pulse clarity and tempo confidence on beatless and beat clips (see bench/audio.md).

Usage: python bench/audio_pulse_clarity.py [--shared ../shared] [--seeds 5]

Groups: synthesised beatless audio (`audio.synth.synthesize_beatless`: sine, chord pad, pink noise, swell;
5 s and 20 s), synthesised grooves (`synthesize_clip`, 10 per style, 30 s), the CC clips of
`fixtures/audio/librosa-cc` (one line each: some have no drums) and the 10-s House/Techno/Trance clips of
`fixtures/audio/audioset-electronic`. A clip is called "no clear beat" when `estimate_tempo` gives it
confidence 0 (pulse clarity under `audio.tempo.MIN_PULSE_CLARITY`).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from audio.decode import decode_file  # noqa: E402
from audio.mel import log_mel  # noqa: E402
from audio.synth import BEATLESS, STYLE_TEMPO, STYLES, synthesize_beatless, synthesize_clip  # noqa: E402
from audio.tempo import MIN_PULSE_CLARITY, estimate_tempo, tempo_and_pulse  # noqa: E402


def measure(y: np.ndarray) -> dict:
    mel = log_mel(y)
    bpm, strength, clarity = tempo_and_pulse(mel)
    return {"bpm": bpm, "strength": strength, "clarity": clarity, "confidence": estimate_tempo(mel)[1]}


def summary(name: str, rows: list[dict]) -> None:
    clarity = np.array([r["clarity"] for r in rows])
    conf = np.array([r["confidence"] for r in rows])
    strength = np.array([r["strength"] for r in rows])

    def q(v):
        return " ".join(f"{x:.3f}" for x in np.percentile(v, [0, 5, 25, 50, 75, 100]))

    print(f"{name}: n={len(rows)}, no clear beat {int((conf == 0).sum())}")
    print(f"  pulse clarity       min/p5/p25/median/p75/max {q(clarity)}")
    print(f"  comb strength       min/p5/p25/median/p75/max {q(strength)}")
    print(f"  new confidence      min/p5/p25/median/p75/max {q(conf)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print(f"MIN_PULSE_CLARITY = {MIN_PULSE_CLARITY}")

    for seconds in (5.0, 20.0):
        rows = [{"name": f"{kind} {seed}", **measure(synthesize_beatless(kind, seed=seed, seconds=seconds))}
                for kind in BEATLESS for seed in range(args.seeds)]
        summary(f"synthesised beatless, {seconds:.0f} s", rows)
        for r in rows:
            if r["confidence"] > 0:
                print(f"    called a beat: {r['name']}: {r['bpm']} BPM, clarity {r['clarity']:.3f}")

    rng = np.random.default_rng(123)
    rows = []
    for i in range(10 * len(STYLES)):
        style = STYLES[i % len(STYLES)]
        bpm = float(np.round(rng.uniform(*STYLE_TEMPO[style]), 1))
        rows.append({"name": f"{style} {bpm}", **measure(synthesize_clip(style, bpm, "A minor", seed=i, seconds=30.0))})
    summary("synthesised grooves, 30 s", rows)

    cc = args.shared / "fixtures" / "audio" / "librosa-cc"
    if cc.is_dir():
        print("CC clips (librosa-cc):")
        for path in sorted(cc.glob("*.ogg")):
            r = measure(decode_file(path).y)
            verdict = "no clear beat" if r["confidence"] == 0 else f"{r['bpm']:.1f} BPM"
            print(f"  {path.stem[:48]:48s} clarity {r['clarity']:.3f}  strength {r['strength']:.3f}  "
                  f"new {r['confidence']:.3f}  -> {verdict}")

    electronic = args.shared / "fixtures" / "audio" / "audioset-electronic"
    if electronic.is_dir():
        with open(electronic / "labels.csv", newline="", encoding="utf-8") as f:
            genre = {row["file"]: row["single_genre_v2"] or "?" for row in csv.DictReader(f)}
        rows = [{"name": f"{genre.get(p.name, '?')} {p.name}", **measure(decode_file(p).y)}
                for p in sorted(electronic.glob("*.wav"))]
        summary("AudioSet electronic (House/Techno/Trance), 10 s", rows)
        for r in sorted(rows, key=lambda r: r["clarity"])[:6]:
            print(f"    lowest clarity: {r['name']}: {r['bpm']} BPM, clarity {r['clarity']:.3f}, "
                  f"confidence {r['confidence']:.3f}")


if __name__ == "__main__":
    main()
