"""The command line end to end, as a user runs it: separate processes, a small generated crate."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTIPY_")}
    env["CRATEDIGGER_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def crate(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli-data")
    assert run_cli(folder, "demo", "--sets", "300").returncode == 0
    trained = run_cli(folder, "train-als", "--publish", "--factors", "16", "--iterations", "5")
    assert trained.returncode == 0, trained.stderr
    return folder


def _popular_spotify_id(folder: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(folder / "catalog.sqlite")
    return conn.execute(
        "SELECT t.spotify_id FROM tracks t JOIN plays p ON p.track_id = t.id GROUP BY t.id ORDER BY COUNT(*) DESC"
    ).fetchone()[0]


def test_help_lists_every_verb():
    result = subprocess.run([sys.executable, "cli.py", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0
    for verb in ("import-tracklists", "demo", "train-als", "publish", "recommend"):
        assert verb in result.stdout


def test_recommend_json_on_the_demo_crate(crate):
    spotify_id = _popular_spotify_id(crate)
    result = run_cli(crate, "recommend", f"https://open.spotify.com/intl-de/track/{spotify_id}?si=x", "--n", "7",
                     "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["query"]["spotify_id"] == spotify_id
    assert len(answer["results"]) == 7
    first = answer["results"][0]
    assert {"track_id", "artist", "title", "spotify_id", "score", "shared_sets", "examples"} <= set(first)
    assert first["shared_sets"] >= 1 and first["examples"]
    assert all(r["spotify_id"] != spotify_id for r in answer["results"])


@pytest.mark.parametrize(
    "query, code, words",
    [
        ("spotify:album:4uLU6hMCjMI75M1A2tKUQC", 2, "album"),
        ("https://open.spotify.com/track/short", 2, "22"),
        ("4uLU6hMCjMI75M1A2tKUQC", 2, "not in the catalog"),
        ("Nobody Ever - Made This", 2, "No track"),
        ("nowhere " * 600, 2, "No track"),  # QA: 'Expression tree is too large', exit 3 about locked catalogs
        ("a" * 5000, 2, '"' + "a" * 79 + '…"'),  # QA: the 5,000 letters came back whole
        ("\\", 2, '"\\" is too short'),  # QA: shown in repr form, '\\\\'
    ],
)
def test_bad_queries_get_one_sentence_and_an_exit_code(crate, query, code, words):
    result = run_cli(crate, "recommend", query)
    assert result.returncode == code
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 300


def test_regression_a_windows_1252_argument_is_read_not_reported_as_a_bug(crate):
    """QA: `recommend "$(printf 'Nono - Body Titam\\xe9')"` exited 1 with 'an unexpected UnicodeEncodeError …
    this is a bug in Cratedigger' (Python keeps the byte as a lone surrogate that no search can encode)."""
    result = run_cli(crate, "recommend", b"Nobody Ever - Caf\xe9 Titam\xe9")
    assert result.returncode == 2, result.stderr
    assert '"Nobody Ever - Café Titamé"' in result.stderr and "bug" not in result.stderr


def test_an_argument_naming_a_file_keeps_its_bytes(tmp_path):
    from cli import readable_arguments

    path = tmp_path / os.fsdecode(b"caf\xe9.csv")  # a Latin-1 file name on a UTF-8 system
    path.write_text("x", encoding="utf-8")
    assert readable_arguments([str(path), os.fsdecode(b"Caf\xe9"), "Âme"]) == ([str(path), "Café", "Âme"], 1)


