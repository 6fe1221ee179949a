"""Musical keys: names, parsing, Camelot codes and harmonic compatibility (pure Python, no audio).

A key is `(tonic, mode)`: tonic a pitch class 0..11 (C = 0), mode 'major' or 'minor'. Names are
spelled one way, as DJ software does (`PITCH_NAMES`: 'Eb minor', not 'D# minor'); parsing accepts
any enharmonic spelling and Camelot codes. Camelot codes number the circle of fifths 1–12, `A` minor
and `B` major; two keys mix when their codes are equal, one step apart on the same letter, or the
same number on the other letter (relative major/minor). `audio.keys` estimates keys from sound.
"""

from __future__ import annotations

import re

from errors import BadInputError, quoted

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Camelot number of each minor tonic (A minor = 8A) and major tonic (C major = 8B).
_CAMELOT_MINOR = {9: 8, 4: 9, 11: 10, 6: 11, 1: 12, 8: 1, 3: 2, 10: 3, 5: 4, 0: 5, 7: 6, 2: 7}
_CAMELOT_MAJOR = {0: 8, 7: 9, 2: 10, 9: 11, 4: 12, 11: 1, 6: 2, 1: 3, 8: 4, 3: 5, 10: 6, 5: 7}
_CODE = re.compile(r"^(1[0-2]|[1-9])\s*([AB])$", re.IGNORECASE)


def key_name(tonic: int, mode: str) -> str:
    """'A minor' for `(9, 'minor')`."""
    return f"{PITCH_NAMES[tonic % 12]} {mode}"


def camelot(tonic: int, mode: str) -> str:
    """Camelot wheel code: '8A' for A minor, '8B' for C major."""
    return f"{_CAMELOT_MINOR[tonic % 12]}A" if mode == "minor" else f"{_CAMELOT_MAJOR[tonic % 12]}B"


KEYS = tuple(key_name(tonic, mode) for mode in ("minor", "major") for tonic in range(12))
CAMELOT = {key_name(tonic, mode): camelot(tonic, mode) for mode in ("minor", "major") for tonic in range(12)}


def parse_key(text: str) -> tuple[int, str]:
    """`(tonic, mode)` of 'A minor', 'Am', 'F# major', 'Gb', 'Bbm', '8A' or '12B'."""
    s = text.strip()
    m = _CODE.fullmatch(s)
    if m:
        number, letter = int(m.group(1)), m.group(2).upper()
        table = _CAMELOT_MINOR if letter == "A" else _CAMELOT_MAJOR
        tonic = next(t for t, code in table.items() if code == number)
        return tonic, "minor" if letter == "A" else "major"
    m = re.fullmatch(r"([A-Ga-g])\s*([#♯b♭]?)\s*(major|maj|minor|min|m)?", s, flags=re.IGNORECASE)
    if not m:
        raise BadInputError(f"key={quoted(text)} is not a key; write e.g. 'A minor', 'F# major' or '8A'.")
    tonic = _PITCH[m.group(1).upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1, "": 0}[m.group(2)]
    word = (m.group(3) or "major").lower()
    mode = "minor" if word in ("minor", "min", "m") else "major"
    return tonic % 12, mode


def camelot_code(key: str | None) -> str | None:
    """`"A minor"` → `"8A"` (any spelling, or a code itself); None when it is not a key."""
    if not key:
        return None
    try:
        return camelot(*parse_key(key))
    except BadInputError:
        return None


def camelot_distance(a: str | None, b: str | None) -> int | None:
    """Steps between two codes: 0 same, 1 neighbour or relative, 2+ further; None if either unknown."""
    ma, mb = _CODE.match((a or "").strip()), _CODE.match((b or "").strip())
    if not ma or not mb:
        return None
    na, nb = int(ma.group(1)), int(mb.group(1))
    steps = min((na - nb) % 12, (nb - na) % 12)
    return steps + (0 if ma.group(2).upper() == mb.group(2).upper() else 1)


def camelot_compatible(code_a: str, code_b: str) -> bool:
    """True when two Camelot codes mix harmonically: same code, ±1 on the same ring, or same number."""
    distance = camelot_distance(code_a, code_b)
    return distance is not None and distance <= 1


def harmonic_match(a: str | None, b: str | None) -> str:
    """'same', 'compatible' (a Camelot neighbour), 'clash', or 'unknown'."""
    distance = camelot_distance(a, b)
    if distance is None:
        return "unknown"
    return "same" if distance == 0 else "compatible" if distance == 1 else "clash"
