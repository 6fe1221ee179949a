"""The evidence a run stores (models.evidence) on hand-made sets with a known answer."""

import random
import sqlite3

import numpy as np

from models.evidence import SetEvidence, followed_counts


def test_followed_counts_each_set_once_and_every_mashup_part():
    # set 0: A B A B (B after A twice: one set); set 1: A, then B and C as mashup parts at position 2;
    # set 2: A, a gap (an unknown line), B; set 3: unordered (all 0): nothing follows
    set_rows = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3])
    cols = np.array([0, 1, 0, 1, 0, 1, 2, 0, 1, 0, 1])
    positions = np.array([1, 2, 3, 4, 1, 2, 2, 1, 3, 0, 0])
    followed = followed_counts(set_rows, cols, positions, 3).toarray()
    assert followed.tolist() == [[0, 2, 1], [1, 0, 0], [0, 0, 0]]


def test_shared_sets_newest_first_and_followed_summed_over_seeds():
    # tracks × sets: track 0 in sets 0 1 2 3, track 1 in 1 2 3, track 2 in 0, track 3 in none
    indptr = np.array([0, 4, 7, 8, 8])
    indices = np.array([0, 1, 2, 3, 1, 2, 3, 0], dtype=np.int32)
    set_ids = np.array([10, 11, 12, 13])
    recency = np.array([3, 0, 2, 1], dtype=np.int32)  # set 10 newest, then 12, 13, 11
    followed = (np.array([0, 1, 2, 2, 2]), np.array([1, 0], dtype=np.int32), np.array([4, 1], dtype=np.int32))
    evidence = SetEvidence(indptr, indices, set_ids, recency, *followed)
    assert evidence.shared([0], [1, 2, 3, -1], 2) == [(3, [12, 13]), (1, [10]), (0, []), (0, [])]
    assert evidence.shared([2], [1], 3) == [(0, [])]
    assert evidence.followed([0, 1], [1, 0, 2, -1]).tolist() == [4, 1, 0, 0]


def test_followed_counts_each_distinct_seed_once():
    indptr = np.array([0, 0, 0])
    evidence = SetEvidence(indptr, np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int32),
                           np.array([0, 1, 1]), np.array([1], dtype=np.int32), np.array([4], dtype=np.int32))
    assert evidence.followed([0, 0], [1]).tolist() == [4]  # a repeated seed is one seed, as SQL's IN


def _random_catalog(rng: random.Random) -> tuple[sqlite3.Connection, int]:
    """Sets with NULL/partial/equal dates, position gaps and mashup parts (same position, next part)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sets (id INTEGER PRIMARY KEY, date TEXT)")
    conn.execute("CREATE TABLE plays (set_id INT, position INT NOT NULL, part INT NOT NULL DEFAULT 0, "
                 "track_id INT, UNIQUE (set_id, position, part))")
    n_tracks = rng.randint(1, 12)
    for set_id in rng.sample(range(1, 200), rng.randint(1, 25)):
        conn.execute("INSERT INTO sets VALUES (?, ?)", (set_id, rng.choice([None, "", "2020", "2020-01", "2021"])))
        position, parts = 0, {}
        for _ in range(rng.randint(0, 10)):
            position = max(1, position + rng.choice([1, 1, 1, 2, 0]))
            parts[position] = parts.get(position, -1) + 1
            conn.execute("INSERT INTO plays VALUES (?, ?, ?, ?)",
                         (set_id, position, parts[position], rng.randint(1, n_tracks)))
    return conn, n_tracks


def test_run_evidence_equals_both_catalog_queries_on_random_catalogs():
    """SetEvidence against the SQL it replaces (both plans), 1-3 seeds, seeds the run has not seen."""
    from models.dataset import play_cells
    from models.evidence import ARRAYS, evidence_arrays
    from models.matrix import load_plays, play_matrix
    from models.recommender import (
        MAX_EXAMPLES,
        _followed_from_results,
        _followed_from_seeds,
        _shared_from_results,
        _shared_from_seeds,
    )

    checked = 0
    for seed in range(200):
        rng = random.Random(seed)
        conn, n_tracks = _random_catalog(rng)
        plays = load_plays(conn)
        if len(plays.set_keys) == 0:
            continue
        matrix = play_matrix(plays)
        cells = play_cells(matrix, plays)
        arrays = evidence_arrays(conn, matrix.set_ids, matrix.matrix,
                                 followed_counts(*cells, plays.positions, matrix.shape[1]))
        evidence = SetEvidence(*(arrays[name] for name in ARRAYS))
        everything = list(range(1, n_tracks + 2))  # the last id is in no set
        seeds = rng.sample(everything, rng.randint(1, min(3, len(everything))))
        results = [t for t in everything if t not in seeds]
        if not results:
            continue
        seed_cols, result_cols = matrix.track_index(seeds), matrix.track_index(results)
        shared = dict(zip(results, evidence.shared(seed_cols, result_cols, MAX_EXAMPLES), strict=True))
        followed = dict(zip(results, evidence.followed(seed_cols, result_cols).tolist(), strict=True))
        for query in (_shared_from_results, _shared_from_seeds):
            rows = {t: [] for t in results}
            for track, set_id, date in conn.execute(*query(seeds, results)):
                rows[track].append((date or "", set_id))
            expected = {t: (len(r), [s for _, s in sorted(r, reverse=True)[:MAX_EXAMPLES]]) for t, r in rows.items()}
            assert shared == expected, (seed, seeds)
        for query in (_followed_from_results, _followed_from_seeds):
            counts = dict(conn.execute(*query(seeds, results)).fetchall())
            assert followed == {t: counts.get(t, 0) for t in results}, (seed, seeds)
        checked += 1
    assert checked > 150
