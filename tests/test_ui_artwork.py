import json

from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
from ui.artwork import artwork_url, smallest_fitting_image
from ui.callbacks import query_card

TRACK = {"id": "4uLU6hMCjMI75M1A2tKUQC", "album": {"images": [
    {"url": "https://i.scdn.co/image/640", "width": 640}, {"url": "https://i.scdn.co/image/300", "width": 300},
    {"url": "https://i.scdn.co/image/64", "width": 64}]}}


def test_the_smallest_image_that_fits_is_chosen():
    assert smallest_fitting_image(TRACK) == "https://i.scdn.co/image/300"
    assert smallest_fitting_image(TRACK, at_least=1000) == "https://i.scdn.co/image/640"
    assert smallest_fitting_image({"album": {}}) is None


def test_artwork_comes_from_the_lookup_cache_and_never_offline(conn, settings):
    save_set(conn, SetRecord("t", "s", "Set", plays=[PlayRecord(1, TrackRecord("A", "T", spotify_id=TRACK["id"]))]))
    conn.execute("INSERT INTO spotify_lookups (spotify_id, body) VALUES (?, ?)", (TRACK["id"], json.dumps(TRACK)))
    assert artwork_url(settings, TRACK["id"], online=True) == "https://i.scdn.co/image/300"
    assert artwork_url(settings, TRACK["id"], online=False) is None
    assert artwork_url(settings, "Z" * 22, online=True) is None  # not cached, no credentials: no network


def test_the_query_card_shows_artwork_only_online():
    store = {"query": {"title": "T", "artist": "A", "spotify_id": TRACK["id"], "is_demo": False,
                       "artwork": "https://i.scdn.co/image/300"}}
    assert "i.scdn.co/image/300" in str(query_card(store, player=True))
    assert "i.scdn.co/image/300" not in str(query_card(store, player=False))
