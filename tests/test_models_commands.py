"""End to end through `python cli.py`: train-als --publish, publish, recommend, and its errors."""

import json

import pytest

import cli
from tests.models_catalog import SPOTIFY, build_catalog


@pytest.fixture
def crate(data_dir):
    return data_dir, build_catalog(data_dir)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_publish_recommend_json(crate, capsys):
    data_dir, ids = crate
    code, out, _ = run(capsys, "train-als", "--factors", "8", "--iterations", "10", "--publish")
    assert code == 0 and "Published" in out
    runs = [p for p in (data_dir / "models").iterdir() if p.name[0].isdigit()]
    metadata = json.loads((runs[0] / "metadata.json").read_text())
    assert metadata["engine"] == "default" and metadata["counts"]["sets"] == 12
    assert metadata["parameters"]["hybrid"]["als"]["factors"] == 8
    assert len(metadata["input"]["fingerprint"]) == 16
    for query in (
        SPOTIFY["t1"],
        f"spotify:track:{SPOTIFY['t1']}",
        f"https://open.spotify.com/intl-de/track/{SPOTIFY['t1']}?si=x",
        "Techno Machine - Tune T1",
    ):
        code, out, err = run(capsys, "recommend", query, "--n", "3", "--json")
        assert code == 0, err
        payload = json.loads(out)
        assert payload["query"]["track_id"] == ids["t1"]
        results = payload["results"]
        assert {r["track_id"] for r in results} == {ids["t2"], ids["t3"], ids["t4"]}
        assert set(results[0]) >= {
            "track_id",
            "artist",
            "title",
            "spotify_id",
            "score",
            "shared_sets",
            "examples",
        }
        assert all(isinstance(title, str) for r in results for title in r["examples"])
        assert set(results[0]["example_sets"][0]) >= {"set_id", "title", "date", "url"}  # the evidence, whole
        assert "audio_path" not in results[0] and results[0]["evidence"].startswith("played together in")


def test_publish_verb_and_table_output(crate, capsys):
    data_dir, _ = crate
    code, out, _ = run(capsys, "train-als", "--factors", "4", "--iterations", "3", "--min-sets", "2")
    run_id = out.split()[2].rstrip(":")
    metadata = json.loads((data_dir / "models" / run_id / "metadata.json").read_text())
    assert metadata["parameters"]["hybrid"]["als"]["min_sets"] == 2
    code, out, _ = run(capsys, "publish", run_id)
    assert code == 0 and run_id in out
    code, out, _ = run(capsys, "recommend", "House Artist - Tune H1", "--n", "2")
    assert code == 0 and out.count("\n") == 3 and "played together in" in out


@pytest.mark.parametrize(
    "query, code, message",
    [
        ("https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy", 2, "album"),
        ("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", 2, "playlist"),
        ("spotify:track:tooshort", 2, "22"),
        ("x", 2, "too short"),
        ("0" * 22, 2, "not in the catalog"),
        ("Nobody - Nothing", 2, "No track in the catalog"),
    ],
)
def test_bad_and_unknown_queries_exit_cleanly(crate, capsys, query, code, message):
    run(capsys, "train-als", "--factors", "4", "--iterations", "3", "--publish")
    got, out, err = run(capsys, "recommend", query)
    assert got == code and message in err and "Traceback" not in err
    assert err.count("\n") == 1 and out == ""


def test_recommend_before_training_says_what_to_do(crate, capsys):
    code, _, err = run(capsys, "recommend", SPOTIFY["h1"])
    assert code == 3 and "train-als --publish" in err


def test_publish_unknown_run(crate, capsys):
    code, _, err = run(capsys, "publish", "20990101-000000-abcdef")
    assert code == 2 and "No model run" in err


@pytest.fixture
def trained(crate, capsys):
    run(capsys, "train-als", "--factors", "8", "--iterations", "10", "--publish")
    return crate


def test_recommend_several_seeds_answers_as_the_dashboard(trained, capsys):
    from models.recommender import RecommenderLoader
    from tests.models_catalog import settings_for
    from ui.service import answer_query

    data_dir, ids = trained
    settings = settings_for(data_dir)
    dashboard = answer_query(f"{SPOTIFY['t1']}\n{SPOTIFY['t2']}", settings, RecommenderLoader.from_settings(settings))
    for argv in ([SPOTIFY["t1"], "Warehouse Unit - Tune T2"], [f"spotify:track:{SPOTIFY['t1']}, {SPOTIFY['t2']}"]):
        code, out, err = run(capsys, "recommend", *argv, "--n", "2", "--json")
        assert code == 0 and err == ""
        payload = json.loads(out)
        assert [s["track_id"] for s in payload["seeds"]] == [ids["t1"], ids["t2"]]
        assert [r["track_id"] for r in payload["results"]] == [c["track_id"] for c in dashboard.candidates[:2]]


def test_regression_one_unknown_seed_of_several_is_left_out_not_fatal(trained, capsys):
    data_dir, ids = trained
    code, out, err = run(capsys, "recommend", SPOTIFY["t1"], "Nobody - Nothing", "--n", "2", "--json")
    assert code == 0
    assert err.count("\n") == 1 and '"Nobody - Nothing"' in err
    payload = json.loads(out)
    assert [m["text"] for m in payload["not_found"]] == ["Nobody - Nothing"]
    assert payload["query"]["track_id"] == ids["t1"] and len(payload["results"]) == 2
    code, _, err = run(capsys, "recommend", "Nobody - Nothing", "Someone - Else")
    assert code == 2 and "No track in the catalog" in err


