"""Reading the catalog: resolving pasted queries, autocomplete, counts.

All functions take an open connection (see `catalog.db.connect`) and never write.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from catalog.identity import fold, make_key, normalise_version, parse_track_name, split_artists, split_title
from errors import NotFoundError
from scraping.grammar import split_artist_title
from spotify.ids import Query


@dataclass(frozen=True)
class CatalogCounts:
    sets: int
    tracks: int
    plays: int
    tracks_in_sets: int
    spotify_matched: int
    with_audio: int
    demo_tracks: int


def tracks_by_ids(conn: sqlite3.Connection, track_ids: list[int]) -> dict[int, sqlite3.Row]:
    """Rows of the given tracks keyed by id (unknown ids are absent)."""
    rows: dict[int, sqlite3.Row] = {}
    ids = [int(t) for t in track_ids]
    for start in range(0, len(ids), 900):  # SQLite's variable limit
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT * FROM tracks WHERE id IN ({marks})", chunk):
            rows[row["id"]] = row
    return rows


def track_label(track) -> str:
    """`artist - title (version)` of a track row (or a dict with those keys); the autocomplete's form."""
    version = f" ({track['version']})" if track["version"] else ""
    return f"{track['artist']} - {track['title']}{version}"


def track_by_spotify_id(conn: sqlite3.Connection, spotify_id: str) -> sqlite3.Row | None:
    """The catalog track linked to `spotify_id`, preferring the one played in most sets."""
    return conn.execute(
        """SELECT t.* FROM tracks t WHERE t.spotify_id = ?
           ORDER BY (SELECT COUNT(*) FROM plays p WHERE p.track_id = t.id) DESC LIMIT 1""",
        (spotify_id,),
    ).fetchone()


@dataclass(frozen=True)
class SearchTerms:
    """Typed text in the identity key's vocabulary (`catalog.identity`): folded, credits split, connectors gone.

    `key_words` must all be in a track's search text (`catalog.identity.search_text`: its key, every
    credited name, an external id), anywhere; `artist_names` each in it as a whole phrase; `key` is the
    identity key the text names exactly, when it has the `artist - title` form.
    """

    key_words: tuple[str, ...]
    artist_names: tuple[str, ...] = ()
    key: str | None = None


def search_terms(text: str) -> SearchTerms:
    """`"B & A feat. C - T (Dub Mix)"` → key words `("t", "dub")`, artist names `("b", "a", "c")`, key `"a & b - t (dub)"`."""
    split = split_artist_title(text.strip())
    if split is None:  # free text: credits, guests included, may be anywhere in it
        bare, version, title_guests = split_title(text)
        mains, guests = split_artists(bare)
        names = [*mains, *guests, *title_guests]
        return SearchTerms(key_words=tuple(" ".join([*map(fold, names), normalise_version(version)]).split()))
    name = parse_track_name(*split)
    try:
        key = make_key(name.artists, name.title, name.version)
    except ValueError:
        key = None
    return SearchTerms(
        key_words=tuple(f"{fold(name.title)} {normalise_version(name.version)}".split()),
        artist_names=tuple(dict.fromkeys(n for n in map(fold, name.artists + name.featured) if n)),
        key=key,
    )


