"""Which sets played a seed and a result together, from the sets a run was trained on.

SQLite answers this by reading every play of every result (or every set of every seed): about
100 ms for a seed in 30,000 sets at MixesDB size, most of a dashboard search. A run instead
stores its set × track matrix by track, so the answer is a mask and a gather:

- `track_sets_indptr` [shape=(n_tracks + 1,), int64] and `track_sets_indices` [int32]: the
  set rows of each column (CSC of the run's sets × tracks matrix);
- `set_ids` [shape=(n_sets,), int64]: the catalog id of each set row;
- `set_recency` [shape=(n_sets,), int32]: each row's rank by (date, id), newest highest, for
  "newest example first" (sets without a date rank as oldest, as in the catalog query);
- `followed_indptr`, `followed_indices`, `followed_sets` [int64, int32, int32]: tracks × tracks CSR,
  in how many sets B was played right after A (B's position = A's + 1; SQLite's join read a row
  of the plays table for each of a popular seed's 30,000 plays, about 60 ms).

Counts are of the sets the run learned from; sets imported since count from the next retrain.
For several seeds, "played right after" is summed over the distinct seeds (a set where a result follows
two seeds counts twice), as the catalog query counts it.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import scipy.sparse as sp

ARRAYS = ("track_sets_indptr", "track_sets_indices", "set_ids", "set_recency",
          "followed_indptr", "followed_indices", "followed_sets")


def followed_counts(set_rows: np.ndarray, cols: np.ndarray, positions: np.ndarray, n_tracks: int) -> sp.csr_matrix:
    """Tracks × tracks [int32]: the sets in which column B is played at column A's position + 1.

    set_rows, cols, positions : np.ndarray [shape=(n_plays,)]; mashup parts share a position, so
    every part at position p + 1 follows every part at p. A set counts once per (A, B).
    """
    key = set_rows.astype(np.int64) * (int(positions.max(initial=0)) + 2) + positions
    if (key[1:] < key[:-1]).any():  # catalog plays come sorted by set and position already
        order = np.argsort(key, kind="stable")
        key, cols, set_rows = key[order], cols[order], set_rows[order]
    first, last = np.searchsorted(key, key + 1, "left"), np.searchsorted(key, key + 1, "right")
    n_next = last - first
    source = np.repeat(np.arange(len(key)), n_next)
    target = np.repeat(first, n_next) + np.arange(n_next.sum()) - np.repeat(np.cumsum(n_next) - n_next, n_next)
    pair = cols[source].astype(np.int64) * n_tracks + cols[target]
    order = np.argsort(pair, kind="stable")  # `source` ascends, so each pair's sets stay in order
    pair, sets = pair[order], set_rows[source][order]
    new = np.ones(len(pair), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (sets[1:] != sets[:-1])
    pair = pair[new]  # one per (pair, set)
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if len(pair) else np.zeros(0, np.int64)
    n_sets = np.diff(np.r_[starts, len(pair)]).astype(np.int32)
    first, then = np.divmod(pair[starts], n_tracks)
    indptr = np.searchsorted(first, np.arange(n_tracks + 1))
    return sp.csr_matrix((n_sets, then.astype(np.int32), indptr), shape=(n_tracks, n_tracks))


def evidence_arrays(conn: sqlite3.Connection, set_ids: np.ndarray, counts: sp.csr_matrix,
                    followed: sp.csr_matrix) -> dict[str, np.ndarray]:
    """The arrays above for `counts` (sets × tracks, rows = catalog `set_ids`, sorted) and `followed`."""
    by_track = sp.csc_matrix(counts)
    by_track.sort_indices()
    set_ids = np.asarray(set_ids, dtype=np.int64)
    cursor = conn.cursor()
    cursor.row_factory = None
    newest_last = np.fromiter(
        (row[0] for row in cursor.execute("SELECT id FROM sets ORDER BY COALESCE(date, ''), id")), dtype=np.int64)
    rank = np.full(len(set_ids), -1, dtype=np.int32)
    where = np.searchsorted(set_ids, newest_last)
    found = where < len(set_ids)
    found[found] = set_ids[where[found]] == newest_last[found]
    rank[where[found]] = np.flatnonzero(found).astype(np.int32)
    return {
        "track_sets_indptr": by_track.indptr.astype(np.int64),
        "track_sets_indices": by_track.indices.astype(np.int32),
        "set_ids": set_ids,
        "set_recency": rank,
        "followed_indptr": followed.indptr.astype(np.int64),
        "followed_indices": followed.indices.astype(np.int32),
        "followed_sets": followed.data.astype(np.int32),
    }


class SetEvidence:
    """Shared-set counts and newest examples for (seeds, results) columns of one run."""

    def __init__(self, indptr, indices, set_ids, recency, followed_indptr, followed_indices, followed_sets):
        self.indptr, self.indices, self.set_ids, self.recency = indptr, indices, set_ids, recency
        self.followed_indptr, self.followed_indices, self.followed_sets = (
            followed_indptr, followed_indices, followed_sets)

    @classmethod
    def from_run(cls, run) -> SetEvidence | None:
        """The run's evidence arrays (memory-mapped), or None for a run trained before they were stored."""
        if not all(run.has(name) for name in ARRAYS):
            return None
        return cls(*(run.array(name) for name in ARRAYS))

    def _sets_of(self, column: int) -> np.ndarray:
        return self.indices[self.indptr[column]: self.indptr[column + 1]]

    def shared(self, seed_columns, result_columns, n_examples: int) -> list[tuple[int, list[int]]]:
        """Per result column: (sets playing it and any seed, up to `n_examples` of their ids newest first).

        Columns < 0 (tracks the run has not seen) are in no set.
        """
        in_seed_set = np.zeros(len(self.set_ids), dtype=bool)
        for column in seed_columns:
            if column >= 0:
                in_seed_set[self._sets_of(int(column))] = True
        out = []
        for column in result_columns:
            if column < 0:
                out.append((0, []))
                continue
            rows = self._sets_of(int(column))
            rows = rows[in_seed_set[rows]]
            if len(rows) > n_examples:
                newest = rows[np.argpartition(-self.recency[rows], n_examples - 1)[:n_examples]]
            else:
                newest = rows
            newest = newest[np.argsort(-self.recency[newest], kind="stable")]
            out.append((len(rows), self.set_ids[newest].tolist()))
        return out

    def followed(self, seed_columns, result_columns) -> np.ndarray:
        """Per result column [shape=(n_results,), int64]: Σ over the distinct seeds of the sets in which
        it was played right after that seed."""
        results = np.asarray(result_columns, dtype=np.int64)
        out = np.zeros(len(results), dtype=np.int64)
        for column in np.unique(np.asarray(seed_columns, dtype=np.int64)):
            if column < 0:
                continue
            start, end = self.followed_indptr[column], self.followed_indptr[column + 1]
            if end == start:
                continue
            targets = self.followed_indices[start:end]  # sorted
            where = np.minimum(np.searchsorted(targets, results), len(targets) - 1)
            hit = (results >= 0) & (targets[where] == results)
            out[hit] += self.followed_sets[start:end][where[hit]]
        return out
