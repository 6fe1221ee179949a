"""From what a DJ pasted (one track or several) to the catalog tracks to dig from: dashboard and CLI alike."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from catalog.queries import TrackMatch, resolve_query, tracks_by_exact_names, tracks_by_spotify_ids
from errors import BadInputError, CratediggerError, NotFoundError, quoted
from scraping.grammar import name_like_number_dropped, names_unknown_track, pasted_track_texts
from spotify.ids import looks_like_ref, parse_query

_LINES = re.compile(r"[\n;]+")
MAX_PASTED_TRACKS = 100  # a crate's worth; each pasted line is a catalog search (~0.1 s at MixesDB size)
PLAYLIST_LIMIT = 500  # tracks of a pasted playlist read (five pages of Spotify's 100)
NAMED_IN_MESSAGE = 5  # notes and left-out parts a message names; the rest are counted
TYPO_PARTS = 10  # pastes of at most this many parts forgive typos (each miss costs up to ~0.7 s at 1.5M tracks)
_REF_GAPS = re.compile(r"[,\s]+")
# `Tracklist:` (or `Tracklist` alone) above a video's timestamps: a heading, no track
_HEADING = re.compile(r"^[^\t]*:$|^(?:track\s*list(?:ing)?|set\s*list)$", re.IGNORECASE)
_NUMBER_CELL = re.compile(r"^#?\d{1,3}[.)]?$|^(?:\d{1,2}:)?\d{1,2}:\d{2}$")  # `1`, `01.`, `#3`, `4:20`, `1:02:03`
_DASH = re.compile(r"\s[-–—]\s")
# What a DJ program's or shop's list puts after the title: a duration, BPM, Camelot key or year (`A - T - 6:32`,
# `A - T 6B 124 BPM`, `A - T [Label] 2019`); searched without them only when the line as typed names no track
_TRAILING_EXTRAS = re.compile(
    r"(?:\s+(?:[-–—|]\s*)?(?:\(?(?:\d{1,2}:)?\d{1,2}:\d{2}\)?|\d{2,3}(?:[.,]\d+)?\s*bpm|\d{1,2}[ab]|(?:19|20)\d{2}))+\s*$",
    re.IGNORECASE)


@dataclass
class Seeds:
    """Catalog rows of the tracks found, `(pasted text, why not)` for each part left out (it named no track, or,
    among several parts, could not be read: those texts are also in `unreadable`), and `notes` saying which
    track was used for a part that named none exactly (`catalog.queries.TrackMatch.note`)."""

    rows: list[sqlite3.Row] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    beyond: list[int] = field(default_factory=list)  # catalog ids of known tracks pasted past MAX_PASTED_TRACKS

    @property
    def ids(self) -> list[int]:
        """Track ids of `rows` (each track once), in order."""
        return [row["id"] for row in self.rows]

    def missing_note(self) -> str | None:
        """'Not in the catalog, left out: "A", "B".', then for parts that could not be read 'Not read, left out:
        "?". ' and the first one's reason; None when every part was found."""
        unread = [(text, why) for text, why in self.missing if text in self.unreadable]
        absent = [text for text, _ in self.missing if text not in self.unreadable]
        notes = [_left_out("Not in the catalog", absent)] if absent else []
        if unread:
            notes.append(f"{_left_out('Not read', [text for text, _ in unread])} {unread[0][1]}")
        return " ".join(notes) or None

    def message(self) -> str | None:
        """The notes and the missing note in one message, at most NAMED_IN_MESSAGE of each (a paste of 100 lines)."""
        more = len(self.notes) - NAMED_IN_MESSAGE
        notes = self.notes[:NAMED_IN_MESSAGE] + ([f"{more} more pasted tracks were read as their closest match."] if more > 0 else [])
        return " ".join([*notes, *filter(None, [self.missing_note()])]) or None


def _left_out(why: str, texts: list[str]) -> str:
    shown = ", ".join(quoted(text) for text in texts[:NAMED_IN_MESSAGE])
    more = len(texts) - NAMED_IN_MESSAGE
    return f"{why}, left out: {shown}" + (f" and {more} more." if more > 0 else ".")


def split_queries(text: str) -> list[str]:
    """Several pasted tracks (one per line or `;`; Spotify refs also by `,` or spaces) → one text each.

    Lines copied from a tracklist lose their list marker, cue and number (`# [1:02:03] A - T` → `A - T`); a number
    that may start an artist's name (`009 Sound System`, `4:20 Crew`) only in a list numbered throughout.
    """
    out: list[str] = []
    for line in pasted_track_texts(_LINES.split(text or "")):
        if _HEADING.match(line) and not looks_like_ref(line):
            continue  # `Tracklist:`; a paste of only a heading is still searched as typed (`out or [text]`)
        line = _from_columns(line)
        pieces = [p for p in _REF_GAPS.split(line) if p]
        if len(pieces) > 1 and all(looks_like_ref(p) for p in pieces):
            out += pieces
        elif line:
            out.append(line)
    return out or [text]


def _from_columns(line: str) -> str:
    """A row copied from a spreadsheet (tab-separated cells: `1<TAB>Artist<TAB>Title<TAB>Label`) → the text naming its
    track: a Spotify link cell, else a cell holding `A - T`, else the first two cells after any numbers or times, as
    `artist - title` (a label, BPM or key column after them is left out); a line without a tab as it is."""
    cells = [cell.strip() for cell in line.split("\t") if cell.strip()]
    if len(cells) < 2:
        return cells[0] if cells else line
    while len(cells) > 2 and _NUMBER_CELL.match(cells[0]):
        cells.pop(0)
    named = [cell for cell in cells if looks_like_ref(cell)] or [cell for cell in cells if _DASH.search(cell)]
    return named[0] if named else f"{cells[0]} - {cells[1]}"


def playlist_tracks(settings, playlist_ref: str) -> list[str]:
    """Spotify track IDs of a pasted playlist (at most PLAYLIST_LIMIT), read with the app's own credentials
    (`spotify.client.read_playlist_track_ids`)."""
    if not settings.has_spotify_credentials:
        raise BadInputError(
            "Reading a Spotify playlist needs Spotify credentials (SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET); "
            "without them, paste the playlist's tracks one per line."
        )
    from spotify.client import read_playlist_track_ids

    return read_playlist_track_ids(settings, playlist_ref, limit=PLAYLIST_LIMIT,
                                   advice="check the link (a private playlist cannot be read here: paste its tracks "
                                   "one per line)")


def _resolve_part(conn: sqlite3.Connection, settings, part: str, notes: list[str], *,
                  typos: bool = True) -> list[sqlite3.Row]:
    query = parse_query(part, allow=("track", "playlist"))
    if query.kind != "playlist":
        if query.kind == "text" and names_unknown_track(part):
            raise BadInputError(f"{quoted(part)} is an unknown track ('?' or 'ID' in a tracklist): nothing to dig "
                                "from.")
        match = _resolve_text(conn, query, part, typos=typos)
        if match.note:
            notes.append(match.note)
        return [match.row]
    ids = playlist_tracks(settings, part)
    known = tracks_by_spotify_ids(conn, ids)
    if not known:
        raise NotFoundError(
            f"None of the playlist's {len(ids)} tracks is in a DJ set we know, so there is nothing to dig from."
        )
    return known


def _resolve_text(conn: sqlite3.Connection, query, part: str, *, typos: bool) -> TrackMatch:
    """`resolve_query` of the first of `_spellings(part)` that names a track exactly, else of the first that names
    one at all (a closest match or spelling, with its note); `NotFoundError` for `part` as typed when none does."""
    closest, not_found = None, None
    for text in _spellings(part):
        try:
            match = resolve_query(conn, query if text == part else parse_query(text), typos=typos)
        except NotFoundError as error:
            not_found = not_found or error
            continue
        if match.note is None:
            return match
        closest = closest or match
    if closest is None:
        raise not_found
    return closest


def _spellings(part: str) -> list[str]:
    """`part` as typed, then without what a copied list may have left on it: a leading `4:20 ` or `009 `
    (`pasted_track_text` keeps it, as it may start an artist's name: `5:45 Nono - Body` from a video's description)
    and a duration, BPM, key or year after the title (`A - T - 6:32`, `A - T 6B 124 BPM`), each alone, then both."""
    numberless = name_like_number_dropped(part)
    texts = [part, numberless]
    for text in (part, numberless):
        bare = _TRAILING_EXTRAS.sub("", text) if text else None
        if bare and _DASH.search(bare):
            texts.append(bare)
    return list(dict.fromkeys(text for text in texts if text))


def _spotify_track_ids(parts: list[str]) -> list[str]:
    """Spotify track ids of those `parts` that are track IDs, URIs or links (one indexed lookup each, no search)."""
    ids = []
    for part in parts:
        try:
            query = parse_query(part)
        except BadInputError:
            continue
        if query.kind == "track":
            ids.append(query.spotify_id)
    return ids


def resolve_seeds(conn: sqlite3.Connection, settings, parts: list[str]) -> Seeds:
    """The catalog rows `parts` name; a playlist link expands to those of its tracks the catalog knows.
    Only the first MAX_PASTED_TRACKS parts are looked up (a note says so); of the rest, the tracks the catalog
    knows by Spotify link or by exact name go to `Seeds.beyond`, for the answer to leave out (they are in the DJ's
    crate already); typos are forgiven in pastes of at most TYPO_PARTS parts.

    A part that names no catalog track is left out (see `Seeds.missing`), and so, among several parts, is one
    that cannot be read (`BadInputError`: `?`, an album link); the first part's error is raised only when no
    part names a track, so a single malformed part still raises `BadInputError`.
    """
    seeds = Seeds()
    if len(parts) > MAX_PASTED_TRACKS:
        seeds.notes.append(
            f"Only the first {MAX_PASTED_TRACKS} of the {len(parts)} pasted tracks were dug from (the rest, when "
            "the catalog knows them by link or exact name, are still left out of the answer); for a longer crate, "
            "paste its Spotify playlist link."
        )
        parts, rest = parts[:MAX_PASTED_TRACKS], parts[MAX_PASTED_TRACKS:]
        named = [part for part in rest if not looks_like_ref(part)]
        seeds.beyond = [row["id"] for row in (*tracks_by_spotify_ids(conn, _spotify_track_ids(rest)),
                                              *tracks_by_exact_names(conn, named))]
    first_error: CratediggerError | None = None
    for part in parts:
        try:
            seeds.rows += _resolve_part(conn, settings, part, seeds.notes, typos=len(parts) <= TYPO_PARTS)
        except (NotFoundError, BadInputError) as error:
            if isinstance(error, BadInputError):
                if len(parts) == 1:
                    raise
                seeds.unreadable.append(part)
            first_error = first_error or error
            seeds.missing.append((part, str(error)))
    if not seeds.rows:
        if first_error is None:
            raise NotFoundError("Nothing to look up: paste a Spotify track link or 'artist - title'.")
        others = [text for text, _ in seeds.missing[1:]]
        if not others:
            raise first_error
        shown = ", ".join(quoted(text) for text in others[:NAMED_IN_MESSAGE])
        more = f" and {len(others) - NAMED_IN_MESSAGE} more" if len(others) > NAMED_IN_MESSAGE else ""
        raise type(first_error)(f"{first_error} Nor does any other pasted line name a catalog track: {shown}{more}.") \
            from first_error  # a paste of several lines: each was tried, not only the one the error names
    first: dict[int, sqlite3.Row] = {}
    for row in seeds.rows:
        first.setdefault(row["id"], row)
    seeds.rows = list(first.values())  # each track once, where it was first named
    return seeds
