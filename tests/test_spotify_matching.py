"""Matching catalog tracks to Spotify: scoring, the resumable catalog run, the CLI verb, real-data precision."""

from __future__ import annotations

import json

import pytest

import cli
from catalog.db import connect
from catalog.identity import parse_track_name
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
from spotify.catalog_matching import coverage, match_catalog
from spotify.matching import candidate_from_track, match_track, score_candidate, search_queries
from tests.fakes.spotify_catalogue import EXCERPT, Entry, fake_id, set_rows, track_object, with_distractors
from tests.fakes.spotify_server import FakeSpotify

HALO = Entry("4LZuV8PF9iAyTMxt4UACeg", ("Dapayk Solo",), "Halo - Beatamines Remix")
HALO_ORIGINAL = Entry(fake_id("halo"), ("Dapayk Solo",), "Halo")
HALO_OTHER = Entry(fake_id("halo2"), ("Dapayk Solo",), "Halo - Ricardo Villalobos Remix")
HALO_COVER = Entry(fake_id("halo3"), ("Beyonce",), "Halo")
TALK = Entry("37NR1khxrlGjZf5Xug0V72", ("Cajmere",), "Baby Talk")


def fake_search(entries):
    fake = FakeSpotify([track_object(e) for e in entries])
    return lambda q, limit: fake.search(q, limit, 0)[0]


def test_candidate_parts():
    c = candidate_from_track(track_object(Entry(TALK.spotify_id, ("Blonde", "Astrid S"),
                                                "Just for One Night (feat. Astrid S) - Extended Mix")))
    assert c.title == "Just for One Night" and c.version == "Extended Mix" and "Astrid S" in c.artists


def test_queries_are_field_filtered_with_fallbacks():
    queries = search_queries(parse_track_name("Dapayk Solo & X", "Halo (Beatamines Remix) [Mo's Ferry"))
    assert queries[0] == 'track:"Halo Beatamines Remix" artist:"Dapayk Solo"'
    assert queries[1] == 'track:"Halo" artist:"Dapayk Solo"'  # without the remix
    assert queries[2] == 'track:"Halo" artist:"X"'
    assert all(q.count('"') % 2 == 0 for q in queries)


def test_the_right_remix_wins_over_distractors():
    search = fake_search([HALO_ORIGINAL, HALO_OTHER, HALO_COVER, HALO])
    result = match_track(search, parse_track_name("Dapayk Solo", "Halo (Beatamines Remix)"))
    assert (result.status, result.spotify_id) == ("accepted", HALO.spotify_id)
    assert result.confidence > 0.95 and result.isrc.startswith("ZZ")
    original = match_track(search, parse_track_name("Dapayk Solo", "Halo"))
    assert original.spotify_id == HALO_ORIGINAL.spotify_id


def test_a_different_version_only_is_rejected():
    search = fake_search([HALO_OTHER, HALO_COVER])
    result = match_track(search, parse_track_name("Dapayk Solo", "Halo (Beatamines Remix)"))
    assert result.status == "rejected" and result.spotify_id is None


def test_another_artist_is_rejected():
    result = match_track(fake_search([HALO_COVER]), parse_track_name("Dapayk Solo", "Halo"))
    assert result.status == "rejected"


def test_duration_counts_when_known():
    name = parse_track_name("Cajmere", "Baby Talk")
    candidate = candidate_from_track(track_object(TALK))
    near, _ = score_candidate(name, candidate, candidate.duration_ms + 2000)
    far, parts = score_candidate(name, candidate, candidate.duration_ms + 120_000)
    assert near > far and parts["duration"] == 0.0


def _catalog(tmp_path):
    conn = connect(tmp_path / "catalog.sqlite")
    plays = [
        PlayRecord(1, TrackRecord("Dapayk Solo", "Halo (Beatamines Remix)")),
        PlayRecord(2, TrackRecord("Cajmere", "Baby Talk [Cajual]")),
        PlayRecord(3, TrackRecord("Nobody Known", "Not On Spotify")),
        PlayRecord(4, TrackRecord("Known Artist", "Already Linked", spotify_id=fake_id("linked"))),
    ]
    save_set(conn, SetRecord("import", "s1", "Set 1", plays))
    save_set(conn, SetRecord("demo", "d1", "Demo", [PlayRecord(1, TrackRecord("Cajmere", "Demo Secret Title", is_demo=True))],
                             is_demo=True))
    return conn


