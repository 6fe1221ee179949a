"""The evidence a run stores (models.evidence) on hand-made sets with a known answer."""

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
