"""The dashboard's Spotify export in a real browser, against the loopback Spotify stand-in."""

from __future__ import annotations

import random

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser_support import ServedApp, console_errors, screenshot, start_browser
from tests.conftest import build_data
from tests.fakes.spotify_server import FakeSpotify

pytestmark = pytest.mark.browser
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _spotify_track(track_id: str, artist: str, title: str) -> dict:
    return {"id": track_id, "name": title, "uri": f"spotify:track:{track_id}", "type": "track",
            "artists": [{"id": track_id[::-1], "name": artist}], "duration_ms": 300000, "popularity": 50,
            "external_ids": {"isrc": "GBAAA0000001"}, "album": {"name": title, "images": []},
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"}, "preview_url": None}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A real (non-demo) catalog of 12 tracks in 80 sets, each track on Spotify, and the fake service."""
    rng = random.Random(3)
    tracks = [("".join(rng.choice(B62) for _ in range(22)), f"Artist {i}", f"Tune {i}") for i in range(12)]
    folder = tmp_path_factory.mktemp("spotify-data")
    lines = ["set_id,position,artist,title,spotify_id"]
    for s in range(80):
        for p, (sid, artist, title) in enumerate(rng.sample(tracks, 6)):
            lines.append(f"s{s},{p + 1},{artist},{title},{sid}")
    csv_path = folder / "sets.csv"
    csv_path.write_text("\n".join(lines) + "\n")
    build_data(folder, ["import-tracklists", str(csv_path)], ["train-als", "--publish", "--factors", "8", "--iterations", "5"])
    fake = FakeSpotify([_spotify_track(*t) for t in tracks], consent="page").start()
    app = ServedApp(folder, {
        "SPOTIPY_CLIENT_ID": fake.client_id, "SPOTIPY_CLIENT_SECRET": fake.client_secret,
        "CRATEDIGGER_SPOTIFY_API_URL": fake.api_url, "CRATEDIGGER_SPOTIFY_ACCOUNTS_URL": fake.accounts_url,
    })
    yield app, fake, tracks
    app.stop()
    fake.stop()


def _titles(driver) -> set[str]:
    """The results table's titles, read in one script (a redraw between reading rows and their text cannot make
    them stale, as it did in a CI run)."""
    return set(driver.execute_script(
        "return [...document.querySelectorAll(\"td[data-dash-column='title_version']\")].map(e => e.textContent)"))


def test_login_consent_and_playlist_with_exactly_the_picks(world):
    app, fake, tracks = world
    driver = start_browser()
    try:
        wait = WebDriverWait(driver, 30)
        driver.get(app.url)
        box = wait.until(EC.presence_of_element_located((By.ID, "search-input")))
        box.send_keys(f"spotify:track:{tracks[0][0]}", Keys.ENTER)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")) >= 5)
        picked = []
        for row in driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")[1:4]:
            row.find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()
            picked.append(row.find_element(By.CSS_SELECTOR, "td[data-dash-column='title_version']").text)
        wait.until(lambda d: "3 picked" in d.find_element(By.ID, "picks-list").text)
        driver.find_element(By.ID, "export-spotify-login").click()
        wait.until(EC.element_to_be_clickable((By.ID, "auth-accept"))).click()  # the consent page
        wait.until(EC.presence_of_element_located((By.ID, "export-spotify")))
        assert "Logged in to Spotify" in driver.find_element(By.CSS_SELECTOR, ".picks").text
        wait.until(lambda d: "3 picked" in d.find_element(By.ID, "picks-list").text)  # picks survived
        name = driver.find_element(By.ID, "export-name")
        name.send_keys(Keys.CONTROL, "a")  # clear() does not reach React's state
        name.send_keys("Late night digging")
        driver.find_element(By.ID, "export-spotify").click()
        link = wait.until(EC.presence_of_element_located((By.ID, "export-playlist-link")))
        assert link.get_attribute("href").startswith("https://open.spotify.com/playlist/")
        screenshot(driver, "dashboard-spotify-export")
        assert len(fake.playlists) == 1
        playlist = next(iter(fake.playlists.values()))
        by_title = {title: sid for sid, _, title in tracks}
        assert playlist.name == "Late night digging"
        assert playlist.uris == [f"spotify:track:{by_title[t]}" for t in picked]

        # Issue 5: that playlist as the destination: its tracks leave the results, the button adds what it lacks.
        assert set(picked) <= _titles(driver)
        driver.find_element(By.ID, "export-destination").send_keys(link.get_attribute("href"), Keys.ENTER)
        wait.until(lambda d: "Add to the playlist" in d.find_element(By.ID, "export-spotify").text)
        assert "That playlist holds 3 tracks (3 in the catalog" in driver.find_element(By.ID, "export-status").text
        assert not driver.find_element(By.ID, "export-public").is_displayed()  # QA: meaningless beside "Add to"
        wait.until(lambda d: not set(picked) & _titles(d))
        row = driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")[1]
        new = row.find_element(By.CSS_SELECTOR, "td[data-dash-column='title_version']").text  # before the tick redraws
        row.find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()
        wait.until(lambda d: "4 picked" in d.find_element(By.ID, "picks-list").text)
        driver.find_element(By.ID, "export-spotify").click()
        wait.until(lambda d: "Added 1 track to the playlist; 3 were already in it"
                   in d.find_element(By.ID, "export-status").text)
        assert len(fake.playlists) == 1
        assert playlist.uris == [f"spotify:track:{by_title[t]}" for t in [*picked, new]]
        wait.until(lambda d: new not in _titles(d))  # now in the playlist: out of the results
        destination = driver.find_element(By.ID, "export-destination")
        destination.send_keys(Keys.CONTROL, "a")
        destination.send_keys(Keys.DELETE, Keys.ENTER)
        wait.until(lambda d: "Create Spotify playlist" in d.find_element(By.ID, "export-spotify").text)
        assert "the Spotify button creates a new one" in driver.find_element(By.ID, "export-status").text
        assert driver.find_element(By.ID, "export-public").is_displayed()
        wait.until(lambda d: set(picked) <= _titles(d))
        assert console_errors(driver) == []
    finally:
        driver.quit()
