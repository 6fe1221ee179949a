"""The evaluation split (deterministic, never leaking), the protocol, and the evaluate/tune/retrain verbs."""

import csv
import json

import numpy as np
import pytest

import cli
from models.dataset import dataset_from_csv
from models.evaluation import run_evaluation
from models.matrix import Plays
from models.split import assert_no_leak, holdout_split, sample_split
from tests.models_catalog import build_catalog


def scene_sets(n_sets=90, per_set=12, seed=1):
    """Sets drawn from three scenes of 30 tracks (two artists per scene share a track's credit)."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(n_sets):
        scene = number % 3
        tracks = rng.choice(30, size=per_set, replace=False)
        for position, track in enumerate(tracks, 1):
            rows.append(
                (
                    f"set{number:03d}",
                    f"s{scene}t{track:02d}",
                    position,
                    f"Artist {scene}-{track % 5}",
                    f"T{track}",
                )
            )
    return rows


def write_csv(path, rows, header=("set_id", "track_id", "position", "artist", "title")):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def plays_of(rows):
    return Plays(
        np.array([r[0] for r in rows], dtype=object),
        np.array([r[1] for r in rows], dtype=object),
        np.array([r[2] for r in rows]),
    )


def test_split_is_deterministic_and_holds_out_a_fifth_of_long_sets():
    rows = scene_sets() + [("short", "s0t01", 1, "A", "T"), ("short", "s0t02", 2, "A", "T")]
    plays = plays_of(rows)
    first, again = holdout_split(plays, seed=3), holdout_split(plays, seed=3)
    other = holdout_split(plays, seed=4)
    assert first.held_out.track_keys.tolist() == again.held_out.track_keys.tolist()
    assert first.held_out.set_keys.tolist() == again.held_out.set_keys.tolist()
    assert first.held_out.track_keys.tolist() != other.held_out.track_keys.tolist()
    held_per_set = {key: 0 for key in set(plays.set_keys.tolist())}
    for key in first.held_out.set_keys.tolist():
        held_per_set[key] += 1
    assert held_per_set.pop("short") == 0
    assert set(held_per_set.values()) == {2}  # round(0.2 × 12)
    assert len(first.held_out) == 2 * 90


def test_split_never_leaks_and_truth_is_warm():
    split = holdout_split(plays_of(scene_sets()), seed=0)
    assert_no_leak(split)
    column_sets = np.asarray((split.train.matrix > 0).sum(axis=0)).ravel()
    for row, truth in zip(split.test_rows, split.truth, strict=True):
        assert len(truth) and (column_sets[truth] > 0).all()
        assert split.train.matrix[row, truth].nnz == 0


def test_the_leak_check_catches_a_leak():
    split = holdout_split(plays_of(scene_sets()), seed=0)
    leaky = split.train.matrix.tolil()
    leaky[split.test_rows[0], split.truth[0][0]] = 1
    forged = type(split)(
        train=type(split.train)(leaky.tocsr(), split.train.set_ids, split.train.track_ids),
        train_plays=split.train_plays,
        test_rows=split.test_rows,
        truth=split.truth,
        next_pairs=split.next_pairs,
        held_out=split.held_out,
    )
    with pytest.raises(AssertionError, match="held-out"):
        assert_no_leak(forged)


def test_cold_held_out_tracks_are_dropped_from_truth():
    rows = [("a", f"x{i}", i, "A", "T") for i in range(1, 11)] + [
        ("b", f"x{i}", i, "A", "T") for i in range(1, 6)
    ]
    split = holdout_split(plays_of(rows), seed=0)
    only_in_a = {f"x{i}" for i in range(6, 11)}
    held = set(split.held_out.track_keys.tolist())
    truth_keys = {split.train.track_ids[c] for t in split.truth for c in t}
    assert truth_keys == held - only_in_a


def test_next_pairs_come_from_ordered_sets_only():
    rows = scene_sets()
    ordered = holdout_split(plays_of(rows), seed=0)
    unordered = holdout_split(plays_of([(s, t, 0, a, ti) for s, t, _, a, ti in rows]), seed=0)
    assert len(ordered.next_pairs) > 0 and len(unordered.next_pairs) == 0


def test_default_beats_popularity_on_scenes(tmp_path):
    report = run_evaluation(dataset_from_csv(write_csv(tmp_path / "s.csv", scene_sets())), seed=0)
    models = report["models"]
    assert list(models)[0] == "default"
    assert {"popularity", "bm25_knn", "cosine_knn", "als_binary", "als_bm25", "transition"} <= set(models)
    assert models["default"]["r_precision"] > models["popularity"]["r_precision"]
    assert models["default"]["next_hr@10"] is not None
    assert report["counts"]["test_sets"] == 90


@pytest.fixture
def crate(data_dir):
    build_catalog(data_dir)
    return data_dir


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_data_json(tmp_path, capsys, data_dir):
    path = write_csv(tmp_path / "sets.csv", scene_sets())
    code, out, err = run(capsys, "evaluate", "--data", str(path), "--seed", "0", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["protocol"] == {"holdout": 0.2, "min_set": 10, "seed": 0, "data": str(path)}
    for metrics in report["models"].values():
        assert set(metrics) >= {"r_precision", "ndcg@10", "hr@10", "coverage", "next_hr@10"}
    assert not (data_dir / "catalog.sqlite").exists()  # --data never touches the catalog
    code, out, _ = run(capsys, "evaluate", "--data", str(path))
    assert code == 0 and out.splitlines()[1].startswith("default")


def test_evaluate_data_starts_from_the_defaults_not_the_catalogs_tuned_choice(tmp_path, capsys, data_dir):
    from models.hybrid import HybridParams
    from models.pipeline import record_tuned

    odd = HybridParams(set_exponent=7.0, neighbour_sets=3).with_weights(als=0.5)
    record_tuned(data_dir / "models", odd, {"data": "the catalog"})
    path = write_csv(tmp_path / "sets.csv", scene_sets())
    code, out, err = run(capsys, "evaluate", "--data", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    used = report["default"]["parameters"]
    assert (used["set_exponent"], used["neighbour_sets"]) == (2.0, 200)
    assert report["default_vs"]["best_baseline"] in report["models"]
    code, out, err = run(capsys, "tune", "--data", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["parameters"]["neighbour_sets"] == 200


@pytest.mark.parametrize(
    "argv, message",
    [(["--data", "missing.csv"], "does not exist"), (["--holdout", "1.5"], "between 0 and 1")],
)
def test_evaluate_bad_input(capsys, data_dir, argv, message):
    with pytest.raises(SystemExit) if "--holdout" in argv else _no_raise():
        code, _, err = run(capsys, "evaluate", *argv)
        assert code == 2 and message in err


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_evaluate_records_metrics_in_the_current_run(crate, capsys):
    assert run(capsys, "train-als", "--factors", "4", "--iterations", "3", "--publish")[0] == 0
    code, out, _ = run(capsys, "evaluate", "--min-set", "4", "--json")
    report = json.loads(out)
    assert code == 0 and "recorded_in" in report
    metadata = json.loads((crate / "models" / report["recorded_in"] / "metadata.json").read_text())
    assert metadata["metrics"]["default"] == report["models"]["default"]


def test_tune_records_its_choice(crate, capsys):
    code, out, _ = run(capsys, "tune", "--min-set", "4")
    assert code == 0 and "Tuned weights" in out
    tuned = json.loads((crate / "models" / "tuned.json").read_text())
    assert tuned["parameters"]["weights"]["sets"] == 1.0
    assert tuned["parameters"]["dj_repeat_damping"] in (0.0, 0.5) and "DJ-repeat damping" in out
    few_seeds = tuned["parameters"]["few_seeds"]  # and the weights for a pasted track, with their reach
    assert few_seeds == 0 or tuned["parameters"]["few_seed_weights"]["als"] == 1.0
    assert ("(a pasted track" in out) == (few_seeds > 0)
    from models.pipeline import tuned_hybrid_params

    assert tuned_hybrid_params(crate / "models").few_seeds == few_seeds  # what the next training uses


def test_dj_repeat_damping_is_chosen_on_validation_when_djs_are_known(monkeypatch):
    """`tune` fits one candidate per damping and keeps the better validation objective."""
    import models.tuning
    from models.dataset import Dataset
    from models.evaluation import tuned_params
    from models.hybrid import HybridParams

    rows = scene_sets()
    plays = plays_of(rows)
    djs = {f"set{n:03d}": f"dj{n % 4}" for n in range(90)}
    tried = []

    def fake_tune(params, validation, data, seed=0):
        tried.append(params.dj_repeat_damping)
        return params, 1.0 if params.dj_repeat_damping == 0.5 else 0.5

    monkeypatch.setattr(models.tuning, "tune_weights", fake_tune)
    with_djs = Dataset(plays=plays, set_djs=djs)
    start = HybridParams(dj_repeat_damping=0.25)
    chosen, value = tuned_params(with_djs, plays, start, seed=0, holdout=0.2, min_set=10, dampings=(0.0, 0.5))
    assert tried == [0.0, 0.5] and chosen.dj_repeat_damping == 0.5 and value == 1.0
    tried.clear()
    chosen, _ = tuned_params(
        Dataset(plays=plays), plays, start, seed=0, holdout=0.2, min_set=10, dampings=(0.0, 0.5)
    )
    assert tried == [0.25] and chosen.dj_repeat_damping == 0.25  # no DJs known: nothing to choose


def test_retrain_publishes_only_if_at_least_as_good(crate, capsys):
    code, out, _ = run(capsys, "retrain", "--json")
    first = json.loads(out)
    assert code == 0 and first["published"]
    code, out, _ = run(capsys, "retrain", "--json")
    second = json.loads(out)
    assert second["published"]  # same data, same seed: equally good
    current = (crate / "models" / "current").resolve().name
    assert current == second["run"]
    metadata = json.loads((crate / "models" / current / "metadata.json").read_text())
    metadata["metrics"]["default"]["r_precision"] = 2.0  # pretend the current run were unbeatable
    (crate / "models" / current / "metadata.json").write_text(json.dumps(metadata))
    code, out, _ = run(capsys, "retrain")
    assert code == 0 and "not published" in out
    assert (crate / "models" / "current").resolve().name == current
    code, out, _ = run(capsys, "retrain", "--force")
    assert "published as the current model" in out
    assert (crate / "models" / "current").resolve().name != current


def test_track_ids_written_artist_dash_title_credit_their_artists_when_the_csv_has_no_artist_column(tmp_path):
    rows = [("a", "Floorplan - Never Grow Old (Luke Slater Remix)"), ("a", "4MAzFW3ZTSm4sNmF0mJ2hT"),
            ("b", "k klass - into the groove"), ("b", "ID - Acid Track"), ("b", "Rrose – Waterfall")]
    dataset = dataset_from_csv(write_csv(tmp_path / "keys.csv", rows, header=("set_id", "track_id")))
    assert dataset.credits["Floorplan - Never Grow Old (Luke Slater Remix)"] == ["Floorplan", "Luke Slater"]
    assert dataset.credits["k klass - into the groove"] == ["k klass"]
    assert dataset.credits["Rrose – Waterfall"] == ["Rrose"]  # an en dash, as tracklists write it
    assert "4MAzFW3ZTSm4sNmF0mJ2hT" not in dataset.credits
    assert "ID - Acid Track" not in dataset.credits  # a placeholder is nobody's credit
    titled = [("a", "Floorplan - Never Grow Old", "Never Grow Old (Luke Slater Remix) [M-Plant]")]
    dataset = dataset_from_csv(write_csv(tmp_path / "titled.csv", titled, header=("set_id", "track_id", "title")))
    assert dataset.credits["Floorplan - Never Grow Old"] == ["Floorplan", "Luke Slater", "label M-Plant"]
    with_columns = [("a", "x - y", 1, "Real Artist", "Real Title"), ("a", "Left - Blank", 2, "", "Untitled")]
    dataset = dataset_from_csv(write_csv(tmp_path / "both.csv", with_columns))
    assert dataset.credits["x - y"] == ["Real Artist"]  # the columns win over the id
    assert "Left - Blank" not in dataset.credits  # an artist column left empty is not filled from the id
    song = [("a", "id1", "Artist S", "Track (Luke Slater Remix) [Kompakt]")]
    dataset = dataset_from_csv(write_csv(tmp_path / "song.csv", song, header=("set_id", "track_id", "artist", "song")))
    assert dataset.credits["id1"] == ["Artist S", "Luke Slater", "label Kompakt"]


def test_csv_labels_are_side_information_that_breaks_ties(tmp_path):
    """Two tracks seen once with the seed: the one on the seed's label (from '[Label]') ranks first."""
    from models.hybrid import HybridModel, HybridParams
    from models.matrix import play_matrix

    rows = [
        ("a", "seed", 1, "Artist S", "Seed Track [Kompakt]"),
        ("a", "same-label", 2, "Artist L", "Other [Kompakt - KOM 9]"),
        ("a", "no-label", 3, "Artist N", "Plain"),
        ("b", "seed", 1, "Artist S", "Seed Track [Kompakt]"),
        ("b", "filler", 2, "Artist F", "Filler"),
    ]
    dataset = dataset_from_csv(write_csv(tmp_path / "labels.csv", rows))
    assert "label Kompakt" in dataset.credits["same-label"]
    assert not any(c.startswith("label") for c in dataset.credits["no-label"])
    matrix = play_matrix(dataset.plays)
    model = HybridModel(HybridParams().with_weights(als=0.0)).fit(dataset.training(matrix, dataset.plays))
    seed_col, labelled, unlabelled = matrix.track_index(
        np.array(["seed", "same-label", "no-label"], dtype=object)
    )
    query = matrix.matrix[:0].tolil()
    query.resize(1, matrix.shape[1])
    query[0, seed_col] = 1.0
    scores = model.scores(query.tocsr())[0]
    assert scores[labelled] > scores[unlabelled]


