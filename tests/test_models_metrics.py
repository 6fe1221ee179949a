"""Metrics on hand-computed cases."""

import math

import pytest

from models.metrics import catalogue_coverage, dcg_at_k, hit_rate_at_k, ndcg_at_k, r_precision


def test_perfect_ranking():
    ranked, relevant = [1, 2, 3, 4], {1, 2}
    assert r_precision(ranked, relevant) == 1.0
    assert ndcg_at_k(ranked, relevant) == pytest.approx(1.0)
    assert hit_rate_at_k(ranked, relevant) == 1.0


def test_no_hit():
    ranked, relevant = [5, 6, 7], {1, 2}
    assert r_precision(ranked, relevant) == 0.0
    assert ndcg_at_k(ranked, relevant) == 0.0
    assert hit_rate_at_k(ranked, relevant) == 0.0


def test_textbook_dcg_example():
    # Wikipedia's DCG example with binary gains: relevant at ranks 1, 3 and 4 of 5.
    ranked, relevant = ["a", "b", "c", "d", "e"], {"a", "c", "d"}
    expected_dcg = 1 / math.log2(2) + 1 / math.log2(4) + 1 / math.log2(5)
    assert dcg_at_k(ranked, relevant, 5) == pytest.approx(expected_dcg)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, relevant, 5) == pytest.approx(expected_dcg / ideal)
    assert ndcg_at_k(ranked, relevant, 5) == pytest.approx(0.9060254355346823)


def test_r_precision_counts_only_the_first_r():
    assert r_precision([9, 1, 2], {1, 2}) == 0.5
    assert r_precision([9, 8, 1], {1, 2, 3}) == pytest.approx(1 / 3)


def test_hit_and_ndcg_cut_at_k():
    ranked = list(range(20))
    assert hit_rate_at_k(ranked, {15}, k=10) == 0.0
    assert hit_rate_at_k(ranked, {9}, k=10) == 1.0
    assert ndcg_at_k(ranked, {9}, k=10) == pytest.approx(1 / math.log2(11))


def test_empty_truth_scores_zero():
    assert r_precision([1, 2], set()) == 0.0
    assert ndcg_at_k([1, 2], set()) == 0.0
    assert hit_rate_at_k([1, 2], set()) == 0.0


def test_catalogue_coverage():
    assert catalogue_coverage([[1, 2], [2, 3]], n_items=6) == 0.5
    assert catalogue_coverage([[1, 2, 3]], n_items=6, k=1) == pytest.approx(1 / 6)
    assert catalogue_coverage([], n_items=0) == 0.0
