"""Reading the catalog: resolving pasted queries, autocomplete, counts.

All functions take an open connection (see `catalog.db.connect`) and never write.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from catalog.fuzzy import fuzzy_search_tracks
from catalog.identity import fold, make_key, normalise_version, parse_track_name, split_artists, split_title
from errors import NotFoundError, quoted
from scraping.grammar import split_artist_title
from spotify.ids import MAX_TEXT_CHARS, Query


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


def tracks_by_spotify_ids(conn: sqlite3.Connection, spotify_ids: list[str]) -> list[sqlite3.Row]:
    """The catalog tracks of those `spotify_ids` the catalog knows (`track_by_spotify_id`), in order."""
    return [row for row in (track_by_spotify_id(conn, i) for i in spotify_ids) if row is not None]


def tracks_by_exact_names(conn: sqlite3.Connection, texts: list[str]) -> list[sqlite3.Row]:
    """The catalog tracks that `artist - title (version)` texts name exactly (their identity key: one indexed lookup
    each, no search), in order; texts naming none are skipped."""
    keys = [key for key in (search_terms(text).key for text in texts) if key]
    rows = (conn.execute("SELECT * FROM tracks WHERE key = ?", (key,)).fetchone() for key in keys)
    return [row for row in rows if row is not None]


MAX_WORDS = 12  # words (and credited names) of a query used; a DJ names a track in fewer
MAX_WORD_CHARS = 40  # a longer word is matched by its first letters


@dataclass(frozen=True)
class SearchTerms:
    """Typed text in the identity key's vocabulary (`catalog.identity`): folded, credits split, connectors gone.

    Each of `key_words` and `artist_names` must start a word of a track's search text
    (`catalog.identity.search_text`: its key, every credited name, an external id). In free text they
    may be anywhere; in `artist - title` text (`key` is then the identity key it names) `artist_names`
    must start a word of the track's credits and `key_words` one of its title or version. At most
    `MAX_WORDS` of each, each cut to `MAX_WORD_CHARS`.
    """

    key_words: tuple[str, ...]
    artist_names: tuple[str, ...] = ()
    key: str | None = None


def _bounded(words) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w[:MAX_WORD_CHARS].strip() for w in words if w))[:MAX_WORDS]


def _typed(text: str) -> str:
    """Typed text as it is searched: spaces collapsed, at most MAX_TEXT_CHARS (long runs of spaces or brackets
    cost the parsing regexes)."""
    return " ".join(text.split())[:MAX_TEXT_CHARS]


def search_terms(text: str) -> SearchTerms:
    """`"B & A feat. C - T (Dub Mix)"` → key words `("t", "dub")`, artist names `("b", "a", "c")`, key `"a & b - t (dub)"`."""
    text = _typed(text)
    split = split_artist_title(text)
    if split is None:  # free text: credits, guests included, may be anywhere in it
        bare, version, title_guests = split_title(text)
        mains, guests = split_artists(bare)
        names = [*mains, *guests, *title_guests]
        return SearchTerms(key_words=_bounded(" ".join([*map(fold, names), normalise_version(version)]).split()))
    name = parse_track_name(*split)
    try:
        key = make_key(name.artists, name.title, name.version)
    except ValueError:
        key = None
    return SearchTerms(
        key_words=_bounded(f"{fold(name.title)} {normalise_version(name.version)}".split()),
        artist_names=_bounded(map(fold, name.artists + name.featured)),
        key=key,
    )


def _matching(needles: list[str]) -> tuple[str, list[str]]:
    """SQL true when each needle starts a word of `search` (is its start, or follows a space or '('), and its
    GLOB patterns. Each needle is first looked for anywhere (one cheap GLOB per needle, AND short-circuits), so
    the word-start patterns run only on the few texts that have every needle: at 1.5M tracks `*[ (]w*` alone
    cost 0.9 s, this 0.13. Folded needles hold letters, digits and spaces only, never a GLOB character."""
    anywhere = [f"*{n}*" for n in needles]
    starts = [p for n in needles for p in (f"{n}*", f"* {n}*", f"*({n}*")]
    sql = " AND ".join(["search GLOB ?"] * len(needles)
                       + ["(search GLOB ? OR search GLOB ? OR search GLOB ?)"] * len(needles))
    return sql, anywhere + starts


def typed_words(text: str) -> list[str]:
    """The folded words of typed text that a search matches (`search_terms`: title, version and credited names)."""
    terms = search_terms(text)
    return [w for name in (*terms.key_words, *terms.artist_names) for w in name.split()]


def search_tracks(conn: sqlite3.Connection, text: str, *, limit: int = 10, typos: bool = False) -> list[sqlite3.Row]:
    """Tracks matching `text` (see `search_terms`), the one it names exactly first, then most-played.

    Each row has the track's columns plus `n_sets`. Matching is accent- and case-blind on the stored
    search text (`tracks.search`, see `catalog.identity.search_text`) and at word starts, so `ame rej`
    finds `Âme - Rej`, `solo` finds `Solomun` (not `Absolon`), `A and B feat. C - T` finds
    `B & A feat. C - T`, `tiesto` finds a track Tiësto is featured on, and a track imported with an
    external id is found by its artist and title or by the id. `artist - title` matches the artist side
    against credited names and the title side against the title (`catalog.identity.on_sides`, registered
    with every connection by `catalog.db.connect`). Exactly named first: the
    `artist - title` typed (its identity key, also for `id:` tracks) or the external id typed.
    Plain SQL (`GLOB` over the covering index `tracks_search`), so the autocomplete stays a scan in C (a
    Python function per row made it 12-25× slower at 1.5M tracks); `on_sides` runs only on the tracks
    whose search text has every word. With `typos`, text that matches nothing is searched again allowing one
    typo per word (`catalog.fuzzy`).
    """
    terms = search_terms(text)
    needles = [*terms.key_words, *terms.artist_names]
    if not needles:
        return []
    prefix = f"{terms.key} | " if terms.key else None  # NULL when no key is named: nothing compares equal
    external_id = text.strip() if text.strip().lower().startswith("id:") else f"id:{text.strip()}"
    matches, patterns = _matching(needles)
    sides = "AND search_on_sides(t.search, ?, ?)" if terms.artist_names else ""  # `artist - title` typed
    rows = conn.execute(
        f"""SELECT t.*, (SELECT COUNT(DISTINCT p.set_id) FROM plays p WHERE p.track_id = t.id) AS n_sets
            FROM tracks t
            WHERE t.id IN (SELECT id FROM tracks INDEXED BY tracks_search WHERE {matches}) {sides}
            ORDER BY (t.search = ? OR substr(t.search, 1, ?) = ? OR t.key = ? COLLATE NOCASE) DESC,
                     n_sets DESC, t.artist, t.title LIMIT ?""",
        (*patterns,
         *(("|".join(terms.artist_names), " ".join(terms.key_words)) if terms.artist_names else ()),
         terms.key, len(prefix or ""), prefix, external_id, limit),
    ).fetchall()
    if not rows and terms.artist_names:  # `Title - Artist` or `Remixer - Title`: the sides swapped, read as free text
        artist, title = split_artist_title(_typed(text))
        rows = search_tracks(conn, f"{artist} {title}", limit=limit)
    if not rows and typos:
        rows = closest_spellings(conn, text, limit=limit)
    return rows


def closest_spellings(conn: sqlite3.Connection, text: str, *, limit: int = 10) -> list[sqlite3.Row]:
    """Tracks one typo per word away from `text` (`catalog.fuzzy`), rows as `search_tracks` gives them; for
    `artist - title`, those that fit it side by side first."""
    terms = search_terms(text)
    sides = None
    if terms.artist_names:
        sides = ([w for name in terms.artist_names for w in name.split()],
                 [w for word in terms.key_words for w in word.split()])
    return fuzzy_search_tracks(conn, typed_words(text), limit=limit, sides=sides)


@dataclass(frozen=True)
class TrackMatch:
    """The catalog track a query resolved to, and `note` when it is not exactly the track typed (else None)."""

    row: sqlite3.Row
    note: str | None = None


def _names_exactly(query: Query, row: sqlite3.Row) -> bool:
    """Whether `artist - title (version)` typed names `row` itself: every credit typed is one of the track's
    names, and title and version are the track's (an `Original Mix` is the track without a version)."""
    if query.artist is None:
        return False
    typed = parse_track_name(query.artist, query.title or "")
    track = parse_track_name(row["artist"], row["title"], row["version"])
    credits = {fold(n) for n in (*track.artists, *track.featured, *json.loads(row["artists"] or "[]"))}
    return ({fold(n) for n in (*typed.artists, *typed.featured)} <= credits
            and fold(typed.title) == fold(track.title)
            and normalise_version(typed.version) == normalise_version(track.version))


