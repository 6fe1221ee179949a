"""Each track's top styles, computed once when a run is trained and stored with it.

A track's styles are the styles of the sets that play it, most frequent first (`catalog.queries
.track_styles` asks SQLite per track; at MixesDB size that was a third of a dashboard search).
The run keeps `style_names` [shape=(n_styles,), fixed-width str] and `track_styles`
[shape=(n_tracks, TOP), int16]: style codes per column, -1 where there are fewer.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import scipy.sparse as sp

TOP = 2


def style_arrays(conn: sqlite3.Connection, set_ids: np.ndarray, counts: sp.csr_matrix) -> dict[str, np.ndarray]:
    """`style_names` and `track_styles` for the columns of `counts` (sets × tracks, rows = `set_ids`)."""
    row_of = {int(s): i for i, s in enumerate(np.asarray(set_ids).tolist())}
    names: dict[str, int] = {}
    rows, cols = [], []
    parsed: dict[str | None, list[str]] = {}
    cursor = conn.cursor()
    cursor.row_factory = None
    for set_id, text in cursor.execute("SELECT id, styles FROM sets"):
        row = row_of.get(int(set_id))
        if row is None:
            continue
        if text not in parsed:
            try:
                parsed[text] = [s for s in json.loads(text or "[]") if isinstance(s, str) and s]
            except ValueError:
                parsed[text] = []
        for style in dict.fromkeys(parsed[text]):
            rows.append(row)
            cols.append(names.setdefault(style, len(names)))
    set_styles = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (np.array(rows, np.int64), np.array(cols, np.int64))),
        shape=(counts.shape[0], len(names)),
    )
    played = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    played.data[:] = 1.0
    per_track = sp.csr_matrix(played.T @ set_styles)  # tracks × styles: sets of each style per track
    per_track.sort_indices()
    row = np.repeat(np.arange(per_track.shape[0]), np.diff(per_track.indptr))
    order = np.lexsort((per_track.indices, -per_track.data, row))  # by track, most sets first, then first seen
    rank = np.arange(len(order)) - per_track.indptr[row[order]]
    keep = order[rank < TOP]
    top = np.full((counts.shape[1], TOP), -1, dtype=np.int16)
    top[row[keep], rank[rank < TOP]] = per_track.indices[keep]
    width = max([1, *(len(n) for n in names)])
    return {"style_names": np.array(list(names), dtype=f"<U{width}"), "track_styles": top}


def styles_by_column(run) -> tuple[np.ndarray, np.ndarray] | None:
    """(style names, codes per column) of a run that stores them, else None."""
    if not (run.has("style_names") and run.has("track_styles")):
        return None
    return np.asarray(run.array("style_names", mmap=False)), run.array("track_styles")
