"""Typo-tolerant track search: the fallback when `catalog.queries.search_tracks` finds nothing.

A typed word of `MIN_FUZZY_CHARS` letters or more may be one edit away from a word of the track's search
text (a letter wrong, missing, added, or two swapped: `solomon` finds `solomun`, `dreamng` `dreaming`);
shorter words must start a word as typed. SQLite narrows the tracks first: a word one edit away keeps
one of the typed word's halves intact (or, for two letters swapped across them, the letters around the
swap), so each long word asks for either half anywhere in the search text
(a scan of the covering index `tracks_search`, as the exact search does); Python then checks the edits
on at most `MAX_SCANNED` texts (more, and nothing is guessed: the texts read would be the alphabet's first,
not the closest).
"""

from __future__ import annotations

import re
import sqlite3

from catalog.identity import search_sides

MIN_FUZZY_CHARS = 4  # `ame`, `dj`, `ep` are too short to guess at
MAX_SCANNED = 20_000  # texts checked in Python (~0.1 s); a query this vague is not worth guessing at
_WORD = re.compile(r"\w+")  # folded text keeps letters of every script (`catalog.identity.fold`)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by at most one substitution, insertion, deletion or swap of neighbours."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 1:i + 2] == b[i:i + 1] and a[i:i + 1] == b[i + 1:i + 2]
                                          and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]


def _patterns(word: str) -> list[str]:
    """GLOB patterns of which a text holding a word one edit from `word` matches at least one."""
    if len(word) < MIN_FUZZY_CHARS:
        return [f"{word}*", f"* {word}*", f"*({word}*"]
    half = len(word) // 2  # two neighbours swapped across the halves keep the letters either side of them
    return [f"*{word[:half]}*", f"*{word[half:]}*", f"*{word[:half - 1]}??{word[half + 1:]}*"]


def _fits(word: str, text_words: list[str]) -> int | None:
    """Edits (0 or 1) between `word` and the text word it is closest to; None when none is near enough."""
    if len(word) < MIN_FUZZY_CHARS:
        return 0 if any(w.startswith(word) for w in text_words) else None
    if any(w.startswith(word) for w in text_words):
        return 0
    n = len(word)  # a word typed so far: compared with each text word's beginnings one letter either side of it
    return 1 if any(one_edit_apart(word, w[:m]) for w in text_words for m in (n - 1, n, n + 1)) else None


def _on_sides(search: str, sides: tuple[list[str], list[str]]) -> bool:
    """Whether each typed artist word is near a word of the track's credits and each title word near one of its
    title (`sides`: the folded words typed either side of ' - ')."""
    credits, title = (_WORD.findall(side) for side in search_sides(search))
    artist_words, title_words = sides
    return (all(_fits(w, credits) is not None for w in artist_words)
            and all(_fits(w, title) is not None for w in title_words))


def fuzzy_search_tracks(conn: sqlite3.Connection, words: list[str], *, limit: int = 10,
                        sides: tuple[list[str], list[str]] | None = None) -> list[sqlite3.Row]:
    """Tracks whose search text has, for each of the folded `words`, a word at most one edit away (a prefix
    counts as typed so far), fewest edits first, then most-played. With `sides` (the words typed as artist and as
    title of `artist - title`), tracks that fit them side by side come before those that fit only across them
    (`Homer - Solomun Tribute` for `Solomon - Home`). Rows as `search_tracks` gives them."""
    words = list(dict.fromkeys(w for w in words if w))
    if not any(len(w) >= MIN_FUZZY_CHARS for w in words):
        return []  # short words start a word as typed: the exact search has looked for that already
    groups = [_patterns(w) for w in sorted(words, key=len, reverse=True)]  # the rarest first: AND stops early
    where = " AND ".join("(" + " OR ".join(["search GLOB ?"] * len(g)) + ")" for g in groups)
    scanned = conn.execute(f"SELECT id, search FROM tracks INDEXED BY tracks_search WHERE {where} LIMIT ?",
                           (*[p for g in groups for p in g], MAX_SCANNED + 1)).fetchall()
    if len(scanned) > MAX_SCANNED:  # cut short in alphabetical order: a closer spelling may lie past the cut
        return []
    edits: dict[int, tuple[bool, int]] = {}  # (across the sides typed, edits)
    for track_id, search in scanned:
        text_words = _WORD.findall(search)
        fits = [_fits(w, text_words) for w in words]
        if None not in fits:
            edits[track_id] = (sides is not None and not _on_sides(search, sides), sum(fits))
    if not edits:
        return []
    best = sorted(edits, key=edits.get)[: max(limit * 50, 500)]  # side by side, fewest edits; then n_sets
    marks = ",".join("?" * len(best))
    rows = conn.execute(
        f"""SELECT t.*, (SELECT COUNT(DISTINCT p.set_id) FROM plays p WHERE p.track_id = t.id) AS n_sets
            FROM tracks t WHERE t.id IN ({marks})""", best).fetchall()
    rows.sort(key=lambda row: (edits[row["id"]], -row["n_sets"], row["artist"], row["title"]))
    return rows[:limit]