def test_catalog_run_is_resumable_and_never_sends_demo_tracks(tmp_path):
    conn = _catalog(tmp_path)
    fake = FakeSpotify([track_object(e) for e in (HALO, HALO_OTHER, TALK)])
    asked = []

    def search(q, limit):
        asked.append(q)
        return fake.search(q, limit, 0)[0]

    first = match_catalog(conn, search, limit=1, show_progress=False)
    assert first == {"accepted": 1, "rejected": 0, "error": 0}
    second = match_catalog(conn, search, show_progress=False)
    assert second == {"accepted": 1, "rejected": 1, "error": 0}
    assert not any("Demo" in q or "Secret" in q or "Already" in q for q in asked)
    row = conn.execute("SELECT spotify_id, isrc FROM tracks WHERE title = 'Halo'").fetchone()
    assert row["spotify_id"] == HALO.spotify_id and row["isrc"].startswith("ZZ")
    stored = conn.execute("SELECT status, confidence FROM spotify_matches ORDER BY track_id").fetchall()
    assert [s["status"] for s in stored] == ["accepted", "accepted", "rejected"]
    asked.clear()
    assert match_catalog(conn, search, show_progress=False) == {"accepted": 0, "rejected": 0, "error": 0}
    assert asked == []  # rejects are not searched again
    report = coverage(conn)
    assert (report.tracks, report.with_spotify_id, report.rejected, report.demo_skipped) == (4, 3, 1, 1)


def _point_the_cli_at(fake, data_dir, monkeypatch, modules):
    """The CLI with only `modules`, its data in `data_dir` and its Spotify calls going to `fake`."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", modules)
    for key, value in {
        "CRATEDIGGER_DATA_DIR": str(data_dir), "SPOTIPY_CLIENT_ID": fake.client_id,
        "SPOTIPY_CLIENT_SECRET": fake.client_secret, "CRATEDIGGER_SPOTIFY_API_URL": fake.api_url,
        "CRATEDIGGER_SPOTIFY_ACCOUNTS_URL": fake.accounts_url,
    }.items():
        monkeypatch.setenv(key, value)


def test_match_spotify_verb_against_the_fake(tmp_path, monkeypatch, capsys):
    _catalog(tmp_path).close()
    with FakeSpotify([track_object(e) for e in (HALO, TALK)]) as fake:
        _point_the_cli_at(fake, tmp_path, monkeypatch, ["spotify.commands"])
        assert cli.main(["match-spotify", "--no-progress"]) == 0
        out = capsys.readouterr().out
        assert "2 matched, 1 rejected" in out and "Spotify coverage: 3 of 4 tracks" in out
        assert not any("Demo" in path for _, path in fake.requests)
        fake.rate_limited("GET /v1/search", retry_after="600")
        conn = connect(tmp_path / "catalog.sqlite")
        conn.execute("DELETE FROM spotify_matches WHERE status = 'rejected'")
        assert cli.main(["match-spotify", "--no-progress"]) == 3
        assert "Wait 10 minutes" in capsys.readouterr().err
        assert cli.main(["match-spotify", "--limit", "0"]) == 2


def _excerpt_entries():
    data = json.loads(EXCERPT.read_text(encoding="utf-8"))
    return [Entry(e["spotify_id"], tuple(e["artists"]), e["name"]) for e in data["entries"]]


@pytest.mark.parametrize("entry", _excerpt_entries(), ids=lambda e: f"{e.artists[0]} - {e.name}")
def test_bug_spotify_dash_version_title_matches_its_own_track(entry):
    """A catalog title copied from Spotify (`Jubel - Radio Edit`) was rejected: Spotify's side had the
    ` - Radio Edit` split into the version, the catalog's kept it in the title (title=0.48)."""
    search = fake_search(with_distractors(_excerpt_entries()))
    result = match_track(search, parse_track_name(", ".join(entry.artists), entry.name))
    assert (result.status, result.spotify_id) == ("accepted", entry.spotify_id), result.detail


