from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
from ui.media import servable_audio


def _track_with_audio(conn, audio_path: str) -> int:
    save_set(conn, SetRecord("t", "s1", "Set", plays=[PlayRecord(1, TrackRecord("A", "T"))]))
    conn.execute("UPDATE tracks SET audio_path = ?", (audio_path,))
    return conn.execute("SELECT id FROM tracks").fetchone()[0]


def test_cached_audio_is_served(conn, settings):
    settings.audio_dir.mkdir(parents=True)
    clip = settings.audio_dir / "clip.ogg"
    clip.write_bytes(b"OggS")
    track_id = _track_with_audio(conn, str(clip))
    assert servable_audio(settings, track_id) == clip.resolve()


def test_paths_outside_the_audio_folders_are_refused(conn, settings, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    track_id = _track_with_audio(conn, str(secret))
    assert servable_audio(settings, track_id) is None
    conn.execute("UPDATE tracks SET audio_path = ?", (str(settings.audio_dir / ".." / "catalog.sqlite"),))
    assert servable_audio(settings, track_id) is None
    assert servable_audio(settings, 999) is None
