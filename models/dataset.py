"""What models learn from, read from the catalog or from a CSV: plays, credits and DJs.

>>> data = dataset_from_csv("sets.csv")          # set_id, track_id[, position, artist, title]
>>> data = dataset_from_catalog(conn)             # the catalog's plays, artists, remixers and DJs
>>> training = data.training(play_matrix(data.plays), data.plays)
"""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from catalog.identity import fold, trailing_label
from models.matrix import PlayMatrix, Plays, load_plays, read_plays_csv
from models.rankers import TrainData, transition_counts
from models.side import credited_artists, label_credit, remixer_of, track_artist_matrix


def play_cells(matrix: PlayMatrix, plays: Plays) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of each play in `matrix` [shape=(n_plays,) each]; -1 where absent.

    The column lookup takes 1 s at MixesDB size: a final fit computes it once for the transitions
    and the evidence (`models.evidence`).
    """
    return matrix.set_index(plays.set_keys), matrix.track_index(plays.track_keys)


@dataclass(frozen=True)
class Dataset:
    """Plays plus side information keyed like the plays (track key → credits, set key → DJ)."""

    plays: Plays
    credits: dict = field(default_factory=dict)
    set_djs: dict = field(default_factory=dict)
    source: str = ""

    def training(self, matrix: PlayMatrix, plays: Plays, cells: tuple | None = None) -> TrainData:
        """TrainData for `matrix` (built from `plays`, a subset of this dataset's plays; `cells` =
        `play_cells(matrix, plays)` when the caller has it)."""
        track_artists = self._track_artists(matrix.track_ids) if self.credits else None
        transitions = None
        if (plays.positions > 0).any():
            rows, cols = cells or play_cells(matrix, plays)
            transitions = transition_counts(rows, cols, plays.positions, matrix.shape[1])
        set_dj = None
        if self.set_djs:
            names = [self.set_djs.get(key) for key in matrix.set_ids.tolist()]
            known = sorted({name for name in names if name})
            index = {name: i for i, name in enumerate(known)}
            set_dj = np.array([index.get(name, -1) if name else -1 for name in names], dtype=np.int64)
        return TrainData(
            counts=matrix.matrix, track_artists=track_artists, transitions=transitions, set_dj=set_dj
        )

    @functools.cached_property
    def _all_track_artists(self) -> tuple[np.ndarray, sp.csr_matrix]:
        """Every played track key (sorted) and its row of credited artists, built once per dataset:
        the evaluation's splits, the tuning's and the final fit each take their tracks' rows."""
        keys = np.unique(self.plays.track_keys)
        matrix, _ = track_artist_matrix([self.credits.get(key, ()) for key in keys.tolist()])
        return keys, matrix

    def _track_artists(self, track_ids: np.ndarray) -> sp.csr_matrix:
        """Tracks × artists for `track_ids` (sorted played keys), as `track_artist_matrix` of their
        credits would give it: the artists credited on none of them are left out."""
        keys, matrix = self._all_track_artists
        where = np.minimum(np.searchsorted(keys, track_ids), max(len(keys) - 1, 0))
        if len(track_ids) and not (len(keys) and np.array_equal(keys[where], track_ids)):
            # tracks this dataset never played: credits looked up directly
            return track_artist_matrix([self.credits.get(key, ()) for key in np.asarray(track_ids).tolist()])[
                0
            ]
        rows = matrix[where]
        credited = np.bincount(rows.indices, minlength=rows.shape[1]) > 0
        return sp.csr_matrix(rows[:, np.flatnonzero(credited)])


def dataset_from_csv(path: Path | str) -> Dataset:
    """A CSV of tracklists (see `models.matrix.read_plays_csv`); credits come from its artist/title columns
    (or, without an artist column, from track ids written `Artist - Title`).

    A title ending in `[Label]` (as MixesDB writes them) credits that label too.
    """
    plays = read_plays_csv(path)
    credits = {
        key: [*credited_artists(artist, title), *label_credit(trailing_label(title))]
        for key, (artist, title) in plays.names.items()
    }
    return Dataset(plays=plays, credits=credits, source=str(path))


def dataset_from_catalog(conn: sqlite3.Connection, *, source: str = "catalog") -> Dataset:
    """Every play of the catalog, with credited artists (incl. remixers), labels and each set's first DJ.

    Credits are read for every track (a track no set plays is simply never looked up); the JSON lists
    are parsed once per distinct text, since artists and DJs recur across tracks and sets.
    """
    plays = load_plays(conn)
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples
    credits_of: dict[tuple, list[str]] = {}
    credits = {}
    for track_id, artists, version, label in cursor.execute("SELECT id, artists, version, label FROM tracks"):
        names = credits_of.get((artists, version, label))
        if names is None:
            remixer = remixer_of(version)
            names = credits_of[(artists, version, label)] = [
                *_json_names(artists),
                *([remixer] if remixer else []),
                *label_credit(label),
            ]
        credits[track_id] = names
    dj_of: dict[str, str | None] = {}
    set_djs = {}
    for set_id, djs in cursor.execute("SELECT id, djs FROM sets"):
        if djs not in dj_of:
            names = _json_names(djs)
            dj_of[djs] = fold(names[0]) if names else None
        if dj_of[djs]:
            set_djs[set_id] = dj_of[djs]
    return Dataset(plays=plays, credits=credits, set_djs=set_djs, source=source)


def _json_names(text: str | None) -> list[str]:
    """The non-empty names of a JSON list column ([] when it is empty or not JSON)."""
    try:
        return [name for name in json.loads(text or "[]") if name]
    except ValueError:
        return []
