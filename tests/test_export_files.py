"""File exports (CSV, M3U8, rekordbox XML) and the `export` verb."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

import cli
from catalog.db import connect
from catalog.playlist_export import (
    CSV_COLUMNS,
    ExportTrack,
    file_location,
    load_export_tracks,
    parse_track_refs,
    rekordbox_tonality,
    write_csv,
    write_m3u8,
    write_rekordbox_xml,
)
from catalog.store import TrackRecord, update_track_audio, upsert_track
from errors import BadInputError

REAL_EXPORT = Path(__file__).parent / "fixtures" / "rekordbox" / "rekordbox6-collection-export.xml"
SID = "4LZuV8PF9iAyTMxt4UACeg"


@pytest.fixture
def tracks(tmp_path):
    audio = tmp_path / "music dir" / "Dapayk Solo – Halo (Beatamines Remix).mp3"
    audio.parent.mkdir()
    audio.write_bytes(b"ID3" + b"\0" * 1000)
    return [
        ExportTrack("Dapayk Solo", "Halo", "Beatamines Remix", spotify_id=SID, duration_ms=412_000, tempo=124.0,
                    musical_key="F minor", camelot="4A", label="Mo's Ferry", audio_path=str(audio)),
        ExportTrack("Cajmere", "Baby Talk", spotify_id="37NR1khxrlGjZf5Xug0V72", duration_ms=300_400),
        ExportTrack("Nobody", "No Link, Anywhere"),
    ]


def test_csv(tracks, tmp_path):
    report = write_csv(tracks, tmp_path / "out" / "p.csv")
    rows = list(csv.DictReader(report.path.open(encoding="utf-8")))
    assert list(rows[0]) == CSV_COLUMNS and len(rows) == 3 and report.written == 3
    assert rows[0]["spotify_url"] == f"https://open.spotify.com/track/{SID}"
    assert rows[0]["bpm"] == "124.00" and rows[0]["duration_s"] == "412" and rows[0]["local_path"].endswith(".mp3")
    assert rows[2]["title"] == "No Link, Anywhere" and rows[2]["spotify_id"] == ""


def test_m3u8_prefers_local_files_then_links(tracks, tmp_path):
    report = write_m3u8(tracks, tmp_path / "p.m3u8", name="Friday\nwarm-up")
    lines = report.path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["#EXTM3U", "#PLAYLIST:Friday warm-up"]
    assert lines[2] == "#EXTINF:412,Dapayk Solo - Halo (Beatamines Remix)"
    assert lines[3] == str(Path(tracks[0].audio_path).resolve())
    assert lines[4:] == ["#EXTINF:300,Cajmere - Baby Talk", "https://open.spotify.com/track/37NR1khxrlGjZf5Xug0V72"]
    assert report.written == 2 and "No Link, Anywhere" in report.skipped[0][0]


def _structure(root):
    """(tag, sorted attribute names) along the paths rekordbox reads."""
    track_attrs = {frozenset(t.attrib) for t in root.find("COLLECTION").findall("TRACK")}
    return root.tag, sorted(root.find("PRODUCT").attrib), track_attrs


def test_rekordbox_xml_matches_the_real_structure(tracks, tmp_path):
    report = write_rekordbox_xml(tracks, tmp_path / "p.xml", name="Friday warm-up")
    assert report.written == 1 and len(report.skipped) == 2
    ours, real = ET.parse(report.path).getroot(), ET.parse(REAL_EXPORT).getroot()
    assert report.path.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert ours.tag == real.tag == "DJ_PLAYLISTS" and ours.get("Version") == real.get("Version")
    assert sorted(ours.find("PRODUCT").attrib) == sorted(real.find("PRODUCT").attrib)
    real_attrs = set(real.find("COLLECTION").find("TRACK").attrib)
    (track,) = ours.find("COLLECTION").findall("TRACK")
    assert set(track.attrib) == real_attrs  # every attribute rekordbox writes, no others
    assert ours.find("COLLECTION").get("Entries") == "1"
    assert track.get("Tonality") == "Fm" and track.get("AverageBpm") == "124.00" and track.get("Mix") == "Beatamines Remix"
    assert track.get("Location").startswith("file://localhost/") and "%20" in track.get("Location")
    assert Path(unquote(track.get("Location")[len("file://localhost"):])) == Path(tracks[0].audio_path).resolve()
    root_node = ours.find("PLAYLISTS/NODE")
    real_root = real.find("PLAYLISTS/NODE")
    assert (root_node.get("Type"), root_node.get("Name")) == (real_root.get("Type"), real_root.get("Name")) == ("0", "ROOT")
    (playlist,) = root_node.findall("NODE")
    assert set(playlist.attrib) == set(real_root.find("NODE").attrib)
    assert (playlist.get("Type"), playlist.get("KeyType"), playlist.get("Entries")) == ("1", "0", "1")
    assert [t.get("Key") for t in playlist.findall("TRACK")] == [track.get("TrackID")]


def test_rekordbox_needs_a_local_file(tracks, tmp_path):
    with pytest.raises(BadInputError, match="local audio file"):
        write_rekordbox_xml(tracks[1:], tmp_path / "p.xml", name="x")


def test_tonality_and_location():
    assert [rekordbox_tonality(k) for k in ("A minor", "F# major", "Am", None)] == ["Am", "F#", "Am", ""]
    assert file_location(Path("/music/a b#.mp3")) == "file://localhost/music/a%20b%23.mp3"


def test_refs_from_file_and_text(tmp_path):
    listing = tmp_path / "t.txt"
    listing.write_text("# picked\ntrack_id\n12\nspotify:track:" + SID + "\n", encoding="utf-8")
    assert parse_track_refs(str(listing)) == ["12", "spotify:track:" + SID]
    assert parse_track_refs("1, 2 3") == ["1", "2", "3"]


def test_regression_a_track_named_by_id_and_by_spotify_id_is_exported_once(catalog):
    conn, a, b = catalog
    tracks = load_export_tracks(conn, [str(a), f"spotify:track:{SID}", str(b), SID, "7" * 22, "7" * 22])
    assert [(t.track_id, t.spotify_id) for t in tracks] == [(a, SID), (b, "0" * 22), (None, "7" * 22)]


def test_unknown_refs_are_named(tmp_path):
    conn = connect(tmp_path / "c.sqlite")
    with pytest.raises(BadInputError, match="99 .no catalog track.*nonsense"):
        load_export_tracks(conn, ["99", "nonsense"])


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["spotify.commands"])
    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(tmp_path))
    for key in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    conn = connect(tmp_path / "catalog.sqlite")
    a = upsert_track(conn, TrackRecord("Dapayk Solo", "Halo (Beatamines Remix)", spotify_id=SID))
    b = upsert_track(conn, TrackRecord("Demo Band", "Demo Song", spotify_id="0" * 22, is_demo=True))
    audio = tmp_path / "halo.mp3"
    audio.write_bytes(b"ID3" + b"\0" * 100)
    update_track_audio(conn, a, tempo=124.0, audio_path=str(audio))
    return conn, a, b


def test_export_verb_writes_each_format(catalog, tmp_path, capsys):
    conn, a, b = catalog
    for fmt, suffix in (("csv", ".csv"), ("m3u", ".m3u8"), ("rekordbox", ".xml")):
        assert cli.main(["export", "--tracks", f"{a},spotify:track:{SID}", "--to", fmt, "--name", "My Set!"]) == 0
        assert (tmp_path / "exports" / f"My-Set{suffix}").is_file()
    assert "Wrote 1 track to" in capsys.readouterr().out  # `a` is the Spotify track too: once
    out = tmp_path / "x.csv"
    assert cli.main(["export", "--tracks", str(b), "--to", "csv", "--name", "d", "--out", str(out)]) == 0
    assert "Demo Song" in out.read_text(encoding="utf-8")  # demo tracks may go to files
    named = tmp_path / "Friday warm-up.m3u8"  # QA: --out names the file; --name was still demanded
    assert cli.main(["export", "--tracks", str(b), "--to", "m3u", "--out", str(named)]) == 0 and named.is_file()


def test_export_verb_refuses_demo_tracks_for_spotify(catalog, capsys):
    conn, a, b = catalog
    assert cli.main(["export", "--tracks", f"{a},{b}", "--to", "spotify", "--name", "x"]) == 2
    assert "demo track" in capsys.readouterr().err


def test_export_verb_bad_input_is_one_line(catalog, capsys):
    assert cli.main(["export", "--tracks", "12345", "--to", "csv", "--name", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_bug_unwritable_out_is_one_line_not_a_traceback(catalog, tmp_path, capsys):
    """`export --out` into a folder that cannot be made ended in a FileNotFoundError traceback (exit 1)."""
    conn, a, _ = catalog
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    assert cli.main(["export", "--tracks", str(a), "--to", "csv", "--name", "x", "--out", str(blocker / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--out" in err and "Traceback" not in err


def test_bug_a_control_character_in_a_name_keeps_the_rekordbox_xml_well_formed(tracks, tmp_path):
    """QA: a tracklist's control character (imported as it was) went into the XML raw: not well-formed, so
    rekordbox (and any XML parser) refused the whole file."""
    tracks[0].artist, tracks[0].title = "Ctl\x01Artist", "Ha\x0blo"
    report = write_rekordbox_xml(tracks, tmp_path / "p.xml", name="Friday\x1b")
    track = ET.parse(report.path).getroot().find("COLLECTION/TRACK")
    assert (track.get("Artist"), track.get("Name")) == ("CtlArtist", "Halo")


def test_bug_exporting_over_a_symlink_writes_its_target(tracks, tmp_path):
    """QA: `--out link.xml` (a link into a synced folder) replaced the link with a file: the target stayed stale."""
    target = tmp_path / "synced" / "rekordbox.xml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.xml"
    link.symlink_to(target)
    write_rekordbox_xml(tracks, link, name="Friday")
    assert link.is_symlink() and "DJ_PLAYLISTS" in target.read_text(encoding="utf-8")


def test_bug_a_pipe_or_device_is_not_replaced_by_a_file(tracks, tmp_path):
    """QA: `--out` naming a FIFO (or, as root, /dev/full) renamed the export over it, replacing the node."""
    import os

    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(BadInputError, match="not a regular file"):
        write_csv(tracks, fifo)
    assert fifo.is_fifo()


def test_bug_a_long_out_name_is_exit_2(catalog, tmp_path, capsys):
    """QA: a 300-letter `--out` ended in exit 3 'File name too long' (an `--out` that cannot be written is exit 2)."""
    conn, a, _ = catalog
    long_out = tmp_path / ("L" * 300 + ".csv")
    assert cli.main(["export", "--tracks", str(a), "--to", "csv", "--name", "x", "--out", str(long_out)]) == 2
    assert "--out" in capsys.readouterr().err


def test_bug_an_out_name_of_many_multibyte_letters_that_fits_is_written(tracks, tmp_path):
    """A 253-byte `--out` name in Japanese fits the file system, but its temporary name (cut to 200 letters, not
    bytes, + '.tmp') did not: an OSError escaped as a crash instead of the export being written."""
    out = tmp_path / ("東" * 83 + ".csv")
    assert len(out.name.encode("utf-8")) <= 255
    assert write_csv(tracks, out).path == out and out.is_file()


def test_bug_the_default_file_name_keeps_letters_and_fits(catalog, tmp_path):
    """QA: a 300-letter `--name` ended in exit 3 'File name too long'; a name in another script lost its letters
    ('Été à Berlin — Ñu' → 't-Berlin-u.csv')."""
    conn, a, _ = catalog
    assert cli.main(["export", "--tracks", str(a), "--to", "csv", "--name", "L" * 300]) == 0
    (written,) = (tmp_path / "exports").glob("L*.csv")
    assert len(written.name.encode("utf-8")) < 255
    assert cli.main(["export", "--tracks", str(a), "--to", "m3u", "--name", "Été à Berlin — Ñu"]) == 0
    assert (tmp_path / "exports" / "Été-à-Berlin-Ñu.m3u8").is_file()


def test_bug_a_spotify_track_known_only_by_its_link_has_no_dangling_dash(tmp_path):
    """QA: a Spotify track the catalog and the lookup cache lack was listed as '- spotify:track:…' in the M3U8."""
    conn = connect(tmp_path / "c.sqlite")
    (track,) = load_export_tracks(conn, [SID])
    report = write_m3u8([track], tmp_path / "p.m3u8", name="x")
    assert f"#EXTINF:-1,spotify:track:{SID}" in report.path.read_text(encoding="utf-8").splitlines()


def test_bug_a_file_without_an_extension_has_a_kind(tracks, tmp_path):
    """QA: a library file without an extension got Kind=" File" in the rekordbox XML."""
    bare = tmp_path / "bare"
    bare.write_bytes(b"\0" * 10)
    tracks[0].audio_path = str(bare)
    report = write_rekordbox_xml(tracks, tmp_path / "p.xml", name="x")
    assert ET.parse(report.path).getroot().find("COLLECTION/TRACK").get("Kind") == "Audio File"


def test_bug_a_tracks_file_not_in_utf8_is_read_not_a_crash(tmp_path):
    """QA: `--tracks picks.txt` saved by a Windows tool (UTF-16, or a Latin-1 line) ended in exit 1, 'an unexpected
    UnicodeDecodeError … this is a bug'."""
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(f"\ufeff12\r\nspotify:track:{SID}\r\n".encode("utf-16-le"))
    assert parse_track_refs(str(utf16)) == ["12", "spotify:track:" + SID]
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"# Caf\xe9 picks\n12\n")
    assert parse_track_refs(str(latin)) == ["12"]