def test_regression_output_has_version_bpm_key_and_a_match_up_to_one(trained, capsys):
    from catalog.db import connect

    data_dir, ids = trained
    with connect(data_dir / "catalog.sqlite") as conn:
        conn.execute("UPDATE tracks SET version = 'Dub Mix', tempo = 128, musical_key = 'A minor', camelot = '8A' "
                     "WHERE id = ?", (ids["t2"],))
    code, out, _ = run(capsys, "recommend", SPOTIFY["t1"], "--n", "3", "--json")
    results = {r["track_id"]: r for r in json.loads(out)["results"]}
    assert (results[ids["t2"]]["version"], results[ids["t2"]]["bpm"], results[ids["t2"]]["key"],
            results[ids["t2"]]["camelot"]) == ("Dub Mix", 128, "A minor", "8A")
    assert {"bpm", "key", "camelot", "version"} <= set(results[ids["t3"]]) and results[ids["t3"]]["bpm"] is None
    assert max(r["match"] for r in results.values()) == 1.0
    code, out, _ = run(capsys, "recommend", SPOTIFY["t1"], "--n", "3")
    assert "Warehouse Unit - Tune T2 (Dub Mix)" in out and "128 BPM; 8A" in out
    matches = [float(line.split("match ")[1].split(";")[0]) for line in out.splitlines()[1:]]
    assert matches[0] == 1.0 and all(0 <= m <= 1 for m in matches)


def test_regression_a_track_in_no_set_but_with_sound_is_answered_from_sound(sound_data_dir):
    """Bug: the CLI said 'retrain' for such a track; the dashboard answers it from sound, without TensorFlow."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    conn = sqlite3.connect(sound_data_dir / "catalog.sqlite")
    spotify_id = conn.execute("SELECT spotify_id FROM tracks t WHERE audio_path IS NOT NULL AND NOT EXISTS "
                              "(SELECT 1 FROM plays p WHERE p.track_id = t.id)").fetchone()[0]
    conn.close()
    script = ("import json, sys, cli; code = cli.main(['recommend', sys.argv[1], '--n', '3', '--json']); "
              "print(json.dumps([code, 'tensorflow' in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", script, spotify_id], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parent.parent,
                            env={**os.environ, "CRATEDIGGER_DATA_DIR": str(sound_data_dir)})
    *answer, last = result.stdout.strip().splitlines()
    assert json.loads(last) == [0, False], result.stderr
    payload = json.loads("\n".join(answer))
    assert payload["source"].startswith("sound") and len(payload["results"]) == 3
    assert all(r["sound_score"] is not None and r["match"] <= 1 for r in payload["results"])


def test_regression_one_malformed_seed_of_several_is_left_out_not_fatal(trained, capsys):
    """QA: `recommend "Nono - Body Titam; x"` exited 2 with '"x" is too short to search for…' and no results."""
    data_dir, ids = trained
    code, out, err = run(capsys, "recommend", f"{SPOTIFY['t1']}; x", "--n", "2", "--json")
    assert code == 0, err
    assert err == 'not read, left out: "x": "x" is too short to search for: paste a Spotify track link, URI or ID, ' \
                  "or 'artist - title'.\n"
    payload = json.loads(out)
    assert payload["not_found"] == [{"text": "x", "reason": err.split(": ", 2)[2].strip(), "unreadable": True}]
    assert payload["query"]["track_id"] == ids["t1"] and len(payload["results"]) == 2
    code, out, err = run(capsys, "recommend", "x", "?")
    assert code == 2 and err == 'error: "x" is too short to search for: paste a Spotify track link, URI or ID, ' \
                                "or 'artist - title'.\n" and out == ""


@pytest.mark.parametrize("link, message", [
    ("garbage", 'error: "garbage" is not a Spotify playlist ID, URI or link.'),
    ("   ", "error: Nothing to look up: paste a Spotify playlist link (https://open.spotify.com/playlist/…), URI or ID."),
])
def test_regression_exclude_playlist_mistakes_name_a_playlist(trained, capsys, link, message):
    """QA: `--exclude-playlist garbage` said 'A track ID is 22 letters and digits, e.g. spotify:track:…'."""
    code, out, err = run(capsys, "recommend", SPOTIFY["t1"], "--exclude-playlist", link)
    assert code == 2 and err.startswith(message) and "track" not in err and out == ""


def test_bug_sets_of_one_track_do_not_suggest_a_min_set_that_fails_too(tmp_path, monkeypatch, capsys):
    """QA: with sets of one track each, `evaluate --data` advised "Give a smaller --min-set (2 to 2)", which fails
    the same way: no --min-set helps then, only longer sets."""
    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "sets.csv"
    path.write_text("set_id,track_id\ns1,t1\ns2,t2\n")
    code, _, err = run(capsys, "evaluate", "--data", str(path))
    assert code == 2
    assert "the longest has 1" in err and "--min-set" not in err and "longer sets" in err


@pytest.mark.parametrize("engine", ["default", "als"])
def test_bug_a_huge_finite_alpha_says_what_to_change_and_writes_no_run(crate, capsys, engine):
    """QA: `train-als --alpha 1e30` passed the option check and ALS fitted NaN factors: exit 1, 'an unexpected
    ModelFitError (NaN encountered in factors); this is a bug in Cratedigger'."""
    data_dir, _ = crate
    code, out, err = run(capsys, "train-als", "--engine", engine, "--alpha", "1e30", "--publish")
    assert code == 3 and "bug" not in err and "alpha=1e+30" in err and "lower --alpha" in err
    assert not (data_dir / "models").exists() or not any(p.name[0].isdigit() for p in (data_dir / "models").iterdir())
