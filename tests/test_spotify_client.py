"""The Spotify client against the loopback fake: lookups, cache, and every error path."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from catalog.db import connect
from config import load_settings
from errors import BadInputError, ConfigError, ExternalServiceError, NotFoundError
from spotify.client import SpotifyClient, build_spotipy, client_credentials_manager, parse_retry_after
from tests.fakes.spotify_catalogue import Entry, track_object
from tests.fakes.spotify_server import FakeSpotify

TRACK = Entry("1AI5EqOqDVmOKAn13cGx92", ("Tropkillaz",), "Que Passa Amigo")
OTHER = Entry("37NR1khxrlGjZf5Xug0V72", ("Cajmere",), "Baby Talk")


@pytest.fixture
def fake():
    with FakeSpotify([track_object(TRACK), track_object(OTHER)]) as server:
        yield server


@pytest.fixture
def settings(tmp_path, fake):
    base = load_settings(environ={"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "none.env")
    return replace(
        base,
        spotify_client_id=fake.client_id,
        spotify_client_secret=fake.client_secret,
        spotify_api_url=fake.api_url,
        spotify_accounts_url=fake.accounts_url,
    )


@pytest.fixture
def client(settings):
    sleeps: list[float] = []
    c = SpotifyClient.from_settings(settings, conn=connect(settings.catalog_path), sleep=sleeps.append)
    c.sleeps = sleeps
    return c


def test_settings_urls_come_from_environment(tmp_path):
    s = load_settings(
        environ={"CRATEDIGGER_SPOTIFY_API_URL": "http://127.0.0.1:9/v1/", "CRATEDIGGER_SPOTIFY_ACCOUNTS_URL": "http://127.0.0.1:9/a/"},
        dotenv_path=tmp_path / "none.env",
    )
    manager = client_credentials_manager(replace(s, spotify_client_id="x", spotify_client_secret="y"))
    sp = build_spotipy(s, manager)
    assert sp.prefix == "http://127.0.0.1:9/v1/"
    assert manager.OAUTH_TOKEN_URL == "http://127.0.0.1:9/a/api/token"


def test_missing_credentials_is_a_config_error(tmp_path):
    s = load_settings(environ={}, dotenv_path=tmp_path / "none.env")
    with pytest.raises(ConfigError, match="SPOTIPY_CLIENT_ID"):
        SpotifyClient.from_settings(s)


def test_track_lookup_one_by_one_and_cached(client, fake):
    body = client.track("https://open.spotify.com/track/1AI5EqOqDVmOKAn13cGx92?si=x")
    assert body["name"] == "Que Passa Amigo" and body["external_ids"]["isrc"].startswith("ZZ")
    again = client.track("spotify:track:1AI5EqOqDVmOKAn13cGx92")
    assert again == body
    api = [r for r in fake.requests if r[1].startswith("/v1/")]
    assert api == [("GET", "/v1/tracks/1AI5EqOqDVmOKAn13cGx92")]  # second came from the catalog
    row = client.conn.execute("SELECT body FROM spotify_lookups WHERE spotify_id = ?", (TRACK.spotify_id,)).fetchone()
    assert row is not None
    assert [t["id"] for t in client.tracks([OTHER.spotify_id, TRACK.spotify_id])] == [OTHER.spotify_id, TRACK.spotify_id]
    assert ("GET", "/v1/tracks") not in fake.requests


def test_unknown_track_is_not_found(client):
    with pytest.raises(NotFoundError, match="404"):
        client.track("0000000000000000000000")


def test_search_limit_is_capped_at_ten(client, fake):
    assert [t["id"] for t in client.search_tracks('track:"baby talk" artist:"cajmere"')] == [OTHER.spotify_id]
    with pytest.raises(BadInputError, match="limit=11"):
        client.search_tracks("baby", limit=11)
    # and the fake itself refuses what the real API refuses
    with pytest.raises(BadInputError, match="400"):
        client.call("search", client.sp.search, q="baby", limit=20)


def test_removed_endpoints_answer_403(client):
    with pytest.raises(ExternalServiceError) as info:
        client.call("look up several tracks", client.sp.tracks, [TRACK.spotify_id])
    assert info.value.status == 403
    with pytest.raises(ExternalServiceError):
        client.call("read audio features", client.sp._get, "audio-features/" + TRACK.spotify_id)


def test_401_refreshes_token_and_retries_once(client, fake):
    client.track(TRACK.spotify_id, use_cache=False)
    fake.expire_tokens()
    assert client.track(TRACK.spotify_id, use_cache=False)["id"] == TRACK.spotify_id
    tokens = [r for r in fake.requests if r[1] == "/accounts/api/token"]
    assert len(tokens) == 2


def test_401_twice_gives_a_clear_message(client, fake):
    fake.fail_next("GET /v1/tracks", 401, {"error": {"status": 401, "message": "Invalid access token"}}, times=2)
    with pytest.raises(ExternalServiceError, match="Log in to Spotify again") as info:
        client.track(TRACK.spotify_id)
    assert info.value.status == 401


def test_403_plain_text_premium_explains_development_mode(client, fake):
    fake.premium_required("GET /v1/tracks")
    with pytest.raises(ExternalServiceError, match="Development Mode") as info:
        client.track(TRACK.spotify_id)
    assert "Premium" in str(info.value) and "5" in str(info.value)


@pytest.mark.parametrize("header_name", ["retry-after", "Retry-After"])
def test_429_short_wait_is_retried_once(client, fake, header_name):
    fake.rate_limited("GET /v1/tracks", retry_after="2", header_name=header_name)
    assert client.track(TRACK.spotify_id)["id"] == TRACK.spotify_id
    assert client.sleeps == [2.0]


@pytest.mark.parametrize("retry_after", ["0", None])
def test_429_zero_or_missing_retry_after_waits_briefly_then_tells(client, fake, retry_after):
    fake.rate_limited("GET /v1/tracks", retry_after=retry_after, times=2)
    with pytest.raises(ExternalServiceError, match="rate limiting") as info:
        client.track(TRACK.spotify_id)
    assert client.sleeps == [1.0]
    assert info.value.status == 429


def test_429_long_wait_is_never_slept(client, fake):
    fake.rate_limited("GET /v1/tracks", retry_after="3600")
    with pytest.raises(ExternalServiceError, match="Wait 60 minutes") as info:
        client.track(TRACK.spotify_id)
    assert client.sleeps == [] and info.value.retry_after == 3600


def test_429_quota_exceeded_is_not_retried(client, fake):
    fake.rate_limited("GET /v1/search", retry_after="1", quota=True)
    with pytest.raises(ExternalServiceError, match="QUOTA_EXCEEDED"):
        client.search_tracks("baby")
    assert client.sleeps == []


def test_5xx_retried_then_reported(client, fake):
    fake.fail_next("GET /v1/tracks", 503, "", times=1)
    assert client.track(TRACK.spotify_id)["id"] == TRACK.spotify_id
    fake.fail_next("GET /v1/tracks", 502, {"error": {"status": 502, "message": "Bad gateway"}}, times=3)
    with pytest.raises(ExternalServiceError, match="server error") as info:
        client.track(OTHER.spotify_id)
    assert info.value.status == 502


def test_bad_client_secret_is_explained(settings):
    client = SpotifyClient.from_settings(replace(settings, spotify_client_secret="wrong"), sleep=lambda s: None)
    with pytest.raises(ConfigError, match="SPOTIPY_CLIENT_SECRET"):
        client.track(TRACK.spotify_id)


def test_unreachable_service_is_reported(settings):
    dead = replace(settings, spotify_accounts_url="http://127.0.0.1:9/", spotify_api_url="http://127.0.0.1:9/v1/")
    client = SpotifyClient.from_settings(dead, sleep=lambda s: None)
    with pytest.raises(ExternalServiceError, match="could not connect"):
        client.track(TRACK.spotify_id)


def test_logs_carry_no_token(client, fake, caplog):
    caplog.set_level(logging.DEBUG)
    client.track(TRACK.spotify_id, use_cache=False)
    fake.expire_tokens()
    client.track(TRACK.spotify_id, use_cache=False)
    text = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "[redacted]" in caplog.text  # spotipy did log the headers, and they were scrubbed
    for secret in fake.issued_secrets:
        assert secret not in text


def test_parse_retry_after():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "call",
    [
        lambda sp: sp.user_playlist_create("1112264649", "x"),  # POST /users/{id}/playlists
        lambda sp: sp._post("playlists/2dGgoMPWpapXYA6rX7ZbbB/tracks", payload={"uris": []}),
        lambda sp: sp._get("playlists/2dGgoMPWpapXYA6rX7ZbbB/tracks"),
        lambda sp: sp._get("recommendations", seed_tracks=TRACK.spotify_id),
        lambda sp: sp._get("audio-analysis/" + TRACK.spotify_id),
    ],
)
def test_every_removed_endpoint_is_forbidden(client, call):
    with pytest.raises(ExternalServiceError) as info:
        client.call("use a removed endpoint", call, client.sp)
    assert info.value.status == 403


def test_fake_with_real_catalogue_answers_lookups(tmp_path):
    with FakeSpotify.with_real_catalogue() as fake:
        settings = replace(
            load_settings(environ={"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "none.env"),
            spotify_client_id=fake.client_id, spotify_client_secret=fake.client_secret,
            spotify_api_url=fake.api_url, spotify_accounts_url=fake.accounts_url,
        )
        client = SpotifyClient.from_settings(settings)
        some_id = next(iter(fake.tracks))
        assert client.track(some_id)["id"] == some_id
        assert len(fake.tracks) >= 60
