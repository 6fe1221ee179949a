"""Regression: fetch-audio asks spotify.previews with its real signature (it once passed (conn, row, settings))."""

from dataclasses import replace

from audio.commands import _preview_sources
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
from tests.fakes.deezer_server import FakeDeezer

ISRC = "GBDUW0000059"


def test_a_real_track_gets_its_deezer_preview_and_a_demo_track_nothing(conn, settings):
    save_set(conn, SetRecord("t", "s", "Set", plays=[
        PlayRecord(1, TrackRecord("Real", "Track", isrc=ISRC, spotify_id="4uLU6hMCjMI75M1A2tKUQC")),
        PlayRecord(2, TrackRecord("Demo", "Track", isrc=ISRC, is_demo=True)),
    ]))
    real, demo = conn.execute("SELECT * FROM tracks ORDER BY id").fetchall()
    fake = FakeDeezer({ISRC: b"ID3fake-mp3"}).start()
    try:
        configured = replace(settings, deezer_api_url=fake.api_url, deezer_previews=True)
        assert _preview_sources(configured, conn, real) == [f"{fake.api_url}preview/{ISRC}.mp3"]
        assert _preview_sources(configured, conn, demo) == []
        assert _preview_sources(replace(configured, deezer_previews=False), conn, real) == []
    finally:
        fake.stop()


def _wav(path, seconds=4.0):
    import wave

    import numpy as np

    t = np.arange(int(16000 * seconds)) / 16000
    samples = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(samples.tobytes())
    return path


def test_bug_the_djs_own_file_wins_over_a_preview_and_exports_point_at_it(conn, settings, tmp_path, monkeypatch,
                                                                          capsys):
    """QA: with a Deezer preview and the DJ's file in --library, fetch-audio kept the 30-second preview (in the data
    folder) and `export --to rekordbox` pointed rekordbox at it; a track that already had a preview never got the
    library file, and the export's advice (match your library) could not help."""
    import cli

    save_set(conn, SetRecord("t", "s", "Set", plays=[
        PlayRecord(1, TrackRecord("Real", "Track", isrc=ISRC, spotify_id="4uLU6hMCjMI75M1A2tKUQC")),
        PlayRecord(2, TrackRecord("Other", "Tune", isrc=ISRC, spotify_id="37NR1khxrlGjZf5Xug0V72")),
    ]))
    real_id, other_id = (r[0] for r in conn.execute("SELECT id FROM tracks ORDER BY id"))
    library = tmp_path / "library"
    library.mkdir()
    fake = FakeDeezer({ISRC: _wav(tmp_path / "preview.wav").read_bytes()}).start()
    monkeypatch.setenv("CRATEDIGGER_DEEZER_API_URL", fake.api_url)
    try:
        assert cli.main(["fetch-audio", "--no-analyze", "--limit", "1"]) == 0  # a preview for "Real - Track" first
        own = [_wav(library / "Real - Track.wav", 6.0), _wav(library / "Other - Tune.wav", 6.0)]
        assert cli.main(["fetch-audio", "--no-analyze", "--library", str(library)]) == 0
    finally:
        fake.stop()
    paths = dict(conn.execute("SELECT id, audio_path FROM tracks").fetchall())
    assert paths == {real_id: str(own[0]), other_id: str(own[1])}
    out = tmp_path / "p.xml"
    assert cli.main(["export", "--tracks", f"{real_id},{other_id}", "--to", "rekordbox", "--name", "x",
                     "--out", str(out)]) == 0
    assert "Real%20-%20Track.wav" in out.read_text(encoding="utf-8")


def test_bug_a_downloaded_preview_is_not_exported_as_the_djs_file(conn, settings, tmp_path):
    """QA: an export wrote a 30-second preview from the data folder as the track's local file."""
    from catalog.playlist_export import load_export_tracks

    save_set(conn, SetRecord("t", "s", "Set", plays=[PlayRecord(1, TrackRecord("Real", "Track", isrc=ISRC))]))
    settings.audio_dir.mkdir(parents=True, exist_ok=True)
    preview = _wav(settings.audio_dir / "1.wav")
    conn.execute("UPDATE tracks SET audio_path = ?", (str(preview),))
    assert load_export_tracks(conn, ["1"])[0].local_file == preview.resolve()  # without the cache named
    assert load_export_tracks(conn, ["1"], audio_cache=settings.audio_dir)[0].local_file is None


def test_bug_a_relative_library_folder_stores_absolute_paths(conn, settings, tmp_path, monkeypatch):
    """QA: `fetch-audio --library lib` stored 'lib/Artist - Title.wav': from any other folder the track had no local
    file (exports left it out) and its audio could not be read."""
    import cli

    save_set(conn, SetRecord("t", "s", "Set", plays=[PlayRecord(1, TrackRecord("Real", "Track"))]))
    (tmp_path / "lib").mkdir()
    own = _wav(tmp_path / "lib" / "Real - Track.wav")
    monkeypatch.setenv("CRATEDIGGER_DEEZER_PREVIEWS", "0")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["fetch-audio", "--no-analyze", "--library", "lib"]) == 0
    assert conn.execute("SELECT audio_path FROM tracks").fetchone()[0] == str(own.resolve())


def test_bug_a_library_folder_given_with_a_tilde_is_found(conn, settings, tmp_path, monkeypatch):
    """Review: `fetch-audio --library '~/x'` (quoted, so the shell left `~` alone) said 'no such folder': the folder
    was checked before `~` was expanded."""
    import cli

    save_set(conn, SetRecord("t", "s", "Set", plays=[PlayRecord(1, TrackRecord("Real", "Track"))]))
    (tmp_path / "lib").mkdir()
    own = _wav(tmp_path / "lib" / "Real - Track.wav")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CRATEDIGGER_DEEZER_PREVIEWS", "0")
    assert cli.main(["fetch-audio", "--no-analyze", "--library", "~/lib"]) == 0
    assert conn.execute("SELECT audio_path FROM tracks").fetchone()[0] == str(own.resolve())
