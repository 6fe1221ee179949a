"""Dashboard speed on the demo crate: server time of a DJ-set query and of control changes, time to
ready, first paint and paste-to-results in a real browser.

    .venv/bin/python bench/dashboard_bench.py [--data-dir DIR] [--queries 300]

Builds the demo crate and its model in DIR (default: a temporary folder) if missing. Prints a
markdown table; targets (issue 7): first paint ≤ 3 s after ready, query p95 ≤ 50 ms, filters and
feedback ≤ 100 ms server time.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ensure_crate(data_dir: Path) -> None:
    from cli import main

    os.environ["CRATEDIGGER_DATA_DIR"] = str(data_dir)
    main(["demo", "--if-missing"])
    main(["train-als", "--if-missing", "--publish"])


def server_times(data_dir: Path, n_queries: int) -> dict[str, list[float]]:
    from threadpoolctl import threadpool_limits

    from config import load_settings
    from models.recommender import RecommenderLoader
    from ui.callbacks import controls_from, ranked_rows, search, table_row, vote

    threadpool_limits(1, user_api="blas")  # as app.create_app does
    from ui.sound import SoundIndexLoader

    settings = load_settings()
    loader = RecommenderLoader.from_settings(settings)
    sound = SoundIndexLoader(settings)  # as the dashboard: DJ-set answers also get sound scores
    conn = sqlite3.connect(settings.catalog_path)
    ids = [r[0] for r in conn.execute(
        "SELECT DISTINCT t.spotify_id FROM tracks t JOIN plays p ON p.track_id = t.id")]
    rng = random.Random(0)
    search(settings, loader, ids[0], sound)  # warm: model load, SQLite pages
    times: dict[str, list[float]] = {"query": [], "controls": [], "feedback": []}
    for spotify_id in rng.sample(ids, min(n_queries, len(ids))):
        start = time.perf_counter()
        store, _ = search(settings, loader, f"https://open.spotify.com/track/{spotify_id}", sound)
        times["query"].append(time.perf_counter() - start)
        flags = rng.choice([[], ["harmonic"], ["one_per_artist", "half_double"]])
        start = time.perf_counter()
        rows = [table_row(r) for r in ranked_rows(store, controls_from(30, 0.3, rng.choice([0, 4, 8]), None, flags, []), None)]
        times["controls"].append(time.perf_counter() - start)
        if rows:
            start = time.perf_counter()
            feedback = vote(f"#dislike-{rows[0]['id']}", None)
            [table_row(r) for r in ranked_rows(store, controls_from(30, 0.3, 0, None, [], []), feedback)]
            times["feedback"].append(time.perf_counter() - start)
    return times


def browser_times(data_dir: Path, n: int = 10) -> dict[str, object]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser_support import ServedApp, start_browser

    start = time.monotonic()
    app = ServedApp(data_dir)
    ready = time.monotonic() - start
    driver = start_browser()
    try:
        driver.get(app.url)
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "search-input"))
        paint = driver.execute_script(
            "return performance.getEntriesByType('paint').map(e => [e.name, e.startTime]);")
        conn = sqlite3.connect(data_dir / "catalog.sqlite")
        queries = conn.execute(
            "SELECT t.spotify_id, t.title FROM tracks t JOIN plays p ON p.track_id = t.id GROUP BY t.id "
            "ORDER BY COUNT(*) DESC LIMIT ?", (n,)).fetchall()
        round_trips = []
        for spotify_id, title in queries:
            box = driver.find_element(By.ID, "search-input")
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(spotify_id)
            t0 = time.perf_counter()
            box.send_keys(Keys.ENTER)
            WebDriverWait(driver, 30, poll_frequency=0.01).until(
                lambda d, t=title: d.execute_script(
                    "const q = document.querySelector('.query-title');"
                    "return q && q.textContent.includes(arguments[0]) &&"
                    " document.querySelectorAll(\"#results-table td[data-dash-column='artist']\").length > 0;", t))
            round_trips.append(time.perf_counter() - t0)
    finally:
        driver.quit()
        app.stop()
    return {"ready": ready, "paint": dict(paint), "round_trips": round_trips}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cratedigger-bench-"))
    ensure_crate(data_dir)
    times = server_times(data_dir, args.queries)
    browser = browser_times(data_dir)
    print(f"Dashboard on the demo crate ({data_dir}); {os.cpu_count()} cores")
    print("| figure | p50 | p95 | target |\n| --- | --- | --- | --- |")
    targets = {"query": "p95 ≤ 50 ms", "controls": "≤ 100 ms", "feedback": "≤ 100 ms"}
    for name, values in times.items():
        print(f"| server time: {name} (n={len(values)}) | {statistics.median(values) * 1000:.1f} ms | "
              f"{percentile(values, 95) * 1000:.1f} ms | {targets[name]} |")
    print(f"| `python app.py` start → HTTP 200 | {browser['ready']:.2f} s | | ≤ 5 s |")
    fcp = browser["paint"].get("first-contentful-paint")
    print(f"| first contentful paint after navigation | {fcp / 1000:.2f} s | | ≤ 3 s |" if fcp else "| first paint | n/a | | |")
    trips = browser["round_trips"]
    print(f"| paste → results drawn in the browser (n={len(trips)}) | {statistics.median(trips) * 1000:.0f} ms | "
          f"{percentile(trips, 95) * 1000:.0f} ms | |")


if __name__ == "__main__":
    main()
