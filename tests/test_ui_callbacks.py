from ui.callbacks import controls_from, merge_picks, spotify_uris, table_row, ticks, vote
from ui.service import evidence_text, split_queries

ID_A, ID_B = "4uLU6hMCjMI75M1A2tKUQC", "7ouMYWpwJ422jRcDASZB7P"


def test_controls_from_widget_values():
    controls = controls_from(30, 0.4, 6, ["Techno"], ["harmonic", "hide_picked"], [{"track_id": 9}])
    assert (controls.n, controls.blend, controls.bpm_percent) == (30, 0.4, 6.0)
    assert controls.harmonic_only and not controls.allow_half_double and not controls.one_per_artist
    assert controls.styles == ("Techno",) and controls.hide == frozenset({9})
    assert controls_from(None, None, 0, None, None, None).bpm_percent is None


def test_table_row_formats_key_badge_and_version():
    row = table_row({"track_id": 5, "rank": 1, "artist": "A", "title": "T", "version": "Dub", "bpm": 123.6,
                     "camelot": "8A", "harmony": "compatible", "styles": ["House"], "final_score": 0.5})
    assert row["id"] == 5 and row["title_version"] == "T (Dub)" and row["bpm"] == 124
    assert row["key_badge"] == "8A ✓"


def test_merge_picks_follows_visible_ticks_and_keeps_hidden_picks():
    candidates = [{"track_id": i, "artist": f"A{i}", "title": f"T{i}"} for i in range(1, 6)]
    picks = merge_picks([1, 2], [], [], candidates)
    assert [p["track_id"] for p in picks] == [1, 2]
    # track 1 is filtered out of view (the redraw ticked 2 only), then 2 unticked, 3 ticked
    picks = merge_picks([3], [2], picks, candidates)
    assert [p["track_id"] for p in picks] == [1, 3]


def test_a_redraw_arriving_after_a_tick_keeps_that_tick():
    """CI flake that was a real race: a control change's redraw, computed from the picks before a tick, landed
    after it; its selection lacked the new tick and the tick was dropped from Picks."""
    candidates = [{"track_id": i, "artist": f"A{i}", "title": f"T{i}"} for i in range(1, 6)]
    picks = merge_picks([1, 2, 4], [1, 2], merge_picks([1, 2], [], [], candidates), candidates)  # 4 ticked
    assert [p["track_id"] for p in picks] == [1, 2, 4]
    assert merge_picks([1, 2], [1, 2], picks, candidates) == picks  # the stale redraw: its own ticks, no change
    # a tick and its untick before any redraw: the untick is measured against the ticks the tick left
    assert [p["track_id"] for p in merge_picks([1, 2], [1, 2, 4], picks, candidates)] == [1, 2]
    # a pick removed from the list while its row was still drawn ticked does not come back with the next tick
    assert [p["track_id"] for p in merge_picks([1, 2, 5], [1, 2], picks[1:], candidates)] == [2, 4, 5]


def test_ticks_give_positions_and_ids_of_exactly_the_picked_rows():
    rows = [{"track_id": t} for t in (7, 3, 9, 4)]
    assert ticks(rows, [{"track_id": 9}, {"track_id": 7}, {"track_id": 99}]) == ([0, 2], [7, 9])
    assert ticks(rows, None) == ([], [])


def test_vote_moves_a_track_between_liked_and_disliked():
    feedback = vote("#like-7", None)
    assert feedback == {"liked": [7], "disliked": []}
    feedback = vote("#dislike-7", feedback)
    assert feedback == {"liked": [], "disliked": [7]}
    assert vote("", feedback) is None and vote("#something-else", feedback) is None


def test_vote_links_are_in_every_row():
    row = table_row({"track_id": 42, "rank": 1})
    assert "(#like-42" in row["like"] and "(#dislike-42" in row["dislike"]


def test_a_blank_bpm_cell_says_why():
    """The BPM cell of a beatless candidate was blank like that of one never analysed; each now shows '–' and a
    tooltip that tells them apart."""
    from ui.layout import results_section

    table = results_section().children[-2]
    tips = {rule["if"]["filter_query"]: rule["value"] for rule in table.tooltip_conditional}

    def tip(row: dict) -> str | None:
        return tips.get(f'{{beat}} = "{table_row({"track_id": 1, "rank": 1, **row})["beat"]}"')

    assert tip({"bpm": 124.0}) is None
    assert "No clear beat" in tip({"bpm": None, "no_clear_beat": True})
    assert "Not analysed" in tip({})
    assert "no audio" in tip({})


