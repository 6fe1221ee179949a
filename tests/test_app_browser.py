"""Real-browser tests of the dashboard: Selenium 4, headless Chromium, the app on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser_support import ServedApp, console_errors, screenshot, start_browser
from tests.conftest import build_data

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    """A small demo crate with a published run, built through the real CLI."""
    return build_data(tmp_path_factory.mktemp("browser-data"), ["demo", "--sets", "500"],
                      ["train-als", "--publish", "--factors", "32", "--iterations", "8"])


@pytest.fixture(scope="module")
def served(demo_data):
    app = ServedApp(demo_data)
    yield app
    app.stop()


DOWNLOADS: list[Path] = []


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    DOWNLOADS[:] = [tmp_path_factory.mktemp("downloads")]
    driver = start_browser(download_dir=DOWNLOADS[0])
    yield driver
    driver.quit()


def _popular_demo_id(folder) -> tuple[str, str]:
    import sqlite3

    conn = sqlite3.connect(folder / "catalog.sqlite")
    row = conn.execute(
        """SELECT t.spotify_id, t.title FROM tracks t JOIN plays p ON p.track_id = t.id
           GROUP BY t.id ORDER BY COUNT(*) DESC LIMIT 1"""
    ).fetchone()
    return row[0], row[1]


def _search(driver, text: str) -> None:
    box = driver.find_element(By.ID, "search-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)  # clear() leaves React's value behind: the next text would be appended
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_pasting_a_demo_id_shows_results_with_evidence(served, browser, demo_data):
    spotify_id, title = _popular_demo_id(demo_data)
    browser.get(served.url)
    wait = WebDriverWait(browser, 30)
    wait.until(EC.presence_of_element_located((By.ID, "search-input")))
    _search(browser, f"https://open.spotify.com/track/{spotify_id}?si=abc")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results-table td[data-dash-column='artist']")) >= 10)
    assert title in browser.find_element(By.ID, "query-card").text
    evidence = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#results-table td[data-dash-column='evidence']")]
    assert any("played together in" in text for text in evidence)
    # the map arrives with the table (one answer): its points are the results plus the query
    wait.until(lambda d: d.execute_script(
        "const g = document.querySelector('#figure-graph .js-plotly-plot');"
        "return g && g.data ? g.data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0) : 0;") >= 10)
    screenshot(browser, "dashboard-results")
    assert console_errors(browser) == []


def test_malformed_input_shows_a_readable_alert(served, browser):
    browser.get(served.url)
    wait = WebDriverWait(browser, 30)
    wait.until(EC.presence_of_element_located((By.ID, "search-input")))
    _search(browser, "https://open.spotify.com/album/4uLU6hMCjMI75M1A2tKUQC")
    alert = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-alert .alert")))
    assert "album, not a track" in alert.text
    assert "Traceback" not in browser.page_source
    screenshot(browser, "dashboard-bad-input")
    assert console_errors(browser) == []


def _wait_rows(driver, at_least: int = 1):
    WebDriverWait(driver, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results-table td[data-dash-column='artist']")) >= at_least)


def test_filter_pick_three_and_download_them_as_csv(served, browser, demo_data, tmp_path_factory):
    import csv

    spotify_id, _ = _popular_demo_id(demo_data)
    _fresh_page(browser, served.url)  # no rows left from the test before: they would count as this search's
    _search(browser, spotify_id)
    _wait_rows(browser, 10)
    # A filter: harmonic mixing only → every key badge is a same-key or neighbour mark.
    browser.find_element(By.CSS_SELECTOR, "#control-flags input[value='harmonic']").click()
    WebDriverWait(browser, 10).until(lambda d: all(
        c.text.endswith(("●", "✓")) for c in d.find_elements(By.CSS_SELECTOR, "#results-table td[data-dash-column='key_badge']")))
    _wait_rows(browser, 3)
    rows = browser.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")[1:]  # first row is the header
    picked = []
    for row in rows[:3]:
        row.find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()
        picked.append(row.find_element(By.CSS_SELECTOR, "td[data-dash-column='title_version']").text)
    WebDriverWait(browser, 10).until(lambda d: "3 picked" in d.find_element(By.ID, "picks-list").text)
    browser.find_element(By.ID, "export-csv").click()
    folder = DOWNLOADS[0]
    deadline = time.monotonic() + 20
    files = []
    while time.monotonic() < deadline:
        files = [f for f in folder.glob("*.csv") if not f.name.endswith(".crdownload")]
        if files:
            break
        time.sleep(0.2)
    assert files, "the CSV download did not arrive"
    with files[0].open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    titles = [(r["title"] + (f" ({r['version']})" if r.get("version") else "")) for r in exported]
    assert titles == picked
    screenshot(browser, "dashboard-picks")
    assert console_errors(browser) == []


def test_thumbs_down_removes_a_track_and_it_stays_gone(served, browser, demo_data):
    """(Flaky before: the last test's rows, restored from the session, were voted on before this search answered,
    and its answer then reset the votes.)"""
    spotify_id, _ = _popular_demo_id(demo_data)
    _fresh_page(browser, served.url)
    _search(browser, spotify_id)
    _wait_rows(browser, 10)

    def first_title(d):
        return d.execute_script(
            "return document.querySelector(\"#results-table td[data-dash-column='title_version']\").textContent")

    dismissed = first_title(browser)
    browser.find_element(By.CSS_SELECTOR, "#results-table td[data-dash-column='dislike'] a").click()
    WebDriverWait(browser, 10).until(lambda d: first_title(d) != dismissed)
    titles = browser.execute_script(
        "return [...document.querySelectorAll(\"#results-table td[data-dash-column='title_version']\")].map(e => e.textContent)")
    assert dismissed not in titles
    # a control change re-ranks without bringing it back
    browser.find_element(By.CSS_SELECTOR, "#control-flags input[value='one_per_artist']").click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return document.querySelectorAll(\"#results-table td[data-dash-column='artist']\").length > 0"))
    titles = browser.execute_script(
        "return [...document.querySelectorAll(\"#results-table td[data-dash-column='title_version']\")].map(e => e.textContent)")
    assert dismissed not in titles
    assert console_errors(browser) == []


def test_regression_a_thumbs_down_track_stays_gone_after_a_reload(served, browser, demo_data):
    """QA bug: the results came back from the session after F5 (or the Spotify login redirect), the 👎 did not, so
    the dismissed track was back at the top of the table."""
    spotify_id, _ = _popular_demo_id(demo_data)
    _fresh_page(browser, served.url)
    _search(browser, spotify_id)
    _wait_rows(browser, 10)
    script = ("return [...document.querySelectorAll(\"#results-table td[data-dash-column='title_version']\")]"
              ".map(e => e.textContent)")
    dismissed = browser.execute_script(script)[0]
    browser.find_element(By.CSS_SELECTOR, "#results-table td[data-dash-column='dislike'] a").click()
    wait = WebDriverWait(browser, 10)
    wait.until(lambda d: d.execute_script(script)[:1] not in ([], [dismissed]))
    shown = browser.execute_script(script)
    browser.refresh()
    _wait_rows(browser, 10)
    wait.until(lambda d: d.execute_script(script) == shown)  # the restored votes re-rank the restored results
    assert browser.execute_script(script) == shown
    assert console_errors(browser) == []


_MARKED = ("const g = document.querySelector('#figure-graph .js-plotly-plot');"
           "if (!g || !g.data) return -1;"
           "return g.data.reduce((n, t) => n + ((t.marker && Array.isArray(t.marker.size))"
           " ? t.marker.size.filter(s => s > 9).length : 0), 0);")


def test_picks_mark_the_map_tabs_redraw_and_hide_picked_hides(served, browser, demo_data):
    """One callback draws table and figure: picks are marked on the map, tabs switch, 'hide picked' hides."""
    spotify_id, _ = _popular_demo_id(demo_data)
    _fresh_page(browser, served.url)  # no picks left from the tests before
    wait = WebDriverWait(browser, 30)
    _search(browser, spotify_id)
    _wait_rows(browser, 10)
    wait.until(lambda d: d.execute_script(_MARKED) == 0)
    rows = browser.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")[1:]
    first = rows[0].find_element(By.CSS_SELECTOR, "td[data-dash-column='title_version']").text
    for row in rows[:2]:
        row.find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()
    _picked(browser, 2)
    wait.until(lambda d: d.execute_script(_MARKED) == 2)  # the two picks drawn larger on the map
    browser.find_element(By.XPATH, "//div[@id='figure-tabs']//*[normalize-space()='Styles']").click()
    wait.until(lambda d: d.execute_script(
        "const g = document.querySelector('#figure-graph .js-plotly-plot');"
        "return g && g.data && g.data.length > 0 && g.data[0].type === 'bar';"))
    browser.find_element(By.XPATH, "//div[@id='figure-tabs']//*[normalize-space()='Neighbourhood']").click()
    wait.until(lambda d: d.execute_script(_MARKED) == 2)
    browser.find_element(By.CSS_SELECTOR, "#control-flags input[value='hide_picked']").click()
    wait.until(lambda d: first not in [c.text for c in d.find_elements(
        By.CSS_SELECTOR, "#results-table td[data-dash-column='title_version']")])
    assert "2 picked" in browser.find_element(By.ID, "picks-list").text  # hidden, still picked
    assert console_errors(browser) == []


_TICKS = ("return [...document.querySelectorAll('#results-table tbody tr')].slice(1).map(tr => ["
          "tr.querySelector(\"input[type='checkbox']\").checked,"
          "tr.querySelector(\"td[data-dash-column='artist']\").textContent + ' | ' +"
          "tr.querySelector(\"td[data-dash-column='title_version']\").textContent]);")
_PICKED = ("return (JSON.parse(window.sessionStorage.getItem('picks-store')) || []).map(p =>"
           " p.artist + ' | ' + p.title + (p.version ? ' (' + p.version + ')' : ''));")


def _ticks_match_picks(driver) -> bool:
    """The invariant: a visible row is ticked exactly when its track is in Picks."""
    picked = set(driver.execute_script(_PICKED))
    return all(checked == (name in picked) for checked, name in driver.execute_script(_TICKS))


def _tick(driver, positions) -> None:
    rows = driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")[1:]
    for position in positions:
        rows[position].find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()


def _popular_id_of_style(folder, style: str) -> str:
    import sqlite3

    conn = sqlite3.connect(folder / "catalog.sqlite")
    return conn.execute(
        """SELECT t.spotify_id FROM tracks t JOIN plays p ON p.track_id = t.id JOIN sets s ON s.id = p.set_id
           WHERE s.styles LIKE ? GROUP BY t.id ORDER BY COUNT(*) DESC LIMIT 1""", (f'%"{style}"%',)).fetchone()[0]


def _fresh_page(driver, url) -> None:
    # cleared from a page of the same origin that runs no Dash: a dashboard still mounting its session stores could
    # write them back after the clear (results and 👎 of the test before restored under this test's search)
    driver.get(f"{url}/_dash-layout")
    driver.execute_script("window.sessionStorage.clear()")
    driver.get(url)
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "search-input")))


def _picked(driver, count: int) -> None:
    WebDriverWait(driver, 30).until(lambda d: f"{count} picked" in d.find_element(By.ID, "picks-list").text)


def _dig_and_tick(driver, url, spotify_id: str, positions: list[int]) -> None:
    """A fresh page (no picks), a search, and the rows at `positions` ticked."""
    _fresh_page(driver, url)
    _search(driver, spotify_id)
    _wait_rows(driver, 10)
    _tick(driver, positions)
    _picked(driver, len(positions))


def test_regression_a_new_search_ticks_only_picked_rows(served, browser, demo_data):
    """QA bug: after a second search the first search's row positions stayed ticked, and one more tick
    added those never-picked tracks to Picks."""
    _dig_and_tick(browser, served.url, _popular_id_of_style(demo_data, "House"), [0, 2, 5])
    wait = WebDriverWait(browser, 30)
    first_rows = browser.execute_script(_TICKS)
    _search(browser, _popular_id_of_style(demo_data, "Techno"))
    wait.until(lambda d: d.execute_script(_TICKS) != first_rows and len(d.execute_script(_TICKS)) >= 10)
    wait.until(_ticks_match_picks)
    unpicked = next(i for i, (checked, _) in enumerate(browser.execute_script(_TICKS)) if not checked)
    _tick(browser, [unpicked])
    _picked(browser, 4)
    wait.until(_ticks_match_picks)
    assert console_errors(browser) == []


def test_regression_picks_survive_a_reload_and_one_more_tick(served, browser, demo_data):
    """QA bug: after F5 (or the Spotify login redirect) no box showed ticked, and the next tick dropped the picks."""
    _dig_and_tick(browser, served.url, _popular_demo_id(demo_data)[0], [0, 1])
    wait = WebDriverWait(browser, 30)
    browser.refresh()
    _wait_rows(browser, 10)
    wait.until(lambda d: [checked for checked, _ in d.execute_script(_TICKS)][:3] == [True, True, False])
    _tick(browser, [2])
    _picked(browser, 3)
    _tick(browser, [0])  # unticking removes only that track
    _picked(browser, 2)
    wait.until(_ticks_match_picks)
    assert [checked for checked, _ in browser.execute_script(_TICKS)][:3] == [False, True, True]
    assert console_errors(browser) == []


def test_regression_a_file_over_the_upload_limit_gets_a_message(served, browser, tmp_path):
    """QA bug: a WAV over the drop zone's limit was refused without a word."""
    from ui.layout import UPLOAD_MAX_MB

    big = tmp_path / "whole vinyl rip.wav"
    with big.open("wb") as handle:
        handle.truncate((UPLOAD_MAX_MB + 1) * 1024 * 1024)
    _fresh_page(browser, served.url)
    field = WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-audio input[type='file']")))
    zone = browser.find_element(By.ID, "upload-audio").text
    assert f"up to {UPLOAD_MAX_MB} MB" in zone and "ogg" in zone and "m4a" in zone
    field.send_keys(str(big))
    alert = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-alert .alert")))
    assert "whole vinyl rip.wav" in alert.text and f"{UPLOAD_MAX_MB} MB" in alert.text and "MP3" in alert.text
    assert console_errors(browser) == []