def resolve_query(conn: sqlite3.Connection, query: Query, *, typos: bool = True) -> TrackMatch:
    """The catalog track a parsed query names; `NotFoundError` says why none does.

    Text names the track it matches best (`search_tracks`); when that is not exactly what was typed
    (`Solo - Home` finding `Solomun - Home`), `note` says which track was used. A version the catalog
    does not have (`Âme - Rej (Dixon Rework)`) falls back to the track without it, saying so; a typo
    (`Solomon - Home`) to the closest spelling (`catalog.fuzzy`, unless not `typos`), saying so.
    """
    if query.kind == "track":
        row = track_by_spotify_id(conn, query.spotify_id)
        if row is None:
            raise NotFoundError(
                f"Spotify track {query.spotify_id} is not in the catalog: no DJ set we know contains it. "
                "Try 'artist - title', or analyse its audio for sound-alike tracks."
            )
        return TrackMatch(row)
    if query.kind == "text":
        rows = search_tracks(conn, query.text, limit=1)
        if rows:
            if _names_exactly(query, rows[0]):
                return TrackMatch(rows[0])
            return TrackMatch(rows[0], f"No track is exactly {quoted(query.text)}; "
                                       f"closest match: {track_label(rows[0])}.")
        without = _without_version(query)
        rows = search_tracks(conn, without, limit=1) if without else []
        if rows:
            return TrackMatch(rows[0], f"The catalog has no {quoted(query.text)}; "
                                       f"using the track without that version: {track_label(rows[0])}.")
        rows = closest_spellings(conn, query.text, limit=1) if typos else []
        if rows:
            return TrackMatch(rows[0], f"No track is spelt {quoted(query.text)}; "
                                       f"closest spelling: {track_label(rows[0])}.")
        raise NotFoundError(f"No track in the catalog matches {quoted(query.text)}. "
                            "Check the spelling or paste a Spotify link.")
    raise NotFoundError(f"A Spotify {query.kind} cannot be looked up as one track; paste a track link instead.")


def _without_version(query: Query) -> str | None:
    """`artist - title` of typed `artist - title (version)`, or None when no version was typed."""
    if query.artist is None:
        return None
    name = parse_track_name(query.artist, query.title or "")
    if not name.version:
        return None
    return f"{query.artist} - {name.title}"


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
