"""Catalog text search (`catalog.queries.search_tracks`, the autocomplete and `recommend "a - t"`) at scale.

    .venv/bin/python bench/scale_search.py CATALOG.sqlite [--repeat 5]

Opens the catalog read-only through sqlite3 itself (no migration) and times what a DJ types, keystroke
by keystroke, against one track of the catalog (by default the track with id 12345): its artist's first
letters, the artist, `artist - first letter of the title`, the whole `artist - title`, its title words,
its external id (`id:` keys), words that are nowhere, and three typos (a letter wrong or two swapped:
the typo-tolerant fallback of `catalog.fuzzy`, which the autocomplete and `recommend` use). Prints one markdown row per text: the median
and worst of `--repeat` runs, how many rows came back (limit 8, as the autocomplete) and whether the
track itself was among them. Run it on a copy of a `scale_catalog.py` catalog, never on the original.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog.db import register_functions  # noqa: E402
from catalog.queries import search_tracks  # noqa: E402


def typed_texts(track: sqlite3.Row) -> list[str]:
    """What a DJ looking for `track` types, from the first keystrokes to the whole name."""
    artist, title = track["artist"], track["title"]
    first = artist.split()[0]
    texts = [first[:2], first, artist, f"{artist} - {title[0]}", f"{artist} - {title}", title.lower()]
    if track["key"].startswith("id:"):
        texts.append(track["key"][3:])
    return [*texts, "zzqx vorple", *typos(first, title)]


def typos(artist_word: str, title: str) -> list[str]:
    """The artist's first word and the title with one letter wrong or two swapped (the typo-tolerant fallback)."""
    def swapped(word: str) -> str:
        i = len(word) // 2
        return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:] if len(word) >= 4 else word

    def wrong(word: str) -> str:
        i = len(word) // 2
        return word[:i] + ("x" if word[i].lower() != "x" else "y") + word[i + 1:] if len(word) >= 4 else word

    return [swapped(artist_word), f"{wrong(artist_word)} - {title}", f"{artist_word} - {swapped(title)}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", type=Path)
    parser.add_argument("--track-id", type=int, default=12345)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    conn = sqlite3.connect(f"file:{args.catalog}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    register_functions(conn)  # as catalog.db.connect does, without its migration
    track = conn.execute("SELECT * FROM tracks WHERE id = ?", (args.track_id,)).fetchone()
    n_tracks = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    print(f"{n_tracks:,} tracks, schema {version}, load average {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} cores); track {track['id']}: {track['artist']} - {track['title']} ({track['key']})\n")
    print("| typed | median ms | worst ms | rows | the track found |")
    print("| --- | ---: | ---: | ---: | --- |")
    search_tracks(conn, "warm up the page cache", limit=8, typos=True)
    for text in typed_texts(track):
        times, rows = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            rows = search_tracks(conn, text, limit=8, typos=True)  # as the autocomplete asks
            times.append((time.perf_counter() - start) * 1000)
        found = "yes" if any(r["id"] == track["id"] for r in rows) else "no"
        print(f"| `{text}` | {statistics.median(times):,.0f} | {max(times):,.0f} | {len(rows)} | {found} |")


if __name__ == "__main__":
    main()