def test_the_table_states_the_lead_over_the_baselines():
    from models.evaluation import format_table

    report = {
        "models": {
            "default": {"r_precision": 0.2, "ndcg@10": 0.3},
            "ease": {"r_precision": 0.1, "ndcg@10": 0.2},
            "als_bm25": {"r_precision": 0.08, "ndcg@10": 0.15},
        },
        "counts": {"test_sets": 1, "held_out_warm_tracks": 1, "next_track_pairs": 0},
        "protocol": {"holdout": 0.2, "min_set": 10, "seed": 0},
    }
    table = format_table(report)
    assert "default ÷ ease (best baseline): R-precision 2.00×, NDCG@10 1.50×" in table
    assert "default ÷ als_bm25: R-precision 2.50×, NDCG@10 2.00×" in table


def test_the_json_carries_the_same_ratios():
    from models.evaluation import default_ratios

    models = {"default": {"r_precision": 0.09, "ndcg@10": 0.3}, "ease": {"r_precision": 0.1, "ndcg@10": 0.2},
              "popularity": {"r_precision": 0.0, "ndcg@10": 0.0}}
    assert default_ratios(models) == {"best_baseline": "ease", "ease": {"r_precision": 0.9, "ndcg@10": 1.5}}
    assert default_ratios({"default": models["default"]}) == {}
    zero = default_ratios({"default": models["default"], "popularity": models["popularity"]})
    assert zero["popularity"] == {"r_precision": None, "ndcg@10": None}


