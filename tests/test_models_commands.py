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
        ("0" * 22, 3, "not in the catalog"),
        ("Nobody - Nothing", 3, "No track in the catalog"),
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
    assert code == 3 and "No model run" in err
