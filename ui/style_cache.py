"""Each track's styles, remembered for a few minutes: a DJ-set answer needs them for 150 tracks.

Styles come from the sets that play a track (`catalog.queries.track_styles`) and change only when
tracklists are imported, while the same popular tracks come back in answer after answer. One cache
per process, shared by its request threads; it starts afresh when the catalog file (or its write-ahead
log) changes or another catalog is asked.
"""

from __future__ import annotations

import os
import threading
import time

from catalog.queries import track_styles

STYLE_SAMPLE = 100  # a track's styles are counted over at most this many of its sets (a hit is in 29,000)


class StyleCache:
    """`get(conn, ids)` → {track id: styles}; a track's entry lives `seconds`, at most `size` entries."""

    def __init__(self, *, seconds: float = 600.0, size: int = 200_000):
        self.seconds, self.size = seconds, size
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[float, list[str]]] = {}
        self._version: tuple | None = None

    def get(self, conn, track_ids: list[int]) -> dict[int, list[str]]:
        now, version = time.monotonic(), _catalog_version(conn)
        with self._lock:
            if version != self._version:
                self._entries, self._version = {}, version
            fresh = {t: e for t in track_ids if (e := self._entries.get(t)) and now - e[0] < self.seconds}
        missing = list(dict.fromkeys(t for t in track_ids if t not in fresh))
        found = track_styles(conn, missing, sample=STYLE_SAMPLE) if missing else {}
        with self._lock:
            if len(self._entries) + len(missing) > self.size:
                self._entries.clear()  # rare: a cheap bound, not an LRU
            for track_id in missing:
                self._entries[track_id] = (now, found.get(track_id, []))
        return {t: styles for t in track_ids
                if (styles := fresh[t][1] if t in fresh else found.get(t, []))}


def _catalog_version(conn) -> tuple:
    """(catalog file, its and its write-ahead log's modification times): changes whenever anything is written."""
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    stamps = []
    for name in (path, f"{path}-wal"):
        try:
            stamps.append(os.stat(name).st_mtime_ns)
        except OSError:
            stamps.append(None)
    return (path, *stamps)