def test_regression_a_file_that_is_not_audio_gets_a_message_at_once(served, browser, tmp_path):
    """QA bug: notes.txt, chosen or dropped, was refused by the zone's `accept` filter without a word."""
    notes = tmp_path / "notes.txt"
    notes.write_text("tracklist ideas")
    _fresh_page(browser, served.url)
    field = WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-audio input[type='file']")))
    field.send_keys(str(notes))
    alert = WebDriverWait(browser, 5).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-alert .alert")))
    assert alert.text.startswith("notes.txt is not an audio file Cratedigger reads (mp3, wav")
    assert "export it as one of those" in alert.text
    _fresh_page(browser, served.url)
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-audio > div")))
    browser.execute_script("""
        const zone = document.querySelector('#upload-audio > div');
        const transfer = new DataTransfer();
        transfer.items.add(new File(['a scan'], 'flyer.pdf', {type: 'application/pdf'}));
        zone.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
    """)
    alert = WebDriverWait(browser, 5).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-alert .alert")))
    assert alert.text.startswith("flyer.pdf is not an audio file Cratedigger reads")
    assert console_errors(browser) == []


def test_regression_several_pasted_lines_make_a_multi_seed_query(served, browser, demo_data):
    """QA bug: the one-line search box dropped pasted line breaks, so two `artist - title` lines became one
    unknown query."""
    import sqlite3

    conn = sqlite3.connect(demo_data / "catalog.sqlite")
    lines = [f"{artist} - {title}" for artist, title in conn.execute(
        """SELECT t.artist, t.title FROM tracks t JOIN plays p ON p.track_id = t.id WHERE t.version IS NULL
           GROUP BY t.id ORDER BY COUNT(*) DESC LIMIT 2""")]
    _fresh_page(browser, served.url)
    box = browser.find_element(By.ID, "search-input")
    browser.execute_script(
        "const data = new DataTransfer(); data.setData('text/plain', arguments[1]);"
        "arguments[0].dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));",
        box, "\n".join(lines) + "\n")
    assert box.get_attribute("value") == "; ".join(lines)
    box.send_keys(Keys.ENTER)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: "2 tracks" in d.find_element(By.ID, "query-card").text)
    card = browser.find_element(By.ID, "query-card").text
    assert all(line.replace(" - ", " – ") in card for line in lines)
    _wait_rows(browser, 5)
    assert console_errors(browser) == []


