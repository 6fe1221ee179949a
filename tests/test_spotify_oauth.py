"""The whole OAuth dance + export through the Flask routes against the fake Spotify."""

from __future__ import annotations

import logging
import stat
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from flask import Flask

from catalog.db import connect
from catalog.store import TrackRecord, upsert_track
from config import load_settings
from errors import BadInputError, ExternalServiceError
from spotify.export import PartialExportError, export_to_spotify
from spotify.oauth import SCOPES, current_user_client, register_spotify_routes, session_cache
from tests.fakes.spotify_catalogue import Entry, fake_id, track_object
from tests.fakes.spotify_server import FakeSpotify

ENTRIES = [Entry(fake_id(f"t{i}"), (f"Artist {i}",), f"Title {i}") for i in range(230)]


@pytest.fixture
def fake():
    with FakeSpotify([track_object(e) for e in ENTRIES]) as server:
        yield server


@pytest.fixture
def settings(tmp_path, fake):
    base = load_settings(environ={"CRATEDIGGER_DATA_DIR": str(tmp_path), "CRATEDIGGER_PORT": "8123"},
                         dotenv_path=tmp_path / "none.env")
    return replace(base, spotify_client_id=fake.client_id, spotify_client_secret=fake.client_secret,
                   spotify_api_url=fake.api_url, spotify_accounts_url=fake.accounts_url)


@pytest.fixture
def app(settings):
    flask_app = Flask("test")
    flask_app.secret_key = "test-secret-key-for-cookies"
    register_spotify_routes(flask_app, settings)

    @flask_app.route("/export", methods=["POST"])
    def export():  # what the dashboard callback will do
        from flask import request

        client = current_user_client(settings)
        if client is None:
            return "not logged in", 401
        ids = request.get_json()["ids"]
        return {"url": export_to_spotify(client, "Cratedigger test", False, ids)}

    return flask_app


