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
from catalog.identity import TrackName, parse_track_name, repair_mojibake


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


FILLABLE = ("label", "catalog_number", "spotify_id", "isrc")  # filled in later, never overwritten
_KEYS_PER_QUERY = 500  # well under SQLite's limit on bound parameters


def upsert_track(conn: sqlite3.Connection, track: TrackRecord) -> int:
    """Id of the track with `track`'s identity, creating it if new (see `upsert_tracks`)."""
    return upsert_tracks(conn, [track])[0]


def upsert_tracks(conn: sqlite3.Connection, tracks: Sequence[TrackRecord]) -> list[int]:
    """Ids of `tracks` (one per record, in order), creating the tracks that are new.

    Known fields (`FILLABLE`) are filled in where the stored row has none (a later source may know the
    label or the Spotify ID); nothing known is overwritten. Records sharing an identity act as if
    upserted one after the other: a new track takes its name from the first, each field the first
    value given. Statements per call, not per record: one SELECT of the known keys, one INSERT
    `executemany` and one SELECT of the new ids, and an UPDATE only for rows that gain a field.
    """
    names = [None if track.key else track.name() for track in tracks]
    keys = [track.key or name.key for track, name in zip(tracks, names, strict=True)]
    firsts: dict[str, int] = {}  # key -> index of its first record
    given: dict[str, dict] = {}  # key -> the first value of each fillable field
    for index, (key, track) in enumerate(zip(keys, tracks, strict=True)):
        firsts.setdefault(key, index)
        fields = given.setdefault(key, {})
        for name in FILLABLE:
            if fields.get(name) is None:
                fields[name] = getattr(track, name)
    stored = _stored_tracks(conn, list(firsts))
    updates = []
    for key, row in stored.items():
        gained = {name: value for name, value in given[key].items() if value is not None and row[name] is None}
        if gained:
            updates.append(tuple(given[key][name] for name in FILLABLE) + (row["id"],))
    new = [key for key in firsts if key not in stored]
    if updates:
        conn.executemany(
            """UPDATE tracks SET label = COALESCE(label, ?), catalog_number = COALESCE(catalog_number, ?),
                   spotify_id = COALESCE(spotify_id, ?), isrc = COALESCE(isrc, ?)
               WHERE id = ?""",
            updates,
        )
    if new:
        conn.executemany(
            """INSERT INTO tracks (key, artist, artists, title, version, label, catalog_number,
                                   spotify_id, isrc, is_demo)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [_track_row(key, tracks[firsts[key]], names[firsts[key]], given[key]) for key in new],
        )
        stored.update(_stored_tracks(conn, new))
    return [stored[key]["id"] for key in keys]


def _stored_tracks(conn: sqlite3.Connection, keys: list[str]) -> dict[str, sqlite3.Row]:
    """key -> (id, fillable fields) of the stored tracks among `keys`."""
    found = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        cursor = conn.cursor()
        cursor.row_factory = sqlite3.Row
        cursor.execute(
            f"SELECT id, key, {', '.join(FILLABLE)} FROM tracks WHERE key IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update((row["key"], row) for row in cursor)
    return found


def _track_row(key: str, track: TrackRecord, name: TrackName | None, fields: dict) -> tuple:
    name = name or track.name()
    return (
        key,
        repair_mojibake(track.artist).strip(),
        json.dumps(list(name.artists + name.featured)),
        name.title,
        name.version,
        *(fields[column] for column in FILLABLE),
        int(track.is_demo),
    )


def save_set(conn: sqlite3.Connection, record: SetRecord) -> int:
    """Store `record` and its plays in one transaction; returns the set's id."""
    with transaction(conn):
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
        track_ids = upsert_tracks(conn, [play.track for play in record.plays])
        conn.executemany(
            "INSERT OR IGNORE INTO plays (set_id, position, part, cue, track_id, raw_line) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (set_id, play.position, play.part, play.cue, track_id, play.raw_line)
                for play, track_id in zip(record.plays, track_ids, strict=True)
            ],
        )
    return set_id


def save_sets(conn: sqlite3.Connection, records: Iterable[SetRecord]) -> int:
    """Store many sets in one transaction (fast bulk import); returns how many."""
    count = 0
    with transaction(conn):
        for record in records:
            save_set(conn, record)
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
) -> None:
    """Record what audio analysis found for a track (None leaves a field as it was)."""
    with transaction(conn):
        conn.execute(
            """UPDATE tracks SET tempo = COALESCE(?, tempo), musical_key = COALESCE(?, musical_key),
                   camelot = COALESCE(?, camelot), key_confidence = COALESCE(?, key_confidence),
                   audio_path = COALESCE(?, audio_path), duration_ms = COALESCE(?, duration_ms)
               WHERE id = ?""",
            (tempo, musical_key, camelot, key_confidence, audio_path, duration_ms, track_id),
        )