def test_regression_a_bpm_cell_of_audio_fetched_but_not_analysed_says_how_to_analyse_it():
    """Review: a track fetched with `fetch-audio --no-analyze` has audio, yet its BPM cell's tooltip said 'Not
    analysed yet: Cratedigger has no audio of it'."""
    from ui.layout import results_section

    table = results_section().children[-2]
    tips = {rule["if"]["filter_query"]: rule["value"] for rule in table.tooltip_conditional}
    beat = table_row({"track_id": 1, "rank": 1, "bpm": None, "audio_path": "/audio/1.mp3"})["beat"]
    tip = tips.get(f'{{beat}} = "{beat}"') or ""
    assert "no audio" not in tip and "not analysed yet" in tip and "python cli.py analyze-audio" in tip


def test_spotify_uris_skip_demo_tracks():
    picks = [{"spotify_id": ID_A, "is_demo": False}, {"spotify_id": ID_B, "is_demo": True}, {"spotify_id": None}]
    assert spotify_uris(picks) == f"spotify:track:{ID_A}"


def test_split_queries_for_crates():
    assert split_queries(f"spotify:track:{ID_A}, spotify:track:{ID_B}") == [f"spotify:track:{ID_A}", f"spotify:track:{ID_B}"]
    assert split_queries(f"{ID_A}\n{ID_B}\n") == [ID_A, ID_B]
    assert split_queries("Âme - Rej, Pt. 2") == ["Âme - Rej, Pt. 2"]
    assert split_queries("Âme - Rej; Dixon - Route 66") == ["Âme - Rej", "Dixon - Route 66"]


def test_evidence_text_names_the_evidence():
    text = evidence_text({"shared_sets": 14, "example_sets": [{"title": "2019-01-01 - X @ Y", "date": "2019-01-01"}],
                          "followed_count": 3, "shared_label": "Innervisions"})
    assert text == "played together in 14 sets · e.g. X @ Y (2019) · often played right after (3×) · same label (Innervisions)"


def test_the_spotify_player_appears_only_when_allowed():
    from ui.callbacks import preview_for, query_card

    store = {"query": {"title": "T", "artist": "A", "spotify_id": ID_A, "is_demo": False},
             "candidates": [{"track_id": 1, "artist": "A", "title": "T", "spotify_id": ID_A, "is_demo": False}]}
    assert "embed/track" not in str(query_card(store, player=False))
    assert f"embed/track/{ID_A}" in str(query_card(store, player=True))
    cell = {"row": 0, "column_id": "artist", "row_id": 1}
    assert "No preview" in str(preview_for(cell, store, player=False))
    assert "embed/track" in str(preview_for(cell, store, player=True))


def test_offline_setting_skips_the_probe(monkeypatch, settings):
    from ui import online

    monkeypatch.setattr(online._SPOTIFY, "check", lambda: (_ for _ in ()).throw(AssertionError("probed")))
    assert settings.offline  # set for every test run by conftest
    assert online.spotify_player_available(settings) is False


def test_reachability_probe_on_loopback():
    import socket
    import time

    from ui.online import Reachability

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    open_port = Reachability(("127.0.0.1", listener.getsockname()[1]))
    open_port.check()  # starts the probe; its answer comes later
    deadline = time.monotonic() + 30
    while not open_port.reachable and time.monotonic() < deadline:
        time.sleep(0.01)
    assert open_port.check() is True
    listener.close()
    closed = Reachability(("127.0.0.1", 1))
    closed.reachable = True  # as if it had answered before
    closed._probe()  # the probe the background thread runs, here synchronously
    assert closed.reachable is False


def test_model_summary_reads_run_metadata():
    from ui.status import model_summary

    text = model_summary({"engine": "als", "created_at": "2026-11-23T20:13:52+00:00",
                          "counts": {"sets": 1600, "tracks": 3581}, "metrics": {"default": {"r_precision": 0.0521}}})
    assert text == "ALS model from 2026-11-23 20:13 · 1,600 sets × 3,581 tracks · R-precision 0.052"
    assert model_summary({"engine": "als", "metrics": {}}).startswith("ALS model")