def test_sample_split_is_a_seeded_subset_and_keeps_training_whole():
    split = holdout_split(plays_of(scene_sets()), seed=0)
    sample, again = sample_split(split, 10, seed=1), sample_split(split, 10, seed=1)
    assert len(sample.test_rows) == 10 and len(sample.next_pairs) == 10
    assert sample.test_rows.tolist() == again.test_rows.tolist()
    truth_of = {row: t.tolist() for row, t in zip(split.test_rows.tolist(), split.truth, strict=True)}
    assert all(
        truth_of[row] == t.tolist() for row, t in zip(sample.test_rows.tolist(), sample.truth, strict=True)
    )
    assert {tuple(p) for p in sample.next_pairs.tolist()} <= {tuple(p) for p in split.next_pairs.tolist()}
    assert sample.train is split.train and sample.held_out is split.held_out
    assert sample_split(split, 10_000, seed=1).test_rows.tolist() == split.test_rows.tolist()


def test_evaluation_scores_a_bounded_sample_of_test_sets(tmp_path):
    dataset = dataset_from_csv(write_csv(tmp_path / "sets.csv", scene_sets()))
    whole = run_evaluation(dataset, seed=0, tune=False, baselines=False)["counts"]
    counts = run_evaluation(dataset, seed=0, tune=False, baselines=False, max_test_sets=20)["counts"]
    assert whole["test_sets"] == whole["test_sets_in_split"] == 90
    assert counts["test_sets"] == 20 and counts["test_sets_in_split"] == 90
    assert counts["next_track_pairs"] == 20


