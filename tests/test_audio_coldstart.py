"""The cold-start path end to end on a small synthetic demo crate, through the CLI verbs."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from audio.commands import _parser_for_tests
from audio.synth import synthesize_beatless, synthesize_clip
from catalog.db import connect
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
from config import load_settings
from errors import ArtifactMissingError, BadInputError

pytest.importorskip("keras")

STYLES = {"techno": 132.0, "drum & bass": 174.0, "house": 122.0}


def _write_wav(path: Path, y: np.ndarray, sr: int = 22_050) -> Path:
    pcm = (np.clip(y, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sr)
        handle.writeframes(pcm.tobytes())
    return path


def _run(settings, *argv):
    args = _parser_for_tests().parse_args(list(argv))
    return args.handler(args, settings)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(root / "data")}, dotenv_path=root / "none.env")
    library = root / "library"
    library.mkdir()
    conn = connect(settings.catalog_path)
    for s, (style, bpm) in enumerate(STYLES.items()):
        plays = []
        for i in range(5):
            seed = 10 * s + i
            artist, title = f"Demo {style.title()} {i}", f"Groove {seed}"
            _write_wav(library / f"{artist} - {title}.wav", synthesize_clip(style, bpm, "A minor", seed=seed, seconds=8.0))
            plays.append(PlayRecord(position=i + 1, track=TrackRecord(artist=artist, title=title, is_demo=True)))
        save_set(conn, SetRecord(source="demo", source_key=f"set-{s}", title=f"{style} set", plays=plays,
                                 styles=[style], is_demo=True))
    conn.close()
    assert _run(settings, "fetch-audio", "--library", str(library)) == 0
    assert _run(settings, "train-cnn", "--epochs", "6", "--run-id", "r1") == 0
    assert _run(settings, "embed", "--run", str(settings.models_dir / "r1")) == 0
    return settings


def test_fetch_audio_matched_library_files_and_analysed_them(demo):
    conn = connect(demo.catalog_path, readonly=True)
    rows = conn.execute("SELECT audio_path, tempo, camelot FROM tracks").fetchall()
    assert len(rows) == 15 and all(r["audio_path"] for r in rows)
    assert sum(abs(r["tempo"] - 132) < 3 or abs(r["tempo"] - 174) < 4 or abs(r["tempo"] - 122) < 3 for r in rows) >= 13


def test_run_folder_layout(demo):
    run = demo.models_dir / "r1"
    for name in ("cnn.keras", "cnn_metadata.json", "embeddings.npy", "embedding_track_ids.npy",
                 "embedding_tempo.npy", "embedding_camelot.npy"):
        assert (run / name).is_file(), name
    assert np.load(run / "embeddings.npy").shape[0] == 15


def test_cold_start_finds_same_style_tracks(demo, tmp_path, capsys):
    from audio.coldstart import cold_start_neighbours

    query = _write_wav(tmp_path / "upload.wav", synthesize_clip("drum & bass", 172.0, "D minor", seed=999, seconds=8.0))
    ids, scores, analysis = cold_start_neighbours(query, demo.models_dir / "r1", k=5)
    assert len(ids) == 5 and np.all(np.diff(scores) <= 1e-6)
    assert abs(analysis.tempo - 172) < 4
    conn = connect(demo.catalog_path, readonly=True)
    artists = [conn.execute("SELECT artist FROM tracks WHERE id = ?", (int(t),)).fetchone()[0] for t in ids]
    assert sum("Drum & Bass" in a for a in artists) >= 3, artists
    # through the CLI, with the tempo filter: only ~172/86 BPM tracks may come back
    assert _run(demo, "cold-start", str(query), "-k", "3", "--match-tempo", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"]["camelot"].endswith(("A", "B"))
    assert all(abs(r["tempo"] - 174) < 10 for r in out["results"]) and out["results"]
    assert _run(demo, "cold-start", str(query), "-k", "3") == 0
    first = capsys.readouterr().out.splitlines()[0]  # QA: "(confidence 1.00)" after the key read as the tempo's
    assert "BPM (tempo confidence" in first and "(key confidence" in first


def test_a_query_with_no_clear_beat_has_no_tempo_to_match(demo, tmp_path, capsys):
    """A chord pad: the CLI says 'no clear beat' (its best guess is 154 BPM) and --match-tempo
    filters nothing, where the pad's best guess used to leave no neighbour at all."""
    query = _write_wav(tmp_path / "pad.wav", synthesize_beatless("chord pad", seconds=8.0))
    assert _run(demo, "cold-start", str(query), "-k", "5", "--match-tempo", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"]["tempo_confidence"] == 0 and len(out["results"]) == 5
    assert _run(demo, "cold-start", str(query), "-k", "3") == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("pad.wav: no clear beat (best guess ")


def test_cold_start_accepts_bytes_and_arrays(demo, tmp_path):
    from audio.coldstart import cold_start_neighbours

    y = synthesize_clip("techno", 132.0, "A minor", seed=77, seconds=6.0)
    ids_a, _, _ = cold_start_neighbours(y, demo.models_dir / "r1", k=3)
    data = _write_wav(tmp_path / "q.wav", y).read_bytes()
    ids_b, _, _ = cold_start_neighbours(data, demo.models_dir / "r1", k=3, filename="query.wav")
    assert ids_a.tolist() == ids_b.tolist()


def test_warm_up_runs(demo):
    from audio.warmup import warm_up

    assert warm_up(demo.cache_dir, demo.models_dir / "r1") >= 0
    assert (demo.cache_dir / "numba").is_dir()


def test_warm_up_clip_is_kept_and_read_back(tmp_path, monkeypatch):
    import audio.synth
    from audio.warmup import warm_up_clip

    first = warm_up_clip(tmp_path)
    assert first.dtype == np.float32 and first.shape == (10 * 22_050,)
    monkeypatch.setattr(audio.synth, "synthesize_clip", lambda *a, **k: pytest.fail("synthesised twice"))
    np.testing.assert_array_equal(warm_up_clip(tmp_path), first)


def test_a_query_needs_three_seconds_of_audio(tmp_path):
    from audio.coldstart import query_samples

    short = _write_wav(tmp_path / "blip.wav", synthesize_clip("techno", 130.0, "A minor", seed=3, seconds=1.0))
    with pytest.raises(BadInputError, match=r"^blip.wav: 1.0 s of audio is too short"):
        query_samples(short)
    with pytest.raises(BadInputError, match=r"^blip.wav: 1.0 s"):
        query_samples(short.read_bytes(), filename="blip.wav")
    assert query_samples(synthesize_clip("techno", 130.0, "A minor", seed=3, seconds=3.0)).size == 3 * 22_050
    with pytest.raises(BadInputError, match="^the samples: the audio is silent"):
        query_samples(np.full(5 * 22_050, np.nan, np.float32))  # NaN is no sound either
    with pytest.raises(BadInputError, match="^the samples: 0.0 s of audio is too short"):
        query_samples(np.zeros(0, np.float32))


def test_fetch_audio_says_which_files_failed_and_why(tmp_path, capsys):
    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path / "data")}, dotenv_path=tmp_path / "none.env")
    library = tmp_path / "library"
    library.mkdir()
    (library / "Bad Artist - Broken Song.mp3").write_bytes(b"ID3 but not really an mp3" * 40)
    conn = connect(settings.catalog_path)
    save_set(conn, SetRecord(source="demo", source_key="s", title="A set", is_demo=True, plays=[
        PlayRecord(position=1, track=TrackRecord(artist="Bad Artist", title="Broken Song", is_demo=True))]))
    conn.close()
    assert _run(settings, "fetch-audio", "--library", str(library)) == 0
    out = capsys.readouterr().out
    assert "failed: Bad Artist - Broken Song: " in out and "not a readable audio file" in out


