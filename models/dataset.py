"""What models learn from, read from the catalog or from a CSV: plays, credits and DJs.

>>> data = dataset_from_csv("sets.csv")          # set_id, track_id[, position, artist, title]
>>> data = dataset_from_catalog(conn)             # the catalog's plays, artists, remixers and DJs
>>> training = data.training(play_matrix(data.plays), data.plays)
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catalog.identity import fold, trailing_label
from models.matrix import PlayMatrix, Plays, load_plays, read_plays_csv
from models.rankers import TrainData, transition_counts
from models.side import credited_artists, label_credit, remixer_of, track_artist_matrix


@dataclass(frozen=True)
class Dataset:
    """Plays plus side information keyed like the plays (track key → credits, set key → DJ)."""

    plays: Plays
    credits: dict = field(default_factory=dict)
    set_djs: dict = field(default_factory=dict)
    source: str = ""

    def training(self, matrix: PlayMatrix, plays: Plays) -> TrainData:
        """TrainData for `matrix` (built from `plays`, a subset of this dataset's plays)."""
        track_artists = None
        if self.credits:
            track_artists, _ = track_artist_matrix(
                [self.credits.get(key, ()) for key in matrix.track_ids.tolist()]
            )
        transitions = None
        if (plays.positions > 0).any():
            transitions = transition_counts(
                matrix.set_index(plays.set_keys),
                matrix.track_index(plays.track_keys),
                plays.positions,
                matrix.shape[1],
            )
        set_dj = None
        if self.set_djs:
            names = [self.set_djs.get(key) for key in matrix.set_ids.tolist()]
            known = sorted({name for name in names if name})
            index = {name: i for i, name in enumerate(known)}
            set_dj = np.array([index.get(name, -1) if name else -1 for name in names], dtype=np.int64)
        return TrainData(
            counts=matrix.matrix, track_artists=track_artists, transitions=transitions, set_dj=set_dj
        )


def dataset_from_csv(path: Path | str) -> Dataset:
    """A CSV of tracklists (see `models.matrix.read_plays_csv`); credits come from its artist/title columns.

    A title ending in `[Label]` (as MixesDB writes them) credits that label too.
    """
    plays = read_plays_csv(path)
    credits = {
        key: [*credited_artists(artist, title), *label_credit(trailing_label(title))]
        for key, (artist, title) in plays.names.items()
    }
    return Dataset(plays=plays, credits=credits, source=str(path))


def dataset_from_catalog(conn: sqlite3.Connection, *, source: str = "catalog") -> Dataset:
    """Every play of the catalog, with credited artists (incl. remixers), labels and each set's first DJ."""
    plays = load_plays(conn)
    credits = {}
    for track_id, artists, version, label in conn.execute(
        "SELECT id, artists, version, label FROM tracks WHERE id IN (SELECT DISTINCT track_id FROM plays)"
    ):
        try:
            names = [a for a in json.loads(artists or "[]") if a]
        except ValueError:
            names = []
        remixer = remixer_of(version)
        credits[track_id] = [*names, *([remixer] if remixer else []), *label_credit(label)]
    set_djs = {}
    for set_id, djs in conn.execute("SELECT id, djs FROM sets"):
        try:
            names = [d for d in json.loads(djs or "[]") if d]
        except ValueError:
            names = []
        if names:
            set_djs[set_id] = fold(names[0])
    return Dataset(plays=plays, credits=credits, set_djs=set_djs, source=source)
