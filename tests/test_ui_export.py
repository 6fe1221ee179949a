from pathlib import Path

from catalog.playlist_export import ExportReport
from ui import export
from ui.export import left_out_sentence

_NO_FILE = ("no local file (rekordbox imports only files it can find; "
            "use the CSV or M3U8 export for Spotify-only tracks)")


def test_regression_left_out_tracks_are_one_sentence_with_a_count(tmp_path):
    """QA bug: the rekordbox export repeated its long reason once per left-out track."""
    skipped = [(f"Artist {i} - A Rather Long Title Of Track Number {i} (Extended Mix)", _NO_FILE) for i in range(5)]
    sentence = left_out_sentence(ExportReport(tmp_path, 0, skipped))
    assert sentence.count("rekordbox imports only") == 1 and sentence.startswith(" Left out 5 tracks, no local file")
    assert sentence.endswith("… and 2 more.") and "Artist 0 - A Rather Long Title Of Track…" in sentence
    one = ExportReport(tmp_path, 0, [("A - T: the remix", "no local file and no Spotify link")])
    assert left_out_sentence(one) == " Left out 1 track, no local file and no Spotify link: A - T: the remix."
    assert left_out_sentence(ExportReport(tmp_path, 1)) == ""


class _Conn:
    def close(self):
        pass


def test_the_status_names_the_format_as_its_button_does(monkeypatch, settings):
    def fake_export(tracks, fmt, path: Path, name):
        path.write_text("#EXTM3U\n", encoding="utf-8")
        return ExportReport(path, 2, [])

    monkeypatch.setattr(export, "open_catalog", lambda _settings: _Conn())
    monkeypatch.setattr(export, "load_export_tracks", lambda conn, ids, audio_cache=None: ids)
    monkeypatch.setattr(export, "export_tracks", fake_export)
    download, message = export.export_file(settings, [{"track_id": 1}, {"track_id": 2}], "m3u", "Set")
    assert message == "Exported 2 tracks as M3U8." and download["filename"] == "Set.m3u8"


def test_bug_a_long_name_in_4_byte_letters_still_exports(monkeypatch, settings, conn):
    """The dashboard cut the file name to 80 letters, not bytes: 80 '𝕾' (a 'fancy font' name) made 320 bytes, over
    the file system's 255, and the export failed with 'Cannot write /tmp/…: give another --out' (a CLI option)."""
    from catalog.store import TrackRecord, upsert_track

    track = upsert_track(conn, TrackRecord("A", "T"))
    conn.commit()
    download, message = export.export_file(settings, [{"track_id": track}], "csv", "𝕾" * 80)
    assert download is not None, message
    assert len(download["filename"].encode("utf-8")) <= 255 and download["filename"].startswith("𝕾")


def test_a_destination_that_is_not_a_playlist_is_one_sentence_and_no_store(settings):
    assert export.read_destination(settings, "") == (None, None)
    data, message = export.read_destination(settings, "https://open.spotify.com/album/4uLU6hMCjMI75M1A2tKUQC")
    assert data is None and "is a Spotify album, not a playlist: open the playlist in Spotify" in message


def test_an_unknown_destination_playlist_says_so(settings, tmp_path):
    from dataclasses import replace

    from tests.fakes.spotify_server import FakeSpotify

    with FakeSpotify([]) as fake:
        live = replace(settings, spotify_client_id=fake.client_id, spotify_client_secret=fake.client_secret,
                       spotify_api_url=fake.api_url, spotify_accounts_url=fake.accounts_url)
        data, message = export.read_destination(live, "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M")
    assert data is None and message.startswith("Spotify has no playlist at that link that this app can read")
    assert "once you are logged in to Spotify" in message
