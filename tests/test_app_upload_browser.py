"""Cold start in the dashboard: a dropped audio file → background job with progress → sound neighbours."""

from __future__ import annotations

import re

import numpy as np
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser_support import ServedApp, console_errors, screenshot, start_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def sound_world(sound_data_dir):
    app = ServedApp(sound_data_dir)
    yield sound_data_dir, app
    app.stop()


def _techno_clip(path):
    import soundfile

    from audio.synth import synthesize_clip

    y = synthesize_clip("Techno", 132.0, "A minor", seed=4242, seconds=8.0)
    soundfile.write(path, np.asarray(y), 22050, format="WAV")
    return path


# Records whether the progress row was ever shown: with the warm worker an upload can come back in ~0.1 s,
# between two polls of the test, so the row must be watched, not polled.
_WATCH_PROGRESS = """
window.progressShown = false;
new MutationObserver(records => {
  if (records.some(r => r.attributeName === 'hidden' && r.oldValue !== null)) { window.progressShown = true; }
}).observe(document.getElementById('upload-progress-row'), {attributes: true, attributeOldValue: true});
"""


def test_upload_shows_progress_then_sound_neighbours(sound_world, tmp_path):
    folder, app = sound_world
    clip = _techno_clip(tmp_path / "my unreleased tool.wav")
    driver = start_browser()
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(app.url)
        wait.until(EC.presence_of_element_located((By.ID, "upload-audio")))
        wait.until(lambda d: (folder / "cache" / "audio-worker.sock").exists())  # started with `python app.py`
        driver.execute_script(_WATCH_PROGRESS)
        driver.find_element(By.CSS_SELECTOR, "#upload-audio input[type='file']").send_keys(str(clip))
        wait.until(lambda d: "my unreleased tool.wav" in d.find_element(By.ID, "query-card").text)
        assert driver.execute_script("return window.progressShown")  # the job showed its progress while it ran
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results-table td[data-dash-column='artist']")) >= 5)
        card = driver.find_element(By.ID, "query-card").text
        assert "from sound" in card
        bpm = float(re.search(r"(\d+) BPM", card).group(1))
        assert abs(bpm - 132) <= 132 * 0.02  # the clip was rendered at 132 BPM
        scores = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#results-table td[data-dash-column='evidence']")]
        assert all("sounds alike" in text for text in scores[:3])
        screenshot(driver, "dashboard-upload")
        assert console_errors(driver) == []
        assert "Traceback" not in app.log_path.read_text()  # the job's process says nothing to the server's log
    finally:
        driver.quit()


def _upload_on_a_fresh_page(driver, app, path) -> WebDriverWait:
    """Open the dashboard, choose `path` in the upload zone; a 120-s wait for what follows."""
    wait = WebDriverWait(driver, 120)
    driver.get(app.url)
    wait.until(EC.presence_of_element_located((By.ID, "upload-audio")))
    driver.find_element(By.CSS_SELECTOR, "#upload-audio input[type='file']").send_keys(str(path))
    return wait


def test_a_non_audio_upload_gets_a_readable_alert(sound_world, tmp_path):
    folder, app = sound_world
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("this is not audio at all")
    driver = start_browser()
    try:
        wait = _upload_on_a_fresh_page(driver, app, bogus)
        alert = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-alert .alert")))
        assert "notes.mp3" in alert.text or "audio" in alert.text.lower()
        assert "Traceback" not in driver.page_source
        assert console_errors(driver) == []
    finally:
        driver.quit()


def test_regression_an_audio_file_without_an_extension_is_analysed(sound_world, tmp_path):
    """QA bug: a real OGG renamed `vibe_noext` was refused silently by the zone's `accept` filter. A file the
    browser cannot type goes to the server, which reads audio by its content."""
    import soundfile

    folder, app = sound_world
    clip = _techno_clip(tmp_path / "clip.wav")
    y, sr = soundfile.read(clip)
    untyped = tmp_path / "vibe_noext"
    soundfile.write(untyped, y, sr, format="OGG")
    driver = start_browser()
    try:
        wait = _upload_on_a_fresh_page(driver, app, untyped)
        wait.until(lambda d: "vibe_noext" in d.find_element(By.ID, "query-card").text)
        assert "from sound" in driver.find_element(By.ID, "query-card").text
        assert console_errors(driver) == []
    finally:
        driver.quit()