def test_bug_spotify_dash_version_title_imported_and_matched_by_the_cli(tmp_path, monkeypatch, capsys):
    jubel = next(e for e in _excerpt_entries() if e.name == "Jubel - Radio Edit")
    tracklist = tmp_path / "sets.csv"
    tracklist.write_text("set_id,position,artist,title\nx0,1,Klingande,Jubel - Radio Edit\n", encoding="utf-8")
    with FakeSpotify([track_object(e) for e in (jubel, HALO, TALK)]) as fake:
        _point_the_cli_at(fake, tmp_path, monkeypatch, ["catalog.commands", "spotify.commands"])
        assert cli.main(["import-tracklists", str(tracklist)]) == 0
        assert cli.main(["match-spotify", "--no-progress"]) == 0
    assert "1 matched, 0 rejected" in capsys.readouterr().out
    row = connect(tmp_path / "catalog.sqlite").execute("SELECT spotify_id FROM tracks").fetchone()
    assert row["spotify_id"] == jubel.spotify_id


def test_a_dash_title_still_matches_as_written_and_keeps_its_remix():
    hyphenated = Entry(fake_id("stay-up"), ("Cajmere",), "Stay-Up")
    search = fake_search([hyphenated, HALO_ORIGINAL, HALO_OTHER, HALO])
    assert match_track(search, parse_track_name("Cajmere", "Stay - Up")).spotify_id == hyphenated.spotify_id
    assert match_track(search, parse_track_name("Dapayk Solo", "Halo - Beatamines Remix")).spotify_id == HALO.spotify_id
    assert match_track(fake_search([HALO_OTHER]), parse_track_name("Dapayk Solo", "Halo - Beatamines Remix")).status == "rejected"


def _precision_recall(rows, sample=None):
    import random
    from collections import defaultdict

    from tests.fakes.spotify_catalogue import entries_from_rows, repair

    entries = entries_from_rows(rows)
    named = {r["spotify_id"] for r in rows if parse_track_name(repair(r["artist"]), repair(r["song"])).version}
    search = fake_search(with_distractors(entries, originals=named))
    truth = defaultdict(set)
    for r in rows:
        truth[(repair(r["artist"]).strip(), repair(r["song"]).strip())].add(r["spotify_id"])
    keys = sorted(truth)
    if sample:
        keys = random.Random(1).sample(keys, sample)
    accepted = correct = 0
    for artist, song in keys:
        result = match_track(search, parse_track_name(artist, song))
        if result.status == "accepted":
            accepted += 1
            correct += result.spotify_id in truth[(artist, song)]
    return correct / accepted, correct / len(keys)


def test_precision_on_the_committed_excerpt():
    data = json.loads(EXCERPT.read_text(encoding="utf-8"))
    rows = [dict(q, spotify_song_name=next(e["name"] for e in data["entries"] if e["spotify_id"] == q["spotify_id"]))
            for q in data["queries"]]
    precision, recall = _precision_recall(rows)
    assert precision >= 0.95 and recall >= 0.8


@pytest.mark.skipif(not set_rows(), reason="../shared/fixtures/sets not present")
def test_precision_on_the_real_sets():
    precision, recall = _precision_recall(set_rows(), sample=3000)
    assert precision >= 0.95, precision
    assert recall >= 0.85, recall


def test_bug_wrong_client_secret_is_a_configuration_error(tmp_path, monkeypatch, capsys):
    """A wrong SPOTIPY_CLIENT_SECRET exited 3 (a failed service) where the README says 2 for configuration."""
    _catalog(tmp_path).close()
    with FakeSpotify([track_object(e) for e in (HALO, TALK)]) as fake:
        _point_the_cli_at(fake, tmp_path, monkeypatch, ["spotify.commands"])
        monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", "not-the-secret")
        assert cli.main(["match-spotify", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "SPOTIPY_CLIENT_SECRET" in err and "Traceback" not in err and "not-the-secret" not in err
