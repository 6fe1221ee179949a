"""Musical keys, Camelot codes and harmonic compatibility.

Camelot codes number the circle of fifths 1–12; `A` is minor, `B` major.
Two keys mix harmonically when their codes are equal, one step apart on the
same letter, or the same number on the other letter (relative major/minor).
"""

from __future__ import annotations

import re

NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
KEYS = tuple(f"{note} {mode}" for mode in ("minor", "major") for note in NOTES)

CAMELOT = {
    "G# minor": "1A", "D# minor": "2A", "A# minor": "3A", "F minor": "4A", "C minor": "5A", "G minor": "6A",
    "D minor": "7A", "A minor": "8A", "E minor": "9A", "B minor": "10A", "F# minor": "11A", "C# minor": "12A",
    "B major": "1B", "F# major": "2B", "C# major": "3B", "G# major": "4B", "D# major": "5B", "A# major": "6B",
    "F major": "7B", "C major": "8B", "G major": "9B", "D major": "10B", "A major": "11B", "E major": "12B",
}
_FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
_CODE = re.compile(r"^(1[0-2]|[1-9])([AB])$", re.IGNORECASE)


def camelot_code(key: str | None) -> str | None:
    """`"A minor"` → `"8A"`; also accepts flats (`"Bb major"`) and codes themselves; None if unknown."""
    if not key:
        return None
    key = key.strip()
    if _CODE.match(key):
        return key.upper()
    parts = key.replace("min", "minor").replace("maj", "major").split()
    if len(parts) != 2:
        return None
    note = _FLATS.get(parts[0], parts[0][:1].upper() + parts[0][1:])
    mode = "minor" if parts[1].lower().startswith("minor") else "major"
    return CAMELOT.get(f"{note} {mode}")


def camelot_distance(a: str | None, b: str | None) -> int | None:
    """Steps between two codes: 0 same, 1 neighbour or relative, 2+ further; None if either unknown."""
    ma, mb = _CODE.match(a or ""), _CODE.match(b or "")
    if not ma or not mb:
        return None
    na, nb = int(ma.group(1)), int(mb.group(1))
    steps = min((na - nb) % 12, (nb - na) % 12)
    return steps + (0 if ma.group(2).upper() == mb.group(2).upper() else 1)


def harmonic_match(a: str | None, b: str | None) -> str:
    """'same', 'compatible' (a Camelot neighbour), 'clash', or 'unknown'."""
    distance = camelot_distance(a, b)
    if distance is None:
        return "unknown"
    return "same" if distance == 0 else "compatible" if distance == 1 else "clash"