def test_regression_the_same_file_can_be_dropped_again(sound_world, tmp_path):
    """QA bug: dropping the file dropped before did nothing (the upload's contents had not changed)."""
    import sqlite3

    folder, app = sound_world
    clip = _techno_clip(tmp_path / "again.wav")
    spotify_id = sqlite3.connect(folder / "catalog.sqlite").execute(
        "SELECT t.spotify_id FROM tracks t JOIN plays p ON p.track_id = t.id GROUP BY t.id "
        "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    driver = start_browser()
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(app.url)
        wait.until(lambda d: (folder / "cache" / "audio-worker.sock").exists())
        for attempt in range(2):
            field = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-audio input[type='file']")))
            driver.execute_script("arguments[0].value = ''", field)  # as the zone's file dialog does on a click
            field.send_keys(str(clip))
            wait.until(lambda d: "again.wav" in d.find_element(By.ID, "query-card").text)
            if attempt == 0:  # another query in between, as a DJ would
                box = driver.find_element(By.ID, "search-input")
                box.send_keys(spotify_id, "\n")
                wait.until(lambda d: "again.wav" not in d.find_element(By.ID, "query-card").text)
        assert console_errors(driver) == []
    finally:
        driver.quit()


def test_regression_several_dropped_files_analyse_the_first_audio_one_and_say_so(sound_world, tmp_path):
    """QA bug: of several files dropped at once the zone uploaded the first and said nothing of the others.
    Now it analyses the first audio file among them and says, once the results are in, which were not sent."""
    import shutil

    from tests.browser_support import drop_files

    folder, app = sound_world
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(b"\xff\xd8\xff\xe0 not much of a picture")
    first = _techno_clip(tmp_path / "first cut.wav")
    second = shutil.copy(first, tmp_path / "second cut.wav")
    crate = tmp_path / "crate"
    crate.mkdir()
    driver = start_browser()
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(app.url)
        zone = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-audio > div")))
        wait.until(lambda d: (folder / "cache" / "audio-worker.sock").exists())
        drop_files(driver, zone, [cover, first, second, crate])
        sentence = "Drop one file at a time: only first cut.wav is analysed; cover.jpg and 2 others were not uploaded."
        wait.until(lambda d: "first cut.wav" in d.find_element(By.ID, "query-card").text)
        alert = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-alert .alert")))
        wait.until(lambda d: "BPM" in d.find_element(By.ID, "search-alert").text)
        assert alert.text.startswith("first cut.wav: ") and alert.text.endswith(sentence)
        assert "second cut.wav" not in driver.find_element(By.ID, "query-card").text

        drop_files(driver, zone, [second])  # one file again: no sentence about others
        wait.until(lambda d: "second cut.wav" in d.find_element(By.ID, "query-card").text)
        wait.until(lambda d: d.find_element(By.ID, "search-alert").text.startswith("second cut.wav: "))
        assert "Drop one file" not in driver.find_element(By.ID, "search-alert").text
        assert console_errors(driver) == []
    finally:
        driver.quit()


def test_regression_a_dropped_folder_is_named_as_a_folder(sound_world, tmp_path):
    """QA bug: a folder dropped on the zone was ignored without a word (the zone cannot read a folder)."""
    from tests.browser_support import drop_files

    folder, app = sound_world
    crate = tmp_path / "Friday crate"
    crate.mkdir()
    _techno_clip(crate / "inside.wav")
    notes = tmp_path / "notes.txt"
    notes.write_text("tracklist ideas")
    driver = start_browser()
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(app.url)
        zone = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-audio > div")))
        driver.execute_script(_WATCH_PROGRESS)
        drop_files(driver, zone, [crate])
        alert = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-alert .alert")))
        assert alert.text == "Friday crate is a folder: drop one audio file from it."
        assert "upload-zone-active" not in zone.get_attribute("class")  # the zone's drag state ended too
        drop_files(driver, zone, [crate, notes])
        wait.until(lambda d: d.find_element(By.ID, "search-alert").text.startswith("None of the 2 items dropped"))
        assert "drop one audio file" in driver.find_element(By.ID, "search-alert").text
        drop_files(driver, zone, [notes])  # one file the zone refuses: the sentence it always had
        wait.until(lambda d: d.find_element(By.ID, "search-alert").text.startswith(
            "notes.txt is not an audio file Cratedigger reads (mp3, wav"))
        odd = tmp_path / "set $& list.txt"  # review: the name was the replacement pattern, "$&" became "{name}"
        odd.write_text("x")
        drop_files(driver, zone, [odd])
        wait.until(lambda d: d.find_element(By.ID, "search-alert").text.startswith("set $& list.txt is not an audio"))
        assert not driver.execute_script("return window.progressShown")  # nothing was uploaded
        assert "inside.wav" not in driver.find_element(By.ID, "query-card").text
        assert console_errors(driver) == []
    finally:
        driver.quit()