def test_import_then_train_then_recommend_by_text(tmp_path):
    """Two scenes that never mix: a track's recommendations come from its own scene."""
    import random

    rng = random.Random(0)
    rows = ["set_id,position,artist,title"]
    for s in range(60):
        scene = "Deep" if s % 2 else "Hard"
        for p, n in enumerate(rng.sample(range(8), 5)):
            rows.append(f"set{s},{p + 1},{scene} Artist {n},{scene} Tune {n}")
    rows.append("broken,notanumber,X,Y")
    path = tmp_path / "sets.csv"
    path.write_text("\n".join(rows) + "\n")
    data = tmp_path / "data"
    imported = run_cli(data, "import-tracklists", str(path))
    assert imported.returncode == 0
    assert "Imported 60 new sets with 300 plays; 16 tracks new to the catalog" in imported.stdout
    assert ":302: skipped" in imported.stderr
    again = run_cli(data, "import-tracklists", str(path))
    assert "Imported 0 new sets with 0 plays; 0 tracks new to the catalog" in again.stdout
    assert "60 sets were already in the catalog with these plays: unchanged (300 plays)." in again.stdout
    assert run_cli(data, "train-als", "--publish", "--factors", "8", "--iterations", "10").returncode == 0
    answer = json.loads(run_cli(data, "recommend", "Deep Artist 3 - Deep Tune 3", "--json", "--n", "5").stdout)
    assert answer["query"]["title"] == "Deep Tune 3"
    assert [r["artist"].split()[0] for r in answer["results"]] == ["Deep"] * 5
    assert all(r["shared_sets"] >= 1 for r in answer["results"])
    closest = run_cli(data, "recommend", "Deep Artist - Deep Tune 3", "--n", "2")  # QA: said nothing
    assert closest.returncode == 0 and "Tracks DJs play with Deep Artist 3 - Deep Tune 3" in closest.stdout
    assert closest.stderr == ('note: No track is exactly "Deep Artist - Deep Tune 3"; '
                              "closest match: Deep Artist 3 - Deep Tune 3.\n")
    rework = run_cli(data, "recommend", "Deep Artist 3 - Deep Tune 3 (Dixon Rework)", "--n", "2", "--json")
    assert rework.returncode == 0 and json.loads(rework.stdout)["query"]["title"] == "Deep Tune 3"
    assert "using the track without that version: Deep Artist 3 - Deep Tune 3." in rework.stderr


def test_recommend_without_a_published_model_says_what_to_do(tmp_path):
    data = tmp_path / "data"
    assert run_cli(data, "demo", "--sets", "50").returncode == 0
    result = run_cli(data, "recommend", "Anything - At All")
    assert result.returncode in (2, 3)
    assert "Traceback" not in result.stderr


def test_stats_json_is_json_with_or_without_a_catalog(crate, tmp_path):
    empty = run_cli(tmp_path / "none", "stats", "--json")
    assert empty.returncode == 0 and set(json.loads(empty.stdout).values()) == {0}
    assert not (tmp_path / "none").exists()  # asking for counts creates nothing
    counts = json.loads(run_cli(crate, "stats", "--json").stdout)
    assert counts["sets"] == 300 and set(counts) == set(json.loads(empty.stdout))


def test_cli_compiles_librosa_into_the_data_folders_cache(tmp_path, monkeypatch):
    """The dashboard's sound worker reads numba's cache from the data folder; the CLI's audio verbs must write
    there (else the first `python app.py` after `demo-audio` compiled for ~8 s), without creating it early."""
    import cli

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["stats", "--json"]) == 0
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "data" / "cache" / "numba")
    assert not (tmp_path / "data").exists()


def _all_bad_rows(folder: Path) -> str:
    path = folder / "bad.csv"
    path.write_text("set_id,position,artist,title\n,1,A,B\nx,2,,\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "argv, code, words",
    [
        # 2: what you typed names nothing or is wrong: fix the command
        (["publish", "nope"], 2, "No model run 'nope'"),
        (["embed", "--run", "{tmp}/no-such-run"], 2, "no such run folder"),
        (["cold-start", "{tmp}/clip.wav", "--run", "{tmp}/no-such-run"], 2, "no such run folder"),
        (["import-tracklists", "{bad}"], 2, "no row could be imported"),
        (["import-tracklists", "{tmp}/header.csv"], 2, "only a header"),
        (["evaluate", "--data", "{tmp}/junk.csv"], 2, "is not a text file: give a CSV"),
        (["evaluate-audio", "--labels", "{tmp}/junk.csv"], 2, "is not a text file: give a CSV"),
        (["import-tracklists", "{tmp}/junk.csv"], 2, "is not a text file: give a CSV"),
        # 3: something an earlier step makes is missing: run that step first
        (["fetch-audio"], 3, "No catalog"),
        (["analyze-audio"], 3, "No catalog"),
        (["train-cnn", "--epochs", "1"], 3, "fetch-audio"),
        (["embed"], 3, "train-cnn"),
        (["parse-raw"], 3, "crawl"),
        (["train-als"], 3, "No catalog"),
        (["recommend", "Anything - At All"], 3, "No catalog"),
        (["export", "--tracks", "abc", "--to", "csv", "--name", "x"], 3, "No catalog"),  # QA: made an empty one
        (["match-spotify"], 3, "No catalog"),
    ],
)
def test_bug_exit_codes_follow_one_rule(tmp_path, monkeypatch, capsys, argv, code, words):
    """QA found `publish nope` gave 3 (what the user typed names nothing: 2) and `train-cnn` without audio gave 2
    while `embed` without a sound model gave 3 (both a step to run first: 3). README, "Exit codes"."""
    import cli

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "header.csv").write_text("set_id,position,artist,title\n", encoding="utf-8")
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 12)  # not text at all: no usable header
    argv = [a.format(tmp=tmp_path, bad=_all_bad_rows(tmp_path)) for a in argv]
    assert cli.main(argv) == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    if code == 3 and "No catalog" in words:
        assert not (tmp_path / "data" / "catalog.sqlite").exists()  # a mistyped folder gets no empty catalog


