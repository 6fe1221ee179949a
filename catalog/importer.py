"""Importing tracklists from CSV or JSON files.

Rows: `set_id, position, artist, title` and optionally `track_id` (an external
stable id that then defines the track's identity), `set_title, date, djs,
styles, spotify_id, label`. Rows of one set need not be adjacent. Bad rows are
reported with their line number (CSV) or row number (JSON) and skipped; the rest
imports. Sets are keyed by `set_id`: a set already in the catalog is replaced by
the file's version, so importing the same file again changes nothing.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from catalog.columns import MAX_POSITION, SET_ID_COLUMNS, TITLE_COLUMNS, first_present
from catalog.identity import repair_mojibake
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_sets
from errors import BadInputError
from spotify.ids import is_spotify_id
from textfile import csv_dict_reader, read_text

_LIST_SPLIT = re.compile(r"\s*[;|]\s*")


@dataclass
class BadRow:
    line: int  # the CSV line, or the JSON row counted from 1
    reason: str


@dataclass
class ImportReport:
    sets: int = 0  # sets in the file, new or not
    plays: int = 0  # plays of the new sets
    existing_sets: int = 0  # sets of the file already in the catalog (replaced by the file's version, or merged)
    existing_plays_before: int = 0  # what those sets played before the import
    existing_plays_after: int = 0  # and after it
    kept_sets: int = 0  # sets left as they were: the file's version lacks tracks they play (no merge or replace)
    kept_plays: int = 0  # what replacing those sets would have dropped
    tracks_before: int = 0
    tracks_after: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def new_sets(self) -> int:
        return self.sets - self.existing_sets

    @property
    def new_tracks(self) -> int:
        return self.tracks_after - self.tracks_before


def _rows_from_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with csv_dict_reader(path) as reader:
        if not reader.fieldnames:
            raise BadInputError(f"{path} is empty: expected a header row with set_id, position, artist, title.")
        fields = {name.strip().lower() for name in reader.fieldnames if name}
        has_title = first_present(fields, TITLE_COLUMNS)
        if not first_present(fields, SET_ID_COLUMNS) or not ({"artist"} <= fields and has_title or "track_id" in fields):
            raise BadInputError(
                f"{path} has columns {sorted(fields)}; it needs set_id (or set_title) and either artist + title "
                "(or song) or track_id."
            )
        for row in reader:
            clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
            yield reader.line_num, _named(clean)


def _rows_from_json(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise BadInputError(f"{path} is not valid JSON (line {error.lineno}): {error.msg}.") from error
    if isinstance(data, dict):
        data = next((data[key] for key in ("rows", "tracks") if key in data), None)
    if not isinstance(data, list):
        raise BadInputError(f"{path} must hold a list of row objects (or {{'rows': [...]}}).")
    for index, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            yield index, {"__bad__": "not an object"}
            continue
        clean = {}
        for key, value in row.items():
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            clean[str(key).strip().lower()] = "" if value is None else str(value).strip()
        yield index, _named(clean)


def _named(row: dict[str, str]) -> dict[str, str]:
    """`row` with the documented column names: a MixesDB + Spotify export's `set_title` is also its set id
    (when it has no `set_id`) and its `song` the title."""
    for aliases in (SET_ID_COLUMNS, TITLE_COLUMNS):
        if aliases[0] not in row and (alias := first_present(row, aliases)):
            row[aliases[0]] = row[alias]
    return row


def _is_json(path: Path) -> bool:
    return Path(path).suffix.lower() == ".json"


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """`(line number, row)` pairs of a CSV or JSON tracklist file (for JSON the row number)."""
    if not path.is_file():
        raise BadInputError(f"{path} does not exist or is not a file.")
    if _is_json(path):
        return _rows_from_json(path)
    return _rows_from_csv(path)


def row_location(path: Path, bad: BadRow) -> str:
    """Where a bad row is: `sets.csv:5` (line) or `sets.json: row 2`."""
    return f"{path}: row {bad.line}" if _is_json(path) else f"{path}:{bad.line}"


def _split_list(value: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(value) if part] if value else []


def _row_problem(row: dict[str, str]) -> str | None:
    if "__bad__" in row:
        return row["__bad__"]
    if not row.get("set_id"):
        return "no set_id"
    if not row.get("track_id") and not (row.get("artist") and row.get("title")):
        return "needs artist and title (or a track_id)"
    if not row.get("track_id"):
        from catalog.identity import track_key

        try:
            track_key(row["artist"], row["title"])
        except ValueError as error:  # MixesDB's '?' title, a name of dashes: nothing to know the track by
            return str(error)
    position = row.get("position", "")
    if position and not position.lstrip("-").isdecimal():  # not isdigit: int("²") fails
        return f"position {position!r} is not a whole number"
    if position and int(position) < 0:
        return f"position {position} is negative"
    if position and int(position) > MAX_POSITION:
        return f"position {position} is too large"
    spotify_id = row.get("spotify_id", "")
    if spotify_id and not is_spotify_id(spotify_id.rsplit(":", 1)[-1]):
        return f"spotify_id {spotify_id!r} is not a 22-character Spotify ID"
    return None


def _track_of(row: dict[str, str]) -> TrackRecord:
    external_id = row.get("track_id")
    return TrackRecord(
        artist=row.get("artist") or external_id,
        title=row.get("title") or external_id,
        label=row.get("label") or None,
        spotify_id=(row.get("spotify_id") or "").rsplit(":", 1)[-1] or None,
        key=f"id:{external_id}" if external_id else None,
    )


def records_from_rows(rows, *, source: str = "import") -> tuple[list[SetRecord], list[BadRow]]:
    """Group valid rows into `SetRecord`s (plays ordered by position); collect bad rows. A row without a position
    that repeats the track of the set's previous row is read once (MixesDB + Spotify exports repeat each row once
    per credited DJ)."""
    sets: dict[str, SetRecord] = {}
    positions: dict[str, set[int]] = {}
    numbered: set[str] = set()  # sets with a row that gave no position
    bad: list[BadRow] = []
    for line, row in rows:
        problem = _row_problem(row)
        set_key = row.get("set_id", "")
        if problem is None:
            taken = positions.setdefault(set_key, set())
            position = int(row["position"]) if row.get("position") else len(taken) + 1
            if not row.get("position"):
                numbered.add(set_key)  # numbered here, in the file's order
            if position in taken:
                problem = f"set {set_key!r} already has a track at position {position}"
        if problem:
            bad.append(BadRow(line, problem))
            continue
        track = _track_of(row)
        record = sets.get(set_key)
        if not row.get("position") and record and record.plays and record.plays[-1].track == track:
            continue  # the same track again on the next line, unnumbered: an export's join, not a second play
        taken.add(position)
        if record is None:
            record = sets[set_key] = SetRecord(
                source=source,
                source_key=set_key,
                title=repair_mojibake(row.get("set_title") or set_key).strip(" -") or set_key,
                plays=[],
                date=row.get("date") or None,
                djs=_split_list(repair_mojibake(row.get("djs", ""))),
                styles=_split_list(row.get("styles", "")),
            )
        record.plays.append(PlayRecord(position=position, track=track, raw_line=f"{track.artist} - {track.title}"))
    for record in sets.values():
        record.plays.sort(key=lambda play: play.position)
        record.positions_given = record.source_key not in numbered
    return list(sets.values()), bad


def import_tracklists(conn: sqlite3.Connection, path: Path, *, source: str = "import",
                      merge: bool = False, replace: bool = False) -> ImportReport:
    """Import a CSV/JSON tracklist file into the catalog in one transaction.

    A set already in the catalog is replaced by the file's version when that version plays every track the set
    plays (re-importing a file, or a corrected one that adds tracks); otherwise it is left as it was, unless
    `replace`. With `merge` it gets the file's tracks it does not play yet (a file holding the rest of sets
    imported before)."""
    report = ImportReport(tracks_before=conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0])
    records, report.bad_rows = records_from_rows(read_rows(Path(path)), source=source)
    if not (merge or replace):
        dropping = _plays_dropped(conn, source, records)
        records = [record for record in records if record.source_key not in dropping]
        report.kept_sets, report.kept_plays = len(dropping), sum(dropping.values())
    in_file = {record.source_key for record in records}
    before = _plays_per_set(conn, source)
    report.existing_sets = len(in_file & before.keys())
    report.existing_plays_before = sum(before[key] for key in in_file & before.keys())
    report.sets = save_sets(conn, records, merge=merge)
    after = _plays_per_set(conn, source)
    report.existing_plays_after = sum(after.get(key, 0) for key in in_file & before.keys())
    report.plays = sum(len(r.plays) for r in records if r.source_key not in before)
    report.tracks_after = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    return report


def _plays_dropped(conn: sqlite3.Connection, source: str, records: list[SetRecord]) -> dict[str, int]:
    """Set key → plays that replacing it by its record would drop (tracks the record lacks), for the sets of
    `records` already in the catalog whose record lacks some."""
    stored: dict[str, list[str]] = {}
    for set_key, track_key in conn.execute(
        "SELECT s.source_key, t.key FROM sets s JOIN plays p ON p.set_id = s.id JOIN tracks t ON t.id = p.track_id "
        "WHERE s.source = ?", (source,)):
        stored.setdefault(set_key, []).append(track_key)
    dropping = {}
    for record in records:
        if record.source_key in stored:
            in_record = {play.track.identity() for play in record.plays}
            if lost := sum(key not in in_record for key in stored[record.source_key]):
                dropping[record.source_key] = lost
    return dropping


def _plays_per_set(conn: sqlite3.Connection, source: str) -> dict[str, int]:
    """Set key → number of plays, for every set of `source` in the catalog (a set without plays counts 0)."""
    return dict(conn.execute(
        "SELECT s.source_key, COUNT(p.id) FROM sets s LEFT JOIN plays p ON p.set_id = s.id WHERE s.source = ? "
        "GROUP BY s.id", (source,)))
