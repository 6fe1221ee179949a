"""Exact cosine top-k with BPM-range and Camelot filters."""

from __future__ import annotations

import numpy as np
import pytest

from errors import BadInputError
from models.embeddings import EmbeddingIndex, NeighbourFilters


@pytest.fixture
def index():
    emb = np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1], [-1, 0]], np.float32)
    return EmbeddingIndex(emb, np.array([10, 11, 12, 13, 14]), tempo=[124, 174, 87, 126, np.nan],
                          camelot=["8A", "9A", "3B", "8B", ""])


def test_top_k_is_cosine_order(index):
    ids, scores = index.similar(np.array([1, 0]), k=3)
    assert ids.tolist() == [10, 11, 12]
    assert scores[0] == pytest.approx(1.0) and np.all(np.diff(scores) <= 0)


def test_bpm_filter_allows_half_and_double_time(index):
    ids, _ = index.similar(np.array([1, 0]), k=5, filters=NeighbourFilters(bpm=87.0, bpm_tolerance=0.03))
    assert sorted(ids.tolist()) == [11, 12]
    ids, _ = index.similar(np.array([1, 0]), k=5, filters=NeighbourFilters(bpm=87.0, allow_half_double=False))
    assert ids.tolist() == [12]
    ids, _ = index.similar(np.array([1, 0]), k=5, filters=NeighbourFilters(bpm=125.0, keep_unknown=True))
    assert sorted(ids.tolist()) == [10, 13, 14]


def test_camelot_filter(index):
    ids, _ = index.similar(np.array([1, 0]), k=5, filters=NeighbourFilters(camelot="8A"))
    assert sorted(ids.tolist()) == [10, 11, 13]


def test_exclude_and_similar_to_track(index):
    ids, _ = index.similar_to_track(10, k=2)
    assert ids.tolist() == [11, 12]
    with pytest.raises(IndexError):
        index.similar_to_track(99)


def test_bad_queries(index):
    with pytest.raises(BadInputError):
        index.similar(np.ones(3), k=2)
    with pytest.raises(BadInputError):
        index.similar(np.ones(2), k=0)
    assert index.similar(np.ones(2), k=3, filters=NeighbourFilters(bpm=60.0, allow_half_double=False))[0].size == 0