def _contains(word: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') for `word` anywhere, its own % and _ taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_tracks(conn: sqlite3.Connection, text: str, *, limit: int = 10) -> list[sqlite3.Row]:
    """Tracks matching `text` (see `search_terms`), the one it names exactly first, then most-played.

    Each row has the track's columns plus `n_sets`. Matching is accent- and case-blind on the stored
    search text (`tracks.search`, see `catalog.identity.search_text`), so `ame rej` finds `Âme - Rej`,
    `A and B feat. C - T` finds `B & A feat. C - T`, `tiesto` finds a track Tiësto is featured on, and a
    track imported with an external id is found by its artist and title or by the id. Exactly named
    first: the `artist - title` typed (its identity key, also for `id:` tracks) or the external id typed.
    Plain SQL (`LIKE` over the covering index `tracks_search`), so the autocomplete stays a scan in C (a
    Python function per row made it 12-25× slower at 1.5M tracks).
    """
    terms = search_terms(text)
    needles = [*terms.key_words, *terms.artist_names]
    if not needles:
        return []
    prefix = f"{terms.key} | " if terms.key else None  # NULL when no key is named: nothing compares equal
    external_id = text.strip() if text.strip().lower().startswith("id:") else f"id:{text.strip()}"
    matches = " AND ".join(["search LIKE ? ESCAPE '\\'"] * len(needles))
    return conn.execute(
        f"""SELECT t.*, (SELECT COUNT(DISTINCT p.set_id) FROM plays p WHERE p.track_id = t.id) AS n_sets
            FROM tracks t
            WHERE t.id IN (SELECT id FROM tracks INDEXED BY tracks_search WHERE {matches})
            ORDER BY (t.search = ? OR substr(t.search, 1, ?) = ? OR t.key = ? COLLATE NOCASE) DESC,
                     n_sets DESC, t.artist, t.title LIMIT ?""",
        (*map(_contains, needles), terms.key, len(prefix or ""), prefix, external_id, limit),
    ).fetchall()


def resolve_query(conn: sqlite3.Connection, query: Query) -> sqlite3.Row:
    """The catalog track a parsed query names; `NotFoundError` says why none does."""
    if query.kind == "track":
        row = track_by_spotify_id(conn, query.spotify_id)
        if row is None:
            raise NotFoundError(
                f"Spotify track {query.spotify_id} is not in the catalog: no DJ set we know contains it. "
                "Try 'artist - title', or analyse its audio for sound-alike tracks."
            )
        return row
    if query.kind == "text":
        rows = search_tracks(conn, query.text, limit=1)
        if not rows:
            raise NotFoundError(f"No track in the catalog matches {query.text!r}. Check the spelling or paste a Spotify link.")
        return rows[0]
    raise NotFoundError(f"A Spotify {query.kind} cannot be looked up as one track; paste a track link instead.")


def count_catalog(conn: sqlite3.Connection) -> CatalogCounts:
    row = conn.execute(
        """SELECT (SELECT COUNT(*) FROM sets),
                  (SELECT COUNT(*) FROM tracks),
                  (SELECT COUNT(*) FROM plays),
                  (SELECT COUNT(DISTINCT track_id) FROM plays),
                  (SELECT COUNT(*) FROM tracks WHERE spotify_id IS NOT NULL AND is_demo = 0),
                  (SELECT COUNT(*) FROM tracks WHERE audio_path IS NOT NULL),
                  (SELECT COUNT(*) FROM tracks WHERE is_demo = 1)"""
    ).fetchone()
    return CatalogCounts(*row)


def track_styles(conn: sqlite3.Connection, track_ids: list[int], *, top: int = 2,
                 sample: int | None = None) -> dict[int, list[str]]:
    """Each track's most frequent styles over the sets that play it (up to `top`).

    With `sample`, over at most that many of each track's sets (the first in the index): a track in
    29,000 sets then costs 100 rows, not 29,000 (top-2 agreed for 142 of 150 tracks at MixesDB scale).
    """
    from collections import Counter

    counters: dict[int, Counter] = {}
    for track_id, styles, count in _style_counts(conn, [int(t) for t in track_ids], sample):
        counter = counters.setdefault(track_id, Counter())
        for style in json.loads(styles or "[]"):
            counter[style] += count
    return {t: [s for s, _ in c.most_common(top)] for t, c in counters.items()}


def _style_counts(conn: sqlite3.Connection, ids: list[int], sample: int | None):
    """(track id, a set's styles JSON, how many of the track's sets have it) rows."""
    if sample is not None:
        for track_id in ids:
            yield from conn.execute(
                """SELECT p.track_id, s.styles, COUNT(*)
                   FROM (SELECT set_id, track_id FROM plays WHERE track_id = ? LIMIT ?) p
                   JOIN sets s ON s.id = p.set_id GROUP BY s.styles""",
                (track_id, int(sample)),
            )
        return
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        yield from conn.execute(
            f"""SELECT p.track_id, s.styles, COUNT(*) FROM plays p JOIN sets s ON s.id = p.set_id
                WHERE p.track_id IN ({marks}) GROUP BY p.track_id, s.styles""",
            chunk,
        )