def login(app, fake, client):
    """Follow the dance: /spotify/login -> fake authorize -> /spotify/callback; returns the callback response."""
    first = client.get("/spotify/login?next=/after")
    assert first.status_code == 302
    authorize = first.headers["Location"]
    query = parse_qs(urlparse(authorize).query)
    assert query["scope"] == [SCOPES] and query["redirect_uri"] == ["http://127.0.0.1:8123/spotify/callback"]
    assert len(query["state"][0]) >= 20
    answer = requests.get(authorize, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlparse(answer.headers["Location"])
    assert back.path == "/spotify/callback"
    return client.get(f"{back.path}?{back.query}")


def test_full_oauth_export_in_order_and_no_secret_in_logs(app, fake, settings, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    ids = [e.spotify_id for e in ENTRIES[:205]]
    ids[3] = ids[150]  # a duplicate is kept where the DJ put it
    with app.test_client() as browser:
        assert browser.get("/spotify/status").get_json()["logged_in"] is False
        done = login(app, fake, browser)
        assert done.status_code == 302 and done.headers["Location"].endswith("/after")
        assert browser.get("/spotify/status").get_json()["logged_in"] is True
        fake.expire_tokens()  # the export must refresh the token once on its own
        answer = browser.post("/export", json={"ids": ids})
        assert answer.status_code == 200, answer.data
    url = answer.get_json()["url"]
    (playlist,) = fake.playlists.values()
    assert url == f"https://open.spotify.com/playlist/{playlist.id}"
    assert playlist.uris == [f"spotify:track:{i}" for i in ids]
    assert playlist.public is False and playlist.name == "Cratedigger test"
    item_posts = [r for r in fake.requests if r[1].endswith("/items")]
    assert len(item_posts) == 3  # 100 + 100 + 5
    assert ("POST", "/v1/me/playlists") in fake.requests
    assert not any(r[1].startswith("/v1/users/") or r[1].endswith("/tracks") for r in fake.requests)
    # the token cache is this browser's own file, readable only by us
    files = list((settings.data_dir / "tokens").glob("session-*.json"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((settings.data_dir / "tokens").stat().st_mode) == 0o700
    text = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert len(fake.issued_secrets) >= 4  # secret, code, access and refresh tokens, refreshed token
    for secret in fake.issued_secrets:
        assert secret not in text
    assert "spotify_oauth_state" not in text


def test_two_browsers_get_two_token_files(app, fake, settings):
    with app.test_client() as one, app.test_client() as two:
        login(app, fake, one)
        assert two.get("/spotify/status").get_json()["logged_in"] is False
        login(app, fake, two)
    assert len(list((settings.data_dir / "tokens").glob("session-*.json"))) == 2


def test_wrong_state_is_refused(app, fake, settings):
    with app.test_client() as browser:
        first = browser.get("/spotify/login")
        authorize = first.headers["Location"].replace("state=", "state=x")
        back = urlparse(requests.get(authorize, allow_redirects=False, timeout=5).headers["Location"])
        answer = browser.get(f"{back.path}?{back.query}")
        assert answer.status_code == 400 and b"state parameter did not match" in answer.data
        assert browser.get("/spotify/status").get_json()["logged_in"] is False
    assert not any(r[1] == "/accounts/api/token" for r in fake.requests)  # the code was never exchanged


def test_callback_without_login_is_refused(app):
    with app.test_client() as browser:
        assert browser.get("/spotify/callback?code=abc&state=def").status_code == 400


def test_denied_consent_changes_nothing(app):
    with app.test_client() as browser:
        first = browser.get("/spotify/login")
        state = parse_qs(urlparse(first.headers["Location"]).query)["state"][0]
        answer = browser.get(f"/spotify/callback?error=access_denied&state={state}")
        assert answer.status_code == 400 and b"access_denied" in answer.data


def test_open_redirect_is_not_possible(app, fake):
    with app.test_client() as browser:
        browser.get("/spotify/login?next=https://evil.example/")
        with browser.session_transaction() as session:
            assert session["spotify_next"] == "/"


def test_partial_failure_is_reported_with_the_link(app, fake, settings):
    with app.test_client() as browser:
        login(app, fake, browser)
        with browser.session_transaction() as session:
            session_id = session["spotify_session"]
    from spotify.oauth import user_client

    client = user_client(settings, session_cache(settings, session_id), sleep=lambda s: None)
    fake.fail_next("POST /v1/playlists/.*/items", 200, None)  # first chunk fine (canned 200)
    fake.premium_required("POST /v1/playlists/.*/items")
    ids = [e.spotify_id for e in ENTRIES[:150]]
    with pytest.raises(PartialExportError) as info:
        export_to_spotify(client, "Half", True, ids)
    assert info.value.added == 100 and len(info.value.missing) == 50
    assert "open.spotify.com/playlist/" in str(info.value) and "Premium" in str(info.value)


def test_demo_tracks_are_never_sent(app, fake, settings):
    conn = connect(settings.catalog_path)
    upsert_track(conn, TrackRecord("Demo Artist", "Demo Title", spotify_id=ENTRIES[0].spotify_id, is_demo=True))
    with app.test_client() as browser:
        login(app, fake, browser)
        with browser.session_transaction() as session:
            session_id = session["spotify_session"]
    from spotify.oauth import user_client

    client = user_client(settings, session_cache(settings, session_id))
    with pytest.raises(BadInputError, match="demo track"):
        export_to_spotify(client, "Demo", False, [ENTRIES[0].spotify_id, ENTRIES[1].spotify_id], conn=conn)
    assert not fake.playlists and ("POST", "/v1/me/playlists") not in fake.requests


def test_missing_credentials_page(tmp_path):
    settings = load_settings(environ={"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "none.env")
    flask_app = Flask("bare")
    register_spotify_routes(flask_app, settings)
    with flask_app.test_client() as browser:
        answer = browser.get("/spotify/login")
        assert answer.status_code == 503 and b"SPOTIPY_CLIENT_ID" in answer.data


def test_revoked_refresh_token_asks_to_log_in_again(app, fake, settings):
    from spotify.oauth import user_client

    with app.test_client() as browser:
        login(app, fake, browser)
        with browser.session_transaction() as session:
            session_id = session["spotify_session"]
    client = user_client(settings, session_cache(settings, session_id))
    fake.refresh_tokens.clear()  # the user revoked the app
    fake.expire_tokens()
    with pytest.raises(ExternalServiceError, match="log in again"):
        client.me()


def test_session_secret_is_shared_and_private(settings):
    from spotify.oauth import session_secret

    first, second = Flask("a"), Flask("b")
    register_spotify_routes(first, settings)
    register_spotify_routes(second, settings)
    assert first.secret_key == second.secret_key == session_secret(settings)
    assert stat.S_IMODE((settings.data_dir / "tokens" / "session-secret").stat().st_mode) == 0o600


def test_old_session_tokens_are_pruned(settings):
    import os

    from spotify.oauth import prune_session_tokens

    old = session_cache(settings, "old-browser")
    old.save_token_to_cache({"access_token": "x"})
    os.utime(old.path, (0, 0))
    session_cache(settings, "new-browser").save_token_to_cache({"access_token": "y"})
    assert prune_session_tokens(settings) == 1
    assert not old.path.exists() and session_cache(settings, "new-browser").path.exists()


def test_unregistered_redirect_uri_is_refused_by_the_fake(settings):
    import requests as http

    with FakeSpotify([], redirect_uris=["http://127.0.0.1:9999/spotify/callback"]) as strict:
        flask_app = Flask("strict")
        register_spotify_routes(flask_app, replace(settings, spotify_accounts_url=strict.accounts_url))
        with flask_app.test_client() as browser:
            authorize = browser.get("/spotify/login").headers["Location"]
        answer = http.get(authorize, allow_redirects=False, timeout=5)
        assert answer.status_code == 400 and b"Invalid redirect URI" in answer.content