def test_bug_a_tracks_file_that_does_not_exist_is_named_as_a_file(tmp_path):
    """QA: `--tracks picked.txt` (a typo, or run from another folder) said 'picked.txt (neither a catalog id nor a
    Spotify track)' instead of that the file does not exist."""
    for missing in ("picked.txt", str(tmp_path / "picks" / "list")):
        with pytest.raises(BadInputError, match="no such file"):
            parse_track_refs(missing)
    assert parse_track_refs("https://open.spotify.com/track/" + SID) == ["https://open.spotify.com/track/" + SID]


def test_bug_an_m3u8_with_nothing_to_list_is_refused_like_the_rekordbox_xml(tracks, tmp_path):
    """QA: an M3U8 of tracks with neither a local file nor a Spotify link was written empty, 'Wrote 0 tracks', exit 0
    (the rekordbox XML in the same case is one sentence and exit 2)."""
    with pytest.raises(BadInputError, match="M3U8 would be empty"):
        write_m3u8(tracks[2:], tmp_path / "p.m3u8", name="x")
    assert not (tmp_path / "p.m3u8").exists()


def test_bug_a_long_list_of_ids_separated_by_commas_is_not_taken_for_a_file_name():
    """Review: `export --tracks id,id,…` of a dozen Spotify ids (over 255 characters, no space) was checked as a file
    name first, and the 'File name too long' error ended the command as 'a bug in Cratedigger'."""
    from catalog.playlist_export import parse_track_refs

    ids = ["4uLU6hMCjMI75M1A2tKUQC"] * 12
    assert parse_track_refs(",".join(ids)) == ids
