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
