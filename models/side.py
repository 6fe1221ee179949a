"""Side information about tracks: who is credited on them and their label, as a sparse matrix.

Credits are the main and featured artists and the remixer named in the version
(`Track (Dixon Remix)` credits Dixon), folded to one comparison form, so the same artist
spelled two ways is one column. A track's label is one more column (`label_credit`), kept apart
from an artist of the same name by a prefix: records on one label travel together in DJ sets
much as records by one artist do.

>>> matrix, names = track_artist_matrix([["Âme", "Dixon"], ["Ame"], []])
>>> names.tolist(), matrix.toarray().tolist()
(['ame', 'dixon'], [[1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from catalog.identity import fold, parse_track_name

_REMIXER = re.compile(
    r"^(?P<who>.+?)['’]?s?\s+(?:re-?mix|remix|edit|re-?edit|rework|dub|version|refix|bootleg|vip|mix|interpretation)\b",
    re.IGNORECASE,
)
_PLAIN = {
    "original",
    "extended",
    "radio",
    "club",
    "album",
    "main",
    "dub",
    "vocal",
    "instrumental",
    "short",
    "long",
}


def remixer_of(version: str | None) -> str | None:
    """`"Dixon Remix"` → `"Dixon"`; None for versions that name no one (`"Original Mix"`)."""
    if not version:
        return None
    match = _REMIXER.match(version.strip())
    if not match:
        return None
    who = match.group("who").strip()
    return None if fold(who) in _PLAIN or not fold(who) else who


def credited_artists(artist: str, title: str = "", version: str | None = None) -> list[str]:
    """Everyone credited on a track as raw artist/title text describes it (main, featured, remixer)."""
    if not (artist or "").strip():
        return []
    try:
        name = parse_track_name(artist, title or "-", version)
    except ValueError:
        return [artist]
    credits = [*name.artists, *name.featured]
    remixer = remixer_of(name.version)
    if remixer:
        credits.append(remixer)
    return credits


LABEL_PREFIX = "label "


def label_credit(label: str | None) -> list[str]:
    """The side-information entry of a label (`["label Kompakt"]`), or nothing without one."""
    return [LABEL_PREFIX + label.strip()] if label and fold(label) else []


def track_artist_matrix(credits: Sequence[Sequence[str]]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Tracks × artists (1 where credited) and the folded artist name of each column."""
    rows, names = [], []
    folded_of: dict[str, str] = {}  # artists recur across tracks: fold each spelling once
    for row, artists in enumerate(credits):
        folded = set()
        for artist in artists:
            if artist:
                name = folded_of.get(artist)
                if name is None:
                    name = folded_of[artist] = fold(artist)
                if name:
                    folded.add(name)
        rows.extend([row] * len(folded))
        names.extend(folded)
    artist_names, cols = np.unique(np.array(names, dtype=str), return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (np.array(rows, dtype=np.int64), cols.ravel())),
        shape=(len(credits), len(artist_names)),
    )
    return matrix, artist_names
