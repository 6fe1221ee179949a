"""The play matrix and its weightings."""

import numpy as np
import pytest
import scipy.sparse as sp

from catalog.db import connect
from errors import BadInputError
from models.matrix import Plays, load_plays, play_matrix, read_plays_csv
from models.weighting import bm25_weight, damp_dj_repeats, min_support, weight
from tests.models_catalog import HOUSE_SETS, TECHNO_SETS, build_catalog


def test_play_matrix_counts_repeats_and_maps_ids():
    plays = Plays(
        set_keys=np.array([30, 30, 30, 10]),
        track_keys=np.array([7, 9, 7, 9]),
        positions=np.array([1, 2, 3, 1]),
    )
    m = play_matrix(plays)
    assert m.set_ids.tolist() == [10, 30] and m.track_ids.tolist() == [7, 9]
    assert m.matrix.toarray().tolist() == [[0.0, 1.0], [2.0, 1.0]]
    assert m.track_index([9, 8, 7]).tolist() == [1, -1, 0]
    assert m.set_index([30, 99]).tolist() == [1, -1]


def test_catalog_matrix_has_one_row_per_set_and_plays_in_order(tmp_path):
    ids = build_catalog(tmp_path)
    plays = load_plays(connect(tmp_path / "catalog.sqlite", readonly=True))
    m = play_matrix(plays)
    assert m.shape == (len(HOUSE_SETS) + len(TECHNO_SETS), len(ids))
    first_set = plays.track_keys[plays.set_keys == plays.set_keys[0]].tolist()
    assert first_set == [ids[name] for name in HOUSE_SETS[0]]
    assert m.matrix.sum() == sum(len(s) for s in HOUSE_SETS + TECHNO_SETS)
    assert (
        plays.fingerprint() == load_plays(connect(tmp_path / "catalog.sqlite", readonly=True)).fingerprint()
    )


def test_empty_catalog_gives_empty_matrix(tmp_path):
    m = play_matrix(load_plays(connect(tmp_path / "catalog.sqlite")))
    assert m.shape == (0, 0) and m.track_index([1]).tolist() == [-1]


def test_read_plays_csv_orders_by_position_and_keeps_artists(tmp_path):
    path = tmp_path / "sets.csv"
    path.write_text(
        "\ufeffset_id,track_id,position,artist,title,extra\nA,x,2,Bob,T,1\nA,y,1,Ann,U,1\nB,x,,Bob,T,\n,z,1,,,\n"
    )
    plays = read_plays_csv(path)
    assert plays.set_keys.tolist() == ["A", "A", "B"]
    assert plays.track_keys.tolist() == ["y", "x", "x"] and plays.positions.tolist() == [1, 2, 0]
    assert plays.names == {"x": ("Bob", "T"), "y": ("Ann", "U")}
    assert play_matrix(plays).matrix.toarray().tolist() == [[1.0, 1.0], [1.0, 0.0]]


def test_read_plays_csv_takes_a_mixesdb_spotify_export_as_it_comes(tmp_path):
    """The original DJ recommender's table (../shared/fixtures/sets/) names the columns set_title, spotify_id, song."""
    path = tmp_path / "export.csv"
    path.write_text("\ufeff,title + dj,set_title,set_list,artist,song,spotify_id\n"
                    "1, - DJ A - Show 2, - DJ A - Show,Bob - T,Bob,T,x1\n2, - DJ A - Show 2, - DJ A - Show,Ann - U,Ann,U,y2\n")
    plays = read_plays_csv(path)
    assert plays.set_keys.tolist() == ["- DJ A - Show", "- DJ A - Show"]
    assert plays.track_keys.tolist() == ["x1", "y2"] and plays.names == {"x1": ("Bob", "T"), "y2": ("Ann", "U")}


def test_read_plays_csv_without_required_columns_is_bad_input(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("set,track\n1,2\n")
    with pytest.raises(BadInputError, match="set_id and track_id"):
        read_plays_csv(path)
    with pytest.raises(BadInputError, match="does not exist"):
        read_plays_csv(tmp_path / "missing.csv")


def test_binary_and_confidence_weights():
    counts = sp.csr_matrix(np.array([[2.0, 0.0], [1.0, 3.0]], dtype=np.float32))
    assert weight(counts, "binary").toarray().tolist() == [[1.0, 0.0], [1.0, 1.0]]
    conf = weight(counts, "confidence", alpha=2.0).toarray()
    assert conf[0, 0] == pytest.approx(1 + 2 * np.log(3)) and conf[0, 1] == 0
    with pytest.raises(BadInputError, match="weighting='nope'"):
        weight(counts, "nope")


def test_bm25_matches_hand_computation():
    counts = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1]], dtype=np.float32))
    weighted = bm25_weight(counts, k1=1.2, b=0.75).toarray()
    n_sets, avg = 3, 2.0
    idf = np.log(n_sets) - np.log1p(np.array([3, 2, 1]))
    idf = np.maximum(idf, 0)
    norm = 0.25 + 0.75 * np.array([2, 1, 3]) / avg
    expected = counts.toarray() * 2.2 / (1.2 * norm[:, None] + 1) * idf[None, :]
    np.testing.assert_allclose(weighted, expected, rtol=1e-5)


def test_min_support_masks():
    counts = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [1, 0, 1]], dtype=np.float32))
    rows, cols = min_support(counts, min_sets=2, min_tracks=2)
    assert cols.tolist() == [True, False, False]
    assert rows.tolist() == [False, False, False]
    rows, cols = min_support(counts, min_sets=1, min_tracks=2)
    assert rows.tolist() == [True, False, True]


