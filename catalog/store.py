"""Writing sets, tracks and plays into the catalog.

`save_set` is the one way a tracklist enters the catalog (import, crawl, demo):
it is idempotent per `(source, source_key)`: saving a set again replaces its
plays, so a re-import or a re-parse never stores anything twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from catalog.db import transaction
from catalog.identity import TrackName, parse_track_name, repair_mojibake, search_text


@dataclass
class TrackRecord:
    """One track as a source describes it. `key` overrides the derived identity."""

    artist: str
    title: str
    version: str | None = None
    label: str | None = None
    catalog_number: str | None = None
    spotify_id: str | None = None
    isrc: str | None = None
    key: str | None = None
    is_demo: bool = False

    def name(self) -> TrackName:
        return parse_track_name(self.artist, self.title, self.version)

    def identity(self) -> str:
        return self.key or self.name().key


@dataclass
class PlayRecord:
    """A track at a position of a tracklist (`part` > 0 for the pieces of a mashup)."""

    position: int
    track: TrackRecord
    cue: str | None = None
    part: int = 0
    raw_line: str | None = None


@dataclass
class SetRecord:
    """A DJ set and its tracklist."""

    source: str
    source_key: str
    title: str
    plays: Sequence[PlayRecord] = ()
    url: str | None = None
    date: str | None = None
    djs: Sequence[str] = ()
    venue: str | None = None
    city: str | None = None
    show: str | None = None
    styles: Sequence[str] = ()
    tracklist_complete: bool | None = None
    n_unknown: int = 0
    is_demo: bool = False
    extra_lines: int = field(default=0)  # gaps and other lines that are neither tracks nor unknowns
    positions_given: bool = True  # False: the plays' positions are only the order a file listed them in


def upsert_track(conn: sqlite3.Connection, track: TrackRecord) -> int:
    """Id of the track with `track`'s identity, creating it if new.

    Known fields are filled in where the stored row has none (a later source may
    know the label or the Spotify ID); nothing known is overwritten.
    """
    key = track.identity()
    row = conn.execute("SELECT id FROM tracks WHERE key = ?", (key,)).fetchone()
    if row is not None:
        conn.execute(
            """UPDATE tracks SET label = COALESCE(label, ?), catalog_number = COALESCE(catalog_number, ?),
                   spotify_id = COALESCE(spotify_id, ?), isrc = COALESCE(isrc, ?)
               WHERE id = ?""",
            (track.label, track.catalog_number, track.spotify_id, track.isrc, row[0]),
        )
        return row[0]
    name = track.name()
    artist, artists = repair_mojibake(track.artist).strip(), list(name.artists + name.featured)
    cursor = conn.execute(
        """INSERT INTO tracks (key, artist, artists, title, version, label, catalog_number,
                               spotify_id, isrc, is_demo, search)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            key,
            artist,
            json.dumps(artists),
            name.title,
            name.version,
            track.label,
            track.catalog_number,
            track.spotify_id,
            track.isrc,
            int(track.is_demo),
            search_text(key, artist, artists, name.title, name.version),
        ),
    )
    return cursor.lastrowid


