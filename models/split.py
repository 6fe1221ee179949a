"""The evaluation split: hold out a fraction of the tracks of every long-enough set.

For every set with at least `min_set` distinct tracks, `holdout` of its tracks (rounded, at least
one) are drawn at random with a seeded generator and removed; everything else trains. A held-out
track that no training play contains is dropped from the truth (cold tracks are the audio model's
job). Sets and tracks are visited in sorted order, so one seed always gives one split.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from models.matrix import PlayMatrix, Plays, play_matrix


@dataclass(frozen=True)
class HoldoutSplit:
    """Training data and what each test set must find.

    train : PlayMatrix                   every set (test sets with their kept tracks only)
    train_plays : Plays                  the plays behind `train`, in set and position order
    test_rows : np.ndarray [shape=(n_test,)]  the row of each test set in `train.matrix`
    truth : list[np.ndarray]             held-out columns of each test set (warm tracks only, non-empty)
    next_pairs : np.ndarray [shape=(n_pairs, 2)]  (previous column, held-out column) for ordered sets
    held_out : Plays                     every held-out play (warm or cold), for the leak check
    """

    train: PlayMatrix
    train_plays: Plays
    test_rows: np.ndarray
    truth: list[np.ndarray]
    next_pairs: np.ndarray
    held_out: Plays


def _hold_count(n_tracks: int, holdout: float) -> int:
    return max(1, int(np.floor(holdout * n_tracks + 0.5)))


def holdout_split(plays: Plays, *, holdout: float = 0.2, min_set: int = 10, seed: int = 0) -> HoldoutSplit:
    """Split `plays` per the evaluation protocol (see module docstring)."""
    if not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout={holdout} must be between 0 and 1")
    set_ids, set_of = np.unique(plays.set_keys, return_inverse=True)
    track_ids, track_of = np.unique(plays.track_keys, return_inverse=True)
    set_of, track_of = set_of.ravel(), track_of.ravel()
    pair = set_of.astype(np.int64) * len(track_ids) + track_of
    distinct_pairs = np.unique(pair)
    pair_set = distinct_pairs // len(track_ids)
    tracks_per_set = np.bincount(pair_set, minlength=len(set_ids))
    rng = np.random.default_rng(seed)
    held_pairs = []
    starts = np.searchsorted(pair_set, np.arange(len(set_ids)))
    for row in np.flatnonzero(tracks_per_set >= min_set):
        candidates = distinct_pairs[starts[row] : starts[row] + tracks_per_set[row]]  # sorted by track
        held_pairs.append(rng.permutation(candidates)[: _hold_count(len(candidates), holdout)])
    held = np.sort(np.concatenate(held_pairs)) if held_pairs else np.zeros(0, dtype=np.int64)
    is_held = np.isin(pair, held)
    train_plays, held_out = plays.subset(~is_held), plays.subset(is_held)
    train = play_matrix(train_plays)

    test_rows, truth = _truth_by_set(held // len(track_ids), track_ids[held % len(track_ids)], set_ids, train)
    return HoldoutSplit(
        train=train,
        train_plays=train_plays,
        test_rows=np.asarray(test_rows, dtype=np.int64),
        truth=truth,
        next_pairs=_next_pairs(plays, is_held, train),
        held_out=held_out,
    )


def sample_split(split: HoldoutSplit, max_queries: int, *, seed: int = 0) -> HoldoutSplit:
    """`split` with at most `max_queries` test sets and as many next-track pairs, drawn at random (seeded).

    Training data stays whole; only what is scored shrinks, so a sample estimates the full
    evaluation's metrics at a bounded cost (at MixesDB scale there are 221k test sets).
    """
    rng = np.random.default_rng(seed)
    test_rows, truth, next_pairs = split.test_rows, split.truth, split.next_pairs
    if len(test_rows) > max_queries:
        pick = np.sort(rng.choice(len(test_rows), max_queries, replace=False))
        test_rows, truth = test_rows[pick], [truth[i] for i in pick]
    if len(next_pairs) > max_queries:
        next_pairs = next_pairs[np.sort(rng.choice(len(next_pairs), max_queries, replace=False))]
    return replace(split, test_rows=test_rows, truth=truth, next_pairs=next_pairs)


def _truth_by_set(
    held_set: np.ndarray, held_track_keys: np.ndarray, set_ids: np.ndarray, train: PlayMatrix
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Test rows (ascending set) and the sorted warm held-out columns of each, grouped in one sort.

    held_set : np.ndarray [shape=(n_held,)]        index into `set_ids` of each held-out (set, track) pair
    held_track_keys : np.ndarray [shape=(n_held,)] the track key of each pair
    """
    cols = train.track_index(held_track_keys)
    warm = cols >= 0
    held_set, cols = held_set[warm], cols[warm]
    order = np.lexsort((cols, held_set))
    held_set, cols = held_set[order], cols[order]
    sets, starts = np.unique(held_set, return_index=True)
    rows = train.set_index(set_ids[sets])
    groups = np.split(cols, starts[1:]) if len(sets) else []
    test_rows = [row for row, group in zip(rows.tolist(), groups, strict=True) if row >= 0]
    truth = [group for row, group in zip(rows.tolist(), groups, strict=True) if row >= 0]
    return np.asarray(test_rows, dtype=np.int64), truth


def _next_pairs(plays: Plays, is_held: np.ndarray, train: PlayMatrix) -> np.ndarray:
    """(column played just before, held-out column) for held-out plays of ordered sets, both warm."""
    ordered = plays.positions > 0
    same_set = np.zeros(len(plays), dtype=bool)
    same_set[1:] = plays.set_keys[1:] == plays.set_keys[:-1]
    consecutive = np.zeros(len(plays), dtype=bool)
    consecutive[1:] = plays.positions[1:] == plays.positions[:-1] + 1
    picks = np.flatnonzero(is_held & ordered & same_set & consecutive)
    picks = picks[~is_held[picks - 1]]
    if len(picks) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    previous = train.track_index(plays.track_keys[picks - 1])
    current = train.track_index(plays.track_keys[picks])
    keep = (previous >= 0) & (current >= 0) & (previous != current)
    return np.stack([previous[keep], current[keep]], axis=1)


def assert_no_leak(split: HoldoutSplit) -> None:
    """Raise AssertionError if any held-out (set, track) pair is in the training data."""
    train, held = split.train_plays, split.held_out
    set_codes = _codes(train.set_keys, held.set_keys)
    track_codes = _codes(train.track_keys, held.track_keys)
    n_tracks = int(max(track_codes[0].max(initial=-1), track_codes[1].max(initial=-1))) + 1
    train_pairs = set_codes[0] * n_tracks + track_codes[0]
    held_pairs = set_codes[1] * n_tracks + track_codes[1]
    leaked = np.isin(held_pairs, train_pairs)
    if leaked.any():
        first = int(np.flatnonzero(leaked)[0])
        pair = (held.set_keys[first], held.track_keys[first])
        raise AssertionError(f"held-out play {pair} leaked into training")
    if not split.truth:
        return
    rows = np.repeat(split.test_rows, [len(t) for t in split.truth])
    truth = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, np.concatenate(split.truth))), shape=split.train.shape
    )
    overlap = split.train.matrix.multiply(truth).tocoo()
    if overlap.nnz:
        raise AssertionError(f"test set row {overlap.row[0]} has a held-out track in training")


def _codes(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same integer code for equal keys across two key arrays (ints or strings)."""
    _, codes = np.unique(np.concatenate([first, second]), return_inverse=True)
    codes = codes.ravel().astype(np.int64)
    return codes[: len(first)], codes[len(first) :]