def test_one_dj_replaying_a_track_is_damped():
    counts = sp.csr_matrix(np.ones((4, 1), dtype=np.float32))
    damped = damp_dj_repeats(counts, np.array([0, 0, 0, 1])).toarray().ravel()
    np.testing.assert_allclose(damped, [1 / np.sqrt(3)] * 3 + [1.0], rtol=1e-6)
    assert damp_dj_repeats(counts, np.array([-1, -1, -1, -1])).toarray().ravel().tolist() == [1, 1, 1, 1]
    off = damp_dj_repeats(counts, np.array([0, 0, 0, 1]), exponent=0.0).toarray().ravel()
    assert off.tolist() == [1, 1, 1, 1]
    full = damp_dj_repeats(counts, np.array([0, 0, 0, 1]), exponent=1.0).toarray().ravel()
    np.testing.assert_allclose(full, [1 / 3] * 3 + [1.0], rtol=1e-6)


def test_load_plays_sorts_by_set_position_and_part_whatever_the_table_order(tmp_path):
    conn = connect(tmp_path / "catalog.sqlite")
    conn.execute("INSERT INTO sets (id, source, source_key, title) VALUES (1, 't', 'a', 'A'), (2, 't', 'b', 'B')")
    conn.executemany("INSERT INTO tracks (id, key, artist, title) VALUES (?, ?, 'x', 'y')", [(i, f"k{i}") for i in range(1, 6)])
    rows = [(2, 1, 0, 5), (1, 2, 1, 4), (1, 1, 0, 3), (1, 2, 0, 2), (2, 0, 0, 1)]  # set, position, part, track
    conn.executemany("INSERT INTO plays (set_id, position, part, track_id) VALUES (?, ?, ?, ?)", rows)
    plays = load_plays(conn)
    assert plays.set_keys.tolist() == [1, 1, 1, 2, 2]
    assert plays.track_keys.tolist() == [3, 2, 4, 1, 5]
    assert plays.positions.tolist() == [1, 2, 2, 0, 1]
    assert plays.set_keys.dtype == np.int64


def test_top_k_per_row_keeps_each_rows_largest_entries():
    from models.hybrid import _top_k_per_row

    matrix = sp.random(200, 300, density=0.1, format="csr", random_state=3, dtype=np.float32)
    kept = _top_k_per_row(matrix, 5)
    for row in range(matrix.shape[0]):
        values = np.sort(matrix[row].data)[::-1]
        np.testing.assert_array_equal(np.sort(kept[row].data)[::-1], values[:5])
        assert set(kept[row].indices) <= set(matrix[row].indices)
    assert (np.diff(kept.indptr) == np.minimum(np.diff(matrix.indptr), 5)).all()


def test_als_fits_only_tracks_with_enough_support():
    from models.als import AlsParams, train_als

    rng = np.random.default_rng(0)
    counts = sp.csr_matrix((rng.random((60, 12)) < 0.4).astype(np.float32))
    counts[:, 11] = 0
    counts[5, 11] = 1  # track 11 is in one set only
    counts = sp.csr_matrix(counts)
    counts.eliminate_zeros()
    kept = train_als(counts, AlsParams(factors=4, iterations=3, min_sets=2)).item_factors
    everything = train_als(counts, AlsParams(factors=4, iterations=3)).item_factors
    assert kept.shape == everything.shape == (12, 4)
    assert not kept[11].any() and everything[11].any()
    assert (np.abs(kept[:11]).sum(axis=1) > 0).all()


def test_large_catalogs_train_a_smaller_als():
    from models.als import AlsParams
    from models.pipeline import LARGE_MATRIX, als_for_size

    small = AlsParams(factors=128, iterations=15)
    assert als_for_size(small, LARGE_MATRIX) == small
    large = als_for_size(small, LARGE_MATRIX + 1)
    assert (large.factors, large.iterations, large.min_sets) == (16, 4, 1)
    assert als_for_size(AlsParams(factors=8, min_sets=3), LARGE_MATRIX + 1).min_sets == 3


def test_bug_a_field_past_the_csv_modules_limit_is_bad_input_not_a_crash(tmp_path):
    """QA: a 200,000-character set id (or a quote left open) stopped `evaluate --data` with exit 1 ("field larger
    than field limit"); it is the file's fault, said in a sentence naming the file and the line."""
    path = tmp_path / "sets.csv"
    path.write_text("set_id,track_id\ns1,t1\n" + "x" * 200_000 + ",t2\n")
    with pytest.raises(BadInputError, match=r"sets.csv cannot be read as CSV at line 3"):
        read_plays_csv(path)


def test_bug_positions_too_large_or_not_ascii_digits_are_unknown_not_a_crash(tmp_path):
    """QA: a position of 10**25 (OverflowError) or '²' (str.isdigit but not int()) stopped `evaluate` with exit 1;
    like any other position that is no whole number, it is unknown (0)."""
    path = tmp_path / "sets.csv"
    path.write_text("set_id,track_id,position\nA,x,10000000000000000000000000\nA,y,\u00b2\nA,z,\u0663\n")
    plays = read_plays_csv(path)
    assert dict(zip(plays.track_keys.tolist(), plays.positions.tolist(), strict=True)) == {"x": 0, "y": 0, "z": 3}


def test_bug_a_folder_given_as_data_is_named_as_a_folder(tmp_path):
    """QA: `evaluate --data some-folder` said the folder "does not exist"."""
    with pytest.raises(BadInputError, match="is a folder, not a CSV file"):
        read_plays_csv(tmp_path)