_OVERFLOW = ("const box = document.querySelector('#results-table .dash-spreadsheet-container');"
             "return box.scrollWidth - box.clientWidth;")


def test_regression_the_results_table_fits_at_1440_px(served, browser, demo_data):
    """QA bug: at 1440 px the Style and Score columns were off-screen behind a horizontal scroll."""
    assert browser.execute_script("return window.innerWidth") == 1440  # the size browser_support opens
    _fresh_page(browser, served.url)
    for style in ("House", "Drum & Bass", "Tech House"):
        _search(browser, _popular_id_of_style(demo_data, style))
        _wait_rows(browser, 10)
        WebDriverWait(browser, 10).until(lambda d: d.execute_script(_OVERFLOW) <= 0)
    assert console_errors(browser) == []


def test_ticks_follow_the_picks_through_sort_feedback_and_controls(served, browser, demo_data):
    """The invariant behind the two tick bugs, after each way the table can be redrawn."""
    _dig_and_tick(browser, served.url, _popular_demo_id(demo_data)[0], [1, 3])
    wait = WebDriverWait(browser, 30)
    browser.find_element(By.CSS_SELECTOR, "#results-table th[data-dash-column='bpm'] .column-header--sort").click()
    wait.until(_ticks_match_picks)
    browser.find_element(By.CSS_SELECTOR, "#results-table tbody tr:nth-child(2) td[data-dash-column='dislike'] a").click()
    wait.until(_ticks_match_picks)
    browser.find_element(By.CSS_SELECTOR, "#control-flags input[value='one_per_artist']").click()
    wait.until(_ticks_match_picks)
    _tick(browser, [next(i for i, (checked, _) in enumerate(browser.execute_script(_TICKS)) if not checked)])
    _picked(browser, 3)  # a 👎 keeps a pick, hidden
    wait.until(_ticks_match_picks)
    assert console_errors(browser) == []


