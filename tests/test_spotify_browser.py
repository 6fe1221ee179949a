"""A real browser (headless Chromium) through the Spotify login and export against the fake.

Drives only the Spotify routes on a small Flask app (the dashboard is tested after integration):
home page → "Log in with Spotify" → the fake's consent page → "Agree" → callback → "Export" →
playlist link; then checks the playlist holds exactly the selected tracks, in order, and that no
log line of any library (werkzeug's request log included) carries a token, code or secret.
"""

from __future__ import annotations

import html
import logging
import threading
from dataclasses import replace

import pytest

from config import load_settings
from spotify.export import export_to_spotify
from spotify.oauth import current_user_client, register_spotify_routes
from tests.browser_support import start_browser
from tests.fakes.spotify_catalogue import Entry, fake_id, track_object
from tests.fakes.spotify_server import FakeSpotify

pytestmark = pytest.mark.browser
ENTRIES = [Entry(fake_id(f"b{i}"), (f"Artist {i}",), f"Title {i}") for i in range(240)]
SELECTED = [e.spotify_id for e in ENTRIES[::-1][:215]]  # reversed order, > 2 chunks


@pytest.fixture
def served(tmp_path):
    from flask import Flask, request
    from werkzeug.serving import make_server

    app = Flask("browser-test")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    with FakeSpotify([track_object(e) for e in ENTRIES], consent="page") as fake:
        base = load_settings(environ={"CRATEDIGGER_DATA_DIR": str(tmp_path), "CRATEDIGGER_PORT": str(port)},
                             dotenv_path=tmp_path / "none.env")
        settings = replace(base, spotify_client_id=fake.client_id, spotify_client_secret=fake.client_secret,
                           spotify_api_url=fake.api_url, spotify_accounts_url=fake.accounts_url)
        register_spotify_routes(app, settings)

        @app.route("/")
        def home():
            logged_in = current_user_client(settings) is not None
            button = ('<form method="post" action="/export"><button id="export-button">Export</button></form>'
                      if logged_in else '<a id="login-link" href="/spotify/login?next=/">Log in with Spotify</a>')
            return f"<!doctype html><html><body><h1>Cratedigger</h1>{button}</body></html>"

        @app.route("/export", methods=["POST"])
        def export():
            assert request.method == "POST"
            url = export_to_spotify(current_user_client(settings), "Browser export", False, SELECTED)
            return f'<!doctype html><html><body><a id="playlist-link" href="{html.escape(url)}">{html.escape(url)}</a></body></html>'

        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield fake, f"http://127.0.0.1:{port}", settings
        finally:
            server.shutdown()


@pytest.fixture
def browser():
    driver = start_browser()
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_login_and_export_in_a_real_browser(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    fake, base_url, settings = served
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        wait = WebDriverWait(browser, 20)
        browser.get(base_url + "/")
        wait.until(ec.element_to_be_clickable((By.ID, "login-link"))).click()
        wait.until(ec.element_to_be_clickable((By.ID, "auth-accept"))).click()  # the fake's consent page
        wait.until(ec.element_to_be_clickable((By.ID, "export-button"))).click()
        link = wait.until(ec.presence_of_element_located((By.ID, "playlist-link")))
        url = link.get_attribute("href")
    finally:
        root.removeHandler(keep)
        root.setLevel(old_level)
    (playlist,) = fake.playlists.values()
    assert url == f"https://open.spotify.com/playlist/{playlist.id}"
    assert playlist.uris == [f"spotify:track:{i}" for i in SELECTED]
    text = "\n".join(keep.format(r) for r in records)
    assert "/spotify/callback" in text  # werkzeug did log the callback request…
    for secret in fake.issued_secrets:  # …but without the code, and no token anywhere
        assert secret not in text
    files = list((settings.data_dir / "tokens").glob("session-*.json"))
    assert len(files) == 1 and (files[0].stat().st_mode & 0o777) == 0o600