def save_set(conn: sqlite3.Connection, record: SetRecord, *, merge: bool = False) -> int:
    """Store `record` and its plays in one transaction; returns the set's id.

    A set already stored (same source and key) is replaced by `record`; with `merge`, it keeps what it has and
    gets `record`'s tracks it does not have yet, after its last position.
    """
    with transaction(conn):
        if merge and (row := conn.execute("SELECT id FROM sets WHERE source = ? AND source_key = ?",
                                          (record.source, record.source_key)).fetchone()):
            _merge_plays(conn, row[0], record.plays, keep_positions=record.positions_given)
            return row[0]
        values = (
            record.url,
            record.title,
            record.date,
            json.dumps(list(record.djs)),
            record.venue,
            record.city,
            record.show,
            json.dumps(list(record.styles)),
            None if record.tracklist_complete is None else int(record.tracklist_complete),
            len({play.position for play in record.plays}) + record.n_unknown + record.extra_lines,
            record.n_unknown,
            int(record.is_demo),
        )
        row = conn.execute(
            "SELECT id FROM sets WHERE source = ? AND source_key = ?", (record.source, record.source_key)
        ).fetchone()
        if row is None:
            set_id = conn.execute(
                """INSERT INTO sets (url, title, date, djs, venue, city, show, styles, tracklist_complete,
                                     n_lines, n_unknown, is_demo, source, source_key)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (*values, record.source, record.source_key),
            ).lastrowid
        else:
            set_id = row[0]
            conn.execute(
                """UPDATE sets SET url = ?, title = ?, date = ?, djs = ?, venue = ?, city = ?, show = ?,
                       styles = ?, tracklist_complete = ?, n_lines = ?, n_unknown = ?, is_demo = ?
                   WHERE id = ?""",
                (*values, set_id),
            )
            conn.execute("DELETE FROM plays WHERE set_id = ?", (set_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO plays (set_id, position, part, cue, track_id, raw_line) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (set_id, play.position, play.part, play.cue, upsert_track(conn, play.track), play.raw_line)
                for play in record.plays
            ],
        )
    return set_id


def _merge_plays(conn: sqlite3.Connection, set_id: int, plays: list[PlayRecord], *, keep_positions: bool) -> None:
    """Add the plays of `plays` whose track set `set_id` does not play yet; merging the same plays again adds
    nothing. With `keep_positions`, a play keeps its position where the set has none there (the file fills
    gaps); the others go after the set's last position, in their order."""
    has = {track for (track,) in conn.execute("SELECT track_id FROM plays WHERE set_id = ?", (set_id,))}
    taken = {position for (position,) in conn.execute("SELECT position FROM plays WHERE set_id = ?", (set_id,))}
    tracks = [(play, upsert_track(conn, play.track)) for play in sorted(plays, key=lambda p: (p.position, p.part))]
    new = [(play, track) for play, track in tracks if track not in has]  # a track listed twice stays twice
    free = {play.position for play, _ in new if keep_positions and play.position not in taken}
    last = max(taken | free, default=0)
    new_position: dict[int, int] = {}
    rows = []
    for play, track in new:
        if play.position not in new_position:
            new_position[play.position] = play.position if play.position in free else last + 1
            last = max(last, new_position[play.position])
        rows.append((set_id, new_position[play.position], play.part, play.cue, track, play.raw_line))
    conn.executemany(
        "INSERT OR IGNORE INTO plays (set_id, position, part, cue, track_id, raw_line) VALUES (?, ?, ?, ?, ?, ?)", rows
    )
    conn.execute("UPDATE sets SET n_lines = n_lines + ? WHERE id = ?", (len(new_position), set_id))


def save_sets(conn: sqlite3.Connection, records: Iterable[SetRecord], *, merge: bool = False) -> int:
    """Store many sets in one transaction (fast bulk import; `merge` as in `save_set`); returns how many."""
    count = 0
    with transaction(conn):
        for record in records:
            save_set(conn, record, merge=merge)
            count += 1
    return count


def update_track_audio(
    conn: sqlite3.Connection,
    track_id: int,
    *,
    tempo: float | None = None,
    musical_key: str | None = None,
    camelot: str | None = None,
    key_confidence: float | None = None,
    audio_path: str | None = None,
    duration_ms: int | None = None,
    forget_tempo: bool = False,
) -> None:
    """Record what audio analysis found for a track (None leaves a field as it was; `forget_tempo`
    clears the tempo: the analysis found no clear beat)."""
    with transaction(conn):
        conn.execute(
            """UPDATE tracks SET tempo = CASE WHEN ? THEN NULL ELSE COALESCE(?, tempo) END, musical_key = COALESCE(?, musical_key),
                   camelot = COALESCE(?, camelot), key_confidence = COALESCE(?, key_confidence),
                   audio_path = COALESCE(?, audio_path), duration_ms = COALESCE(?, duration_ms)
               WHERE id = ?""",
            (forget_tempo, tempo, musical_key, camelot, key_confidence, audio_path, duration_ms, track_id),
        )