def test_dragging_a_file_over_the_drop_zone_highlights_it_in_the_dark_theme(served, browser):
    """Dash's default drag style is a light-grey box (#eee) that glared on the dark page."""
    browser.get(served.url)
    wait = WebDriverWait(browser, 30)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#upload-audio > div")))
    drag = """
        const zone = document.querySelector('#upload-audio > div');
        const transfer = new DataTransfer();
        transfer.items.add(new File(['x'], arguments[0], {type: arguments[1]}));
        zone.dispatchEvent(new DragEvent('dragenter', {bubbles: true, dataTransfer: transfer}));
    """
    leave = "document.querySelector('#upload-audio > div').dispatchEvent(new DragEvent('dragleave', {bubbles: true}))"

    def zone_state():
        zone = browser.find_element(By.CSS_SELECTOR, "#upload-audio > div")
        return zone.get_attribute("class").split(), zone.value_of_css_property("background-color")

    browser.execute_script(drag, "set.mp3", "audio/mpeg")
    wait.until(lambda d: "upload-zone-active" in zone_state()[0])
    classes, background = zone_state()
    assert "upload-zone-reject" not in classes and background != "rgba(238, 238, 238, 1)"
    browser.execute_script(leave)
    browser.execute_script(drag, "notes.pdf", "application/pdf")
    wait.until(lambda d: "upload-zone-reject" in zone_state()[0])


