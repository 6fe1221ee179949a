"""The set × track play matrix, from the catalog or from a CSV of tracklists.

Rows are sets, columns are tracks; a cell counts how often the set plays the track.
`Plays` holds the raw play list as parallel numpy columns (one SQL query reads it);
`play_matrix` turns it into a `PlayMatrix` with id maps in both directions.

>>> plays = Plays(set_keys=np.array([10, 10, 11]), track_keys=np.array([7, 8, 7]), positions=np.array([1, 2, 1]))
>>> m = play_matrix(plays)
>>> m.matrix.toarray().tolist()
[[1.0, 1.0], [1.0, 0.0]]
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from catalog.columns import MAX_POSITION, SET_ID_COLUMNS, TITLE_COLUMNS, first_present
from errors import BadInputError
from textfile import csv_dict_reader


@dataclass(frozen=True)
class Plays:
    """One row per play, as parallel arrays.

    set_keys : np.ndarray [shape=(n_plays,)]   catalog set id (int) or external set id (str)
    track_keys : np.ndarray [shape=(n_plays,)] catalog track id (int) or external track id (str)
    positions : np.ndarray [shape=(n_plays,)]  1-based position in the tracklist; 0 when unknown
    """

    set_keys: np.ndarray
    track_keys: np.ndarray
    positions: np.ndarray
    names: dict = field(default_factory=dict)  # track key -> (artist, title) text, when the source knows it

    def __len__(self) -> int:
        return len(self.set_keys)

    def fingerprint(self) -> str:
        """A short hash of the plays: equal inputs give equal fingerprints."""
        digest = hashlib.sha256()
        for column in (self.set_keys, self.track_keys, self.positions):
            digest.update(
                np.ascontiguousarray(column).astype(str if column.dtype.kind in "OUS" else np.int64).tobytes()
            )
        return digest.hexdigest()[:16]

    def subset(self, mask: np.ndarray) -> Plays:
        return Plays(self.set_keys[mask], self.track_keys[mask], self.positions[mask], self.names)


@dataclass(frozen=True)
class PlayMatrix:
    """Play counts of sets × tracks with the ids of its rows and columns.

    matrix : scipy.sparse.csr_matrix [shape=(n_sets, n_tracks), dtype=float32]
    set_ids : np.ndarray [shape=(n_sets,)]     the set key of each row, sorted
    track_ids : np.ndarray [shape=(n_tracks,)] the track key of each column, sorted
    """

    matrix: sp.csr_matrix
    set_ids: np.ndarray
    track_ids: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def track_index(self, track_ids) -> np.ndarray:
        """Column of each track id; -1 for ids not in the matrix."""
        return _lookup(self.track_ids, track_ids)

    def set_index(self, set_ids) -> np.ndarray:
        """Row of each set id; -1 for ids not in the matrix."""
        return _lookup(self.set_ids, set_ids)


def _lookup(sorted_ids: np.ndarray, wanted) -> np.ndarray:
    wanted = np.asarray(wanted, dtype=sorted_ids.dtype if len(sorted_ids) else None)
    if len(sorted_ids) == 0:
        return np.full(wanted.shape, -1, dtype=np.int64)
    where = np.searchsorted(sorted_ids, wanted)
    where = np.minimum(where, len(sorted_ids) - 1)
    return np.where(sorted_ids[where] == wanted, where, -1).astype(np.int64)


def load_plays(conn: sqlite3.Connection) -> Plays:
    """Every play of the catalog, ordered by set, position and part.

    Reads the integer columns straight into numpy (`np.fromiter` over plain tuples: building
    `sqlite3.Row`s and a list of tuples cost 3× the query at MixesDB scale) in table order, and
    sorts with `np.lexsort` instead of asking SQLite to walk the (set, position, part) index.
    """
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples, whatever the connection's factory
    cursor.execute("SELECT set_id, position, part, track_id FROM plays")
    table = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64).reshape(-1, 4)
    order = np.lexsort((table[:, 2], table[:, 1], table[:, 0]))
    return Plays(table[order, 0], table[order, 3], table[order, 1])


# Accepted names of the track column, the documented one first (see catalog.columns for the others).
TRACK_ID_COLUMNS = ("track_id", "spotify_id", "track_uri")


def read_plays_csv(path: Path | str) -> Plays:
    """Plays from a CSV with columns `set_id, track_id[, position, artist, title]` (others ignored; the aliases
    are in `catalog.columns` and TRACK_ID_COLUMNS). Without an artist column, track ids written
    `Artist - Title` (tracklist lines, the catalog's identity keys) give the artist and, failing a title
    column, the title.

    Without a `position` column, positions are 0 (order unknown) and rows keep the file's order. Raises
    `BadInputError` naming the file when it lacks the two required columns.
    """
    from scraping.grammar import split_artist_title  # the tracklist grammar's own `Artist - Title` split

    path = Path(path)
    if path.is_dir():
        raise BadInputError(f"{path} is a folder, not a CSV file: give the CSV of sets inside it.")
    if not path.is_file():
        raise BadInputError(
            f"{path} does not exist: give a CSV with columns set_id, track_id[, position, artist, title]."
        )
    sets, tracks, positions, names = [], [], [], {}
    with csv_dict_reader(path) as reader:
        columns = {name.strip().lower(): name for name in reader.fieldnames or [] if name}
        set_col, track_col = (columns.get(first_present(columns, aliases))
                              for aliases in (SET_ID_COLUMNS, TRACK_ID_COLUMNS))
        if set_col is None or track_col is None:
            raise BadInputError(
                f"{path} has columns {sorted(columns)}; it needs set_id and track_id "
                f"(or {', '.join(SET_ID_COLUMNS[1:])} and {', '.join(TRACK_ID_COLUMNS[1:])}; "
                "optionally position, artist, title)."
            )
        position_col, artist_col = columns.get("position"), columns.get("artist")
        title_col = columns.get(first_present(columns, TITLE_COLUMNS))
        for row in reader:
            set_id, track_id = (row.get(set_col) or "").strip(), (row.get(track_col) or "").strip()
            if not set_id or not track_id:
                continue
            position = 0  # unknown order
            if position_col:
                text = (row.get(position_col) or "").strip()
                position = int(text) if text.isdecimal() and int(text) <= MAX_POSITION else 0  # '²': isdigit
            sets.append(set_id)
            tracks.append(track_id)
            positions.append(position)
            if track_id in names:
                continue
            title = (row.get(title_col) or "").strip() if title_col else ""
            if artist_col:
                artist = (row.get(artist_col) or "").strip()
                if artist:
                    names[track_id] = (artist, title)
            elif split := split_artist_title(track_id):  # ids written `Artist - Title`
                names[track_id] = (split[0], title or split[1])
    if not sets:
        raise BadInputError(f"{path} has no rows with both a set_id and a track_id.")
    set_keys, track_keys = np.array(sets, dtype=object), np.array(tracks, dtype=object)
    positions_array = np.array(positions, dtype=np.int64)
    order = np.lexsort((positions_array, set_keys.astype(str)))
    return Plays(set_keys[order], track_keys[order], positions_array[order], names)


def play_matrix(plays: Plays) -> PlayMatrix:
    """Sets × tracks CSR of play counts (a track played twice in one set counts 2)."""
    set_ids, rows = np.unique(plays.set_keys, return_inverse=True)
    track_ids, cols = np.unique(plays.track_keys, return_inverse=True)
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sp.csr_matrix((data, (rows.ravel(), cols.ravel())), shape=(len(set_ids), len(track_ids)))
    matrix.sum_duplicates()
    return PlayMatrix(matrix=matrix, set_ids=set_ids, track_ids=track_ids)


def catalog_matrix(conn: sqlite3.Connection) -> tuple[PlayMatrix, Plays]:
    """The play matrix of the whole catalog, and the plays it was built from."""
    plays = load_plays(conn)
    return play_matrix(plays), plays