def test_page_facts_are_reused_within_their_lifetime(monkeypatch, settings):
    from ui import status

    calls = []
    monkeypatch.setattr(status, "status_children", lambda _settings, _loader: calls.append("s") or ["status"])
    monkeypatch.setattr(status, "example_tracks", lambda s: calls.append("e") or [])
    facts = status.PageFacts(settings, loader=None, seconds=60)
    assert facts.status() == ["status"] and facts.status() == ["status"] and facts.examples() == []
    assert calls == ["s", "e"]
    expired = status.PageFacts(settings, loader=None, seconds=0)
    expired.status()
    expired.status()
    assert calls.count("s") == 3


def test_page_says_the_model_is_loading_instead_of_waiting_for_it(monkeypatch, settings):
    from ui import status

    class Loading:
        loaded = None

        def preload(self):
            return True  # a background load is under way

    monkeypatch.setattr(status, "status_children", lambda _settings, _loader: ["waited for the model"])
    shown = status.PageFacts(settings, loader=Loading()).status()
    assert "loading the model" in str(shown) and "waited" not in str(shown)


def test_regression_the_query_card_lists_several_seeds():
    """QA bug: '2 tracks' showed only the first seed's BPM and key (a repeated seed counts once upstream:
    test_ui_service.test_a_track_pasted_twice_is_one_seed)."""
    from ui.callbacks import query_card

    a = {"track_id": 1, "artist": "A", "title": "T", "version": "Dub", "bpm": 122.0, "key": "A minor", "camelot": "8A"}
    b = {"track_id": 2, "artist": "B", "title": "U", "bpm": 126.4, "key": "E minor", "camelot": "9A"}
    card = str(query_card({"query": {**a, "title": "2 tracks", "source": "DJ sets"}, "seeds": [a, b]}))
    assert "2 tracks" in card and "122–126 BPM · 8A, 9A · from DJ sets" in card
    assert "A – T (Dub) · 122 BPM · A minor / 8A" in card and "B – U · 126 BPM · E minor / 9A" in card


def test_the_pages_note_on_a_narrowed_drop_follows_the_uploads_answer(tmp_path):
    """Several files dropped: the page sends the first audio one and a sentence naming the rest (`upload-note`);
    the answer keeps that sentence, so it is still there when the results (or the file's refusal) are."""
    from config import load_settings
    from ui.callbacks import upload

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "no.env")
    note = "Drop one file at a time: only a.wav is analysed; b.wav was not uploaded."
    _, message = upload(settings, "data:audio/wav;base64,@@@@", "a.wav", note=note)
    assert message.children.startswith("a.wav") and message.children.endswith(" " + note)
    _, message = upload(settings, "data:audio/wav;base64,@@@@", "a.wav")
    assert "Drop one file" not in message.children


def test_an_upload_with_no_clear_beat_says_so_and_filters_no_tempo(settings, conn, monkeypatch):
    """An ambient pad used to come back as '143 BPM' (its best guess) and the BPM filter hid tracks by it. Now
    the answer has no BPM: the page says 'no clear beat' and the BPM filter passes every track."""
    import base64

    import audio.worker
    from ui.callbacks import query_card, upload
    from ui.ranking import Controls, rank

    reply = {"ids": [], "scores": [], "spectrogram": [],
             "analysis": {"tempo": 143.2, "tempo_confidence": 0.0, "key": "A minor", "camelot": "8A",
                          "key_confidence": 0.6}}
    monkeypatch.setattr(audio.worker, "ask_worker", lambda *args, **kwargs: reply)
    store, shown = upload(settings, "data:audio/wav;base64," + base64.b64encode(b"RIFF").decode(), "pad.wav")
    assert store["query"]["bpm"] is None
    assert store["message"].startswith("pad.wav: no clear beat, A minor (8A).") and "143" not in str(shown)
    assert "no clear beat · A minor / 8A · from sound" in str(query_card(store))
    candidates = [{"track_id": t, "artist": "A", "title": "T", "sound_score": 0.9, "bpm": bpm}
                  for t, bpm in ((1, 100.0), (2, 143.0), (3, 174.0))]
    assert len(rank(candidates, store["query"], Controls(bpm_percent=4.0, allow_half_double=False))) == 3

    reply["analysis"]["tempo_confidence"] = 0.4  # a clear beat: shown, and the filter keeps only ~143 BPM
    store, _ = upload(settings, "data:audio/wav;base64," + base64.b64encode(b"RIFF").decode(), "loop.wav")
    assert store["message"].startswith("loop.wav: 143 BPM, A minor (8A).")
    assert [r["track_id"] for r in rank(candidates, store["query"], Controls(bpm_percent=4.0))] == [2]