_SHOWN_TITLES = ("return Array.from(document.querySelectorAll(\"#results-table td[data-dash-column='title_version']\"))"
                 ".map((c) => c.innerText);")
_CURRENT_ANSWER = "return JSON.parse(sessionStorage.getItem('results-store'));"


def test_an_answer_asked_again_replaces_only_the_answer_it_was_asked_for(served, browser, demo_data):
    """Review: a query asked again for a new destination playlist (~0.3 s) could land after a Dig clicked meanwhile
    and replace the new answer with the old query's. `again-store` now says which answer it replaces, and the page
    applies it only over that one."""
    _fresh_page(browser, served.url)
    _search(browser, _popular_id_of_style(demo_data, "House"))
    _wait_rows(browser, 10)
    wait = WebDriverWait(browser, 10)
    wait.until(lambda d: (d.execute_script(_CURRENT_ANSWER) or {}).get("answer_id"))
    current = browser.execute_script(_CURRENT_ANSWER)
    shown = browser.execute_script(_SHOWN_TITLES)
    fewer = {**current, "candidates": current["candidates"][:3]}
    send = "window.dash_clientside.set_props('again-store', {data: arguments[0]});"

    # Stale answers carry their own answer_id: had one been applied, the answer asked for below (which replaces
    # the current one) would be skipped in turn and the table would never show its 3 rows.
    stale = {**fewer, "candidates": current["candidates"][:2], "answer_id": "a-stale-answer"}
    browser.execute_script(send, {"replaces": "an-answer-no-longer-shown", "store": stale, "alert": None})
    browser.execute_script(send, {"replaces": None, "store": stale, "alert": None})
    assert browser.execute_script(_SHOWN_TITLES) == shown

    said = {"props": {"children": "Asked again.", "className": "alert alert-info"}, "type": "Div",
            "namespace": "dash_html_components"}
    browser.execute_script(send, {"replaces": current["answer_id"], "store": fewer, "alert": said})
    wait.until(lambda d: len(d.execute_script(_SHOWN_TITLES)) == 3)
    assert set(browser.execute_script(_SHOWN_TITLES)) < set(shown)
    assert browser.find_element(By.ID, "search-alert").text == "Asked again."
    assert console_errors(browser) == []


def test_a_crate_being_typed_gets_suggestions_for_its_last_track(served, browser, demo_data):
    """QA: nothing was suggested for a second track typed after '; '."""
    import sqlite3

    conn = sqlite3.connect(demo_data / "catalog.sqlite")
    artist = conn.execute("SELECT artist FROM tracks WHERE artist NOT LIKE '%&%' ORDER BY id LIMIT 1").fetchone()[0]
    _fresh_page(browser, served.url)
    box = browser.find_element(By.ID, "search-input")
    box.send_keys(f"Nobody - Nothing; {artist}")
    options = ("return [...document.querySelectorAll('#search-suggestions option')].map(o => o.value)")
    WebDriverWait(browser, 10).until(  # (each keystroke's suggestions come in turn: the last one's are awaited)
        lambda d: any(v.startswith(f"Nobody - Nothing; {artist}") for v in d.execute_script(options)))
    assert all(v.startswith("Nobody - Nothing; ") for v in browser.execute_script(options))
    assert console_errors(browser) == []