def test_retrain_scores_at_most_its_budget_of_test_sets(crate, monkeypatch):
    import models.evaluation as evaluation
    from config import load_settings
    from models.pipeline import retrain

    monkeypatch.setattr(evaluation, "RETRAIN_QUERIES", 3)
    _, _, report = retrain(load_settings(), min_set=4)
    assert report["counts"]["test_sets"] == 3 < report["counts"]["test_sets_in_split"]


def test_large_catalogs_train_a_smaller_als_everywhere_the_retrain_fits_it(crate, capsys, monkeypatch):
    import models.pipeline as pipeline
    from models.hybrid import HybridParams

    small = HybridParams()
    plays = plays_of(scene_sets())
    assert pipeline.sized_for(small, plays) is small  # 90 sets + 90 tracks: as tuned
    monkeypatch.setattr(pipeline, "LARGE_MATRIX", 10)
    sized = pipeline.sized_for(small, plays)
    assert (sized.als.factors, sized.als.iterations) == (16, 4)
    assert sized.als.alpha == small.als.alpha and sized.weights == small.weights
    code, out, _ = run(capsys, "retrain", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["default"]["parameters"]["als"]["factors"] == 16  # what was evaluated …
    code, _, _ = run(capsys, "train-als")
    assert code == 0
    from config import load_settings
    from models.artifacts import list_runs, load_run

    settings = load_settings()
    runs = [load_run(settings.models_dir / run_id) for run_id in list_runs(settings.models_dir)]
    assert [r.metadata["parameters"]["hybrid"]["als"]["factors"] for r in runs] == [
        16,
        16,
    ]  # … is what trained
    assert all(r.metadata["parameters"]["hybrid"]["als"]["iterations"] == 4 for r in runs)
    assert all(r.array("item_factors").shape[1] == 16 for r in runs)
    # options other than the size keep the cap; an explicit size is the DJ's choice
    for flags, factors in ((["--min-sets", "2"], 16), (["--factors", "24"], 24)):
        code, out, _ = run(capsys, "train-als", *flags)
        assert code == 0
        trained = load_run(settings.models_dir / out.split()[2].rstrip(":")).metadata["parameters"]["hybrid"]["als"]
        assert trained["factors"] == factors and trained["min_sets"] == (2 if "--min-sets" in flags else 1)


def test_training_artists_per_split_equal_a_fresh_track_artist_matrix(tmp_path):
    """Regression: the credits matrix is built once per dataset and sliced per split; it must equal building it anew."""
    from models.matrix import play_matrix
    from models.side import track_artist_matrix

    rows = scene_sets() + [("extra", "only-here", 1, "Solo Artist feat. Guest", "Song (Remixer Remix)")]
    dataset = dataset_from_csv(write_csv(tmp_path / "sets.csv", rows))
    for plays in (dataset.plays, holdout_split(dataset.plays, seed=0).train_plays, plays_of(rows[:30])):
        matrix = play_matrix(plays)
        expected, _ = track_artist_matrix([dataset.credits.get(k, ()) for k in matrix.track_ids.tolist()])
        got = dataset.training(matrix, plays).track_artists
        assert got.shape == expected.shape and (got != expected).nnz == 0
    stranger = plays_of([("s", "never-played", 1, "A", "T")])  # not in the dataset: looked up directly
    assert dataset.training(play_matrix(stranger), stranger).track_artists.shape == (1, 0)


def test_retrain_fails_whole_when_its_final_fit_fails(crate, monkeypatch):
    """The final fit runs in a thread beside the evaluation; its error reaches the caller, nothing is published."""
    import models.pipeline as pipeline
    from config import load_settings
    from models.artifacts import current_run_id

    settings = load_settings()
    before = current_run_id(settings.models_dir)

    def broken(*args, **kwargs):
        raise MemoryError("no room for the final fit")

    monkeypatch.setattr(pipeline, "train_run", broken)
    with pytest.raises(MemoryError, match="final fit"):
        pipeline.retrain(settings, force=True, min_set=4)
    assert current_run_id(settings.models_dir) == before


def test_retrain_records_the_evaluation_in_the_run_it_trained_beside_it(crate):
    from config import load_settings
    from models.pipeline import retrain

    run, published, report = retrain(load_settings(), force=True, min_set=4)
    assert published and run.metadata["metrics"] == report["models"]
    assert run.metadata["awaiting_evaluation"] is False  # written while the evaluation ran, cleared after it
    assert run.metadata["parameters"]["hybrid"]["weights"] == report["default"]["parameters"]["weights"]


def test_retrain_stops_its_early_final_fit_when_the_tuning_fails(crate, monkeypatch):
    """The final fit starts before the tuning and waits for its weights; a failed tuning must not leave it waiting."""
    import models.evaluation as evaluation
    import models.pipeline as pipeline
    from config import load_settings
    from models.artifacts import current_run_id

    settings = load_settings()
    before = current_run_id(settings.models_dir)
    started = []
    real_start = pipeline.FinalFit.start

    def start(self, params):
        started.append(self)
        real_start(self, params)

    def broken(*args, **kwargs):
        raise ValueError("validation split is empty")

    monkeypatch.setattr(pipeline.FinalFit, "start", start)
    monkeypatch.setattr(evaluation, "tuned_params", broken)
    with pytest.raises(ValueError, match="validation"):
        pipeline.retrain(settings, force=True, min_set=4)
    with pytest.raises(RuntimeError, match="before its weights"):
        started[0].result()  # the thread ended instead of waiting for weights that never come
    assert current_run_id(settings.models_dir) == before


@pytest.mark.parametrize("weighting, alpha, regularization", [("bm25", 1.0, 0.01), ("binary", 7.0, 0.5)])
def test_the_als_baseline_folds_new_queries_in_exactly_as_implicit_does(weighting, alpha, regularization):
    import scipy.sparse as sp

    from models.als import AlsParams
    from models.rankers import AlsRanker, TrainData
    from models.weighting import bm25_stats, query_weight

    counts = sp.random(300, 500, density=0.03, random_state=1, format="csr", dtype=np.float32)
    counts.data[:] = 1
    params = AlsParams(factors=16, regularization=regularization, alpha=alpha, iterations=5, weighting=weighting)
    ranker = AlsRanker(params).fit(TrainData(counts=counts))
    queries = counts[:41]
    one_track = sp.csr_matrix((np.ones(1, np.float32), ([0], [counts[0].indices[0]])), shape=(1, 500))
    queries = sp.vstack([queries, one_track]).tocsr()
    weighted = query_weight(queries, weighting, bm25_stats(counts))  # the training set's statistics
    expected = ranker.model.recalculate_user(np.arange(queries.shape[0]), weighted) @ ranker.model.item_factors.T
    scores = ranker.scores(queries, np.full(queries.shape[0], -1))
    np.testing.assert_allclose(scores, expected, atol=1e-4 * np.abs(expected).max())
    assert np.abs(scores[-1]).max() > 0  # a one-track query is weighted with training IDF, not its own (0)
    known = ranker.scores(counts[:40], np.arange(40))
    np.testing.assert_allclose(known, ranker.model.user_factors[:40] @ ranker.model.item_factors.T, rtol=1e-6)


def test_bug_evaluate_and_tune_with_no_set_long_enough_stop_instead_of_recording_zeros(crate, capsys):
    """QA: `evaluate --min-set 1000` printed a table of 0.0000 for every model (exit 0) and recorded those zeros in
    the current run, where `retrain` reads the quality to beat: every later retrain was published, however bad.
    `tune --min-set 1000` 'tuned' on nothing (objective 0.0000) and recorded it."""
    assert run(capsys, "train-als", "--factors", "4", "--iterations", "3", "--publish")[0] == 0
    assert run(capsys, "evaluate", "--min-set", "4")[0] == 0
    metadata_path = crate / "models" / "current" / "metadata.json"
    before = json.loads(metadata_path.read_text())["metrics"]
    tuned = (crate / "models" / "tuned.json").read_text() if (crate / "models" / "tuned.json").exists() else None
    for verb in ("evaluate", "tune"):
        code, out, err = run(capsys, verb, "--min-set", "1000")
        assert code == 2 and out == "" and "No set has at least 1000 tracks" in err and "--min-set" in err
    assert json.loads(metadata_path.read_text())["metrics"] == before
    assert ((crate / "models" / "tuned.json").read_text() if tuned is not None else None) == tuned


def test_bug_a_retrain_that_is_not_published_says_by_how_much(crate, capsys):
    """QA: 'not published: the current run evaluates better' gave neither number, so an operator could not tell a
    hair's breadth from a broken catalog."""
    assert run(capsys, "retrain", "--json")[0] == 0
    metadata_path = crate / "models" / "current" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["metrics"]["default"]["r_precision"] = 0.9876
    metadata_path.write_text(json.dumps(metadata))
    code, out, _ = run(capsys, "retrain")
    assert code == 0 and "not published: its R-precision " in out and "below the current run's 0.9876" in out


@pytest.mark.parametrize("verb", ["evaluate", "tune", "retrain", "train-als"])
def test_bug_a_negative_seed_is_a_usage_error_not_a_bug(data_dir, capsys, verb):
    """QA: `evaluate --seed -5` (and tune, retrain, train-als) ended in exit 1, 'an unexpected ValueError (expected
    non-negative integer); this is a bug in Cratedigger'."""
    with pytest.raises(SystemExit) as stopped:
        cli.main([verb, "--seed", "-5"])
    assert stopped.value.code == 2 and "--seed: -5 must be 0 or more" in capsys.readouterr().err


def test_bug_an_infinite_alpha_is_a_usage_error_not_a_bug(data_dir, capsys):
    """QA: `train-als --alpha inf` passed the check (> 0) and ALS fitted NaN factors: exit 1, 'ModelFitError … a bug'."""
    with pytest.raises(SystemExit) as stopped:
        cli.main(["train-als", "--alpha", "inf"])
    assert stopped.value.code == 2 and "must be a finite number" in capsys.readouterr().err