def test_an_upload_with_no_sound_model_says_its_tempo_and_key_and_why_no_tracks(settings, conn, monkeypatch):
    import base64

    import audio.worker
    from ui.callbacks import upload

    reply = {"ids": [], "scores": [], "spectrogram": [], "note": "There is no sound model to compare with yet: run …",
             "analysis": {"tempo": 124.0, "tempo_confidence": 0.5, "key": "A minor", "camelot": "8A",
                          "key_confidence": 0.6}}
    monkeypatch.setattr(audio.worker, "ask_worker", lambda *args, **kwargs: reply)
    store, shown = upload(settings, "data:audio/wav;base64," + base64.b64encode(b"RIFF").decode(), "opener.wav")
    assert store["message"] == "opener.wav: 124 BPM, A minor (8A). There is no sound model to compare with yet: run …"
    assert store["level"] == "warning" and store["candidates"] == []


def test_an_uploads_neighbours_leave_out_the_destination_playlist(settings, conn, monkeypatch):
    import base64

    import audio.worker
    from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
    from ui.callbacks import upload
    from ui.sound import UPLOAD_NEIGHBOURS

    save_set(conn, SetRecord("t", "s1", "Set", plays=[PlayRecord(i, TrackRecord("A", f"T{i}")) for i in (1, 2, 3)]))
    conn.commit()
    ids = [r["id"] for r in conn.execute("SELECT id FROM tracks ORDER BY id")]
    asked = {}

    def worker(*args, k, **kwargs):
        asked["k"] = k
        return {"ids": ids, "scores": [0.9, 0.8, 0.7], "spectrogram": [],
                "analysis": {"tempo": 124.0, "tempo_confidence": 0.5, "key": "A minor", "camelot": "8A",
                             "key_confidence": 0.6}}

    monkeypatch.setattr(audio.worker, "ask_worker", worker)
    store, _ = upload(settings, "data:audio/wav;base64," + base64.b64encode(b"RIFF").decode(), "opener.wav",
                      destination={"link": "x", "track_ids": [ids[1]]})
    assert [c["track_id"] for c in store["candidates"]] == [ids[0], ids[2]]
    assert asked["k"] == UPLOAD_NEIGHBOURS + 1  # one more asked for, so as many are left


def test_a_big_crate_names_its_commonest_keys_and_counts_the_rest():
    """QA: a paste of 100 tracks listed all 23 of its keys in the query card."""
    from ui.callbacks import KEYS_SHOWN, seeds_summary

    seeds = [{"bpm": 120 + i % 10, "camelot": f"{1 + i % 12}{'AB'[i % 2]}"} for i in range(100)] + [{"camelot": "8A"}] * 20
    bpm, keys = seeds_summary(seeds)
    assert bpm == "120–129 BPM" and keys.startswith("8A, ") and keys.endswith(f"and {13 - KEYS_SHOWN} more keys")
    assert seeds_summary([{"bpm": 124, "camelot": "8A"}, {"bpm": 124, "camelot": "9A"}]) == ["124 BPM", "8A, 9A"]


def test_a_catalog_track_analysed_with_no_clear_beat_says_so(conn):
    """Its tempo is empty both when it was never analysed and when the analysis found no beat; the key tells them apart."""
    from catalog.store import TrackRecord, update_track_audio, upsert_track
    from ui.callbacks import tempo_and_key
    from ui.service import track_card

    pad, new = upsert_track(conn, TrackRecord("A", "Pad")), upsert_track(conn, TrackRecord("A", "Unheard"))
    update_track_audio(conn, pad, musical_key="A minor", camelot="8A", forget_tempo=True)
    rows = {r["id"]: r for r in conn.execute("SELECT * FROM tracks")}
    assert tempo_and_key(track_card(rows[pad], [])) == ["no clear beat", "A minor / 8A"]
    assert tempo_and_key(track_card(rows[new], [])) == []