def test_audio_verbs_do_not_create_a_catalog_in_a_mistyped_data_folder(tmp_path):
    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path / "typo")}, dotenv_path=tmp_path / "none.env")
    for verb in ("analyze-audio", "fetch-audio"):
        with pytest.raises(ArtifactMissingError, match="No catalog at .*check CRATEDIGGER_DATA_DIR"):
            _run(settings, verb)
    assert not (tmp_path / "typo" / "catalog.sqlite").exists()


def test_cold_start_without_a_sound_model_still_says_tempo_and_key(tmp_path, monkeypatch, capsys):
    """QA: the dashboard gave an upload its tempo and key with no sound model; `cold-start` gave only an error."""
    import io

    import soundfile

    import cli
    from audio.synth import synthesize_clip

    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path / "data"))
    y = synthesize_clip("techno", 128.0, "A minor", seed=1, seconds=8.0)
    buffer = io.BytesIO()
    soundfile.write(buffer, y, 22050, format="WAV")
    (tmp_path / "opener.wav").write_bytes(buffer.getvalue())
    assert cli.main(["cold-start", str(tmp_path / "opener.wav")]) == 3
    out, err = capsys.readouterr()
    assert out.startswith("opener.wav: ") and " BPM " in out and "key confidence" in out
    assert "There is no sound model to compare with yet: run `python cli.py fetch-audio`" in err
