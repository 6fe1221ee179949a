"""The autocomplete while a DJ types a misspelt name at scale: every keystroke is a request (the dashboard's
search box sends each change), and a typo makes each one a typo-tolerant scan (`catalog.fuzzy`, ~0.5 s at
1.5M tracks).

    .venv/bin/python bench/scale_typing.py CATALOG.sqlite [--interval 0.12] [--repeat 3]

Types `Ekxk - Heat Glow 12345` (the artist of track `--track-id` with one letter wrong, then its title) one
character per `--interval` seconds, each keystroke's `ui.service.suggest` in its own thread with its own
read-only connection, as the threaded server runs them. Right after the last keystroke, a Dig of the same
track spelt right (`catalog.queries.search_tracks`) is timed, and once more alone afterwards. Prints how many
keystrokes ran a typo scan, the seconds of search work in all, how long after the last keystroke its
suggestions came, and the Dig's time under that load and alone. Run it on a copy of a `scale_catalog.py`
catalog migrated to the current schema, never on the original.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog.db import connect  # noqa: E402
from catalog.queries import search_tracks  # noqa: E402
from ui.service import suggest  # noqa: E402


def misspelt(artist: str, title: str) -> str:
    """`artist - title` with the artist's first word one letter wrong (its middle letter → x)."""
    first, rest = artist.split(" ", 1) if " " in artist else (artist, "")
    i = len(first) // 2
    wrong = first[:i] + ("x" if first[i].lower() != "x" else "y") + first[i + 1:]
    return f"{wrong}{' ' + rest if rest else ''} - {title}"


def type_once(catalog: Path, text: str, right: str, interval: float) -> dict:
    """One run of typing `text`, then a Dig of `right`: timings in seconds."""
    work, answered = [], {}

    def keystroke(prefix: str, index: int) -> None:
        conn = connect(catalog, readonly=True)
        try:
            started = time.perf_counter()
            suggest(conn, prefix)
            work.append(time.perf_counter() - started)
            answered[index] = time.perf_counter()
        finally:
            conn.close()

    threads = []
    for n in range(1, len(text) + 1):
        thread = threading.Thread(target=keystroke, args=(text[:n], n))
        thread.start()
        threads.append(thread)
        time.sleep(interval)
    last_key = time.perf_counter() - interval
    conn = connect(catalog, readonly=True)
    started = time.perf_counter()
    search_tracks(conn, right, limit=1)
    dig_loaded = time.perf_counter() - started
    for thread in threads:
        thread.join()
    started = time.perf_counter()
    search_tracks(conn, right, limit=1)
    dig_alone = time.perf_counter() - started
    conn.close()
    return {"work": sum(work), "last": answered[len(text)] - last_key, "dig_loaded": dig_loaded,
            "dig_alone": dig_alone, "slow": sum(1 for w in work if w > 0.25)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", type=Path)
    parser.add_argument("--track-id", type=int, default=12345)
    parser.add_argument("--interval", type=float, default=0.12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    conn = connect(args.catalog, readonly=True)
    track = conn.execute("SELECT artist, title FROM tracks WHERE id = ?", (args.track_id,)).fetchone()
    conn.close()
    text, right = misspelt(track["artist"], track["title"]), f"{track['artist']} - {track['title']}"
    runs = [type_once(args.catalog, text, right, args.interval) for _ in range(args.repeat)]
    print(f"typed {text!r} ({len(text)} keystrokes, one per {args.interval:.2f} s), {args.repeat} runs; medians:")
    for key, what in (("slow", "keystrokes whose suggestions took > 0.25 s"), ("work", "s of search work in all"),
                      ("last", "s from the last keystroke to its suggestions"),
                      ("dig_loaded", "s for a Dig typed right, sent after the last keystroke"),
                      ("dig_alone", "s for the same Dig alone")):
        print(f"  {statistics.median(r[key] for r in runs):8.2f}  {what}")


if __name__ == "__main__":
    main()