@pytest.mark.parametrize("raised, code, words", [
    (sqlite3.OperationalError("database is locked"), 3, "let it finish"),
    (PermissionError(13, "Permission denied", "/data/catalog.sqlite"), 3, "Permission denied (/data/catalog.sqlite)"),
    (RuntimeError("boom"), 1, "bug in Cratedigger"),
])
def test_unexpected_failures_are_one_sentence_not_a_traceback(tmp_path, monkeypatch, capsys, raised, code, words):
    import catalog.commands
    import cli

    def failing(args, settings):
        raise raised

    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(catalog.commands, "stats_command", failing)
    assert cli.main(["stats"]) == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and err.count("\n") == 1
    assert cli.main(["-v", "stats"]) == code
    assert ("Traceback" in capsys.readouterr().err) == (code == 1)  # -v shows where a bug happened


@pytest.mark.parametrize("argv, dest", [
    (["fetch-audio", "--library", "~/x"], "library"),
    (["train-cnn", "--labels", "~/x", "--audio-dir", "~/x"], "audio_dir"),
    (["train-cnn", "--factors", "~/x"], "factors"),
    (["embed", "--run", "~/x"], "run"),
    (["cold-start", "~/x"], "file"),
    (["evaluate-audio", "--labels", "~/x"], "labels"),
    (["import-tracklists", "~/x"], "file"),
    (["crawl", "--titles", "~/x"], "titles"),
    (["parse", "~/x"], "path"),
    (["export", "--tracks", "1", "--to", "csv", "--out", "~/x"], "out"),
    (["evaluate", "--data", "~/x"], "data"),
])
def test_bug_a_path_option_given_with_a_tilde_is_expanded(argv, dest, monkeypatch, tmp_path):
    """Review: `fetch-audio --library '~/x'` (quoted, so the shell left `~` alone) checked a folder named `~`."""
    from cli import build_parser

    monkeypatch.setenv("HOME", str(tmp_path))
    assert getattr(build_parser().parse_args(argv), dest) == tmp_path / "x"


def test_bug_a_track_list_file_or_run_folder_given_with_a_tilde_is_found(monkeypatch, tmp_path):
    """The two path arguments read as text first: `export --tracks '~/list.txt'` and `publish '~/models/<run>'`."""
    from catalog.playlist_export import parse_track_refs
    from errors import ArtifactMissingError
    from models.artifacts import find_run

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "list.txt").write_text("12\n34\n", encoding="utf-8")
    assert parse_track_refs("~/list.txt") == ["12", "34"]
    (tmp_path / "models" / "20260101-000000-abcdef").mkdir(parents=True)
    with pytest.raises(ArtifactMissingError, match="is not a model run"):  # found (not 'No model run'): it is empty
        find_run(tmp_path / "models", "~/models/20260101-000000-abcdef")


def test_bug_browser_paths_given_with_a_tilde_are_expanded(monkeypatch, tmp_path):
    """Review: `SE_CHROMEDRIVER=~/bin/chromedriver` in `.env` (where no shell expands `~`) said 'chromedriver not found
    at ~/bin/chromedriver'; the settings' folders were expanded, these two files were not."""
    from config import load_settings

    monkeypatch.setenv("HOME", str(tmp_path))
    settings = load_settings({"SE_CHROMEDRIVER": "~/bin/chromedriver", "CRATEDIGGER_CHROMIUM": "~/bin/chromium"},
                             dotenv_path=tmp_path / "no.env")
    assert (settings.chromedriver, settings.chromium) == (str(tmp_path / "bin" / "chromedriver"),
                                                          str(tmp_path / "bin" / "chromium"))
    assert load_settings({}, dotenv_path=tmp_path / "no.env").chromium is None
