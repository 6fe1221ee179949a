"""The dashboard's status line: which model run is loaded, what the catalog holds, how to refresh."""

from __future__ import annotations

import threading
import time

from dash import html

from catalog.queries import count_catalog
from errors import CratediggerError
from ui.service import open_catalog

ENGINE_NAMES = {"default": "Hybrid", "als": "ALS"}
EXAMPLES = 4
FACTS_SECONDS = 30.0  # page loads within this reuse the status and examples (each is a full-table scan)


def model_summary(metadata: dict) -> str:
    """'ALS model from 2026-11-23 20:13 · 1,600 sets × 3,581 tracks · R-precision 0.052' from a run's metadata."""
    created = (metadata.get("created_at") or "")[:16].replace("T", " ")
    counts = metadata.get("counts") or {}
    engine = ENGINE_NAMES.get(str(metadata.get("engine")), str(metadata.get("engine", "")).upper())
    text = f"{engine} model from {created}".strip()
    if counts:
        text += f" · {counts.get('sets', 0):,} sets × {counts.get('tracks', 0):,} tracks"
    metrics = metadata.get("metrics") or {}
    metrics = metrics.get("default", metrics) if isinstance(metrics.get("default", metrics), dict) else metrics
    for name, label in (("r_precision", "R-precision"), ("ndcg@10", "NDCG@10"), ("ndcg_at_10", "NDCG@10")):
        if isinstance(metrics.get(name), int | float):
            text += f" · {label} {metrics[name]:.3f}"
    return text


def status_children(settings, loader) -> list:
    """Which model run is loaded and what the catalog holds, in words, with how to refresh them."""
    parts = []
    try:
        run = loader.get().run
        parts.append(html.Span(model_summary(run.metadata), className="status-item",
                               title=f"run {run.run_id}; refresh with `python cli.py train-als --publish`"))
    except CratediggerError as error:
        parts.append(html.Span(f"no model published — {error}", className="status-item warn"))
    conn = open_catalog(settings)
    if conn is None:
        parts.append(html.Span("catalog empty: run `python cli.py demo` or `import-tracklists`",
                               className="status-item warn"))
    else:
        counts = count_catalog(conn)
        conn.close()
        parts.append(html.Span(
            f"{counts.sets:,} sets · {counts.tracks:,} tracks · {counts.spotify_matched:,} on Spotify · "
            f"{counts.with_audio:,} with audio", className="status-item",
            title="refresh: `python cli.py crawl`, `match-spotify`, `fetch-audio`, then retrain"))
        if counts.demo_tracks:
            parts.append(html.Span("demo crate", className="status-item badge demo-badge",
                                   title="synthetic tracks with made-up IDs; never sent to Spotify"))
    if settings.offline:
        parts.append(html.Span("offline mode", className="status-item muted"))
    return parts


def example_tracks(settings, limit: int = EXAMPLES) -> list[dict]:
    """A few well-played tracks with Spotify IDs to try, one per style where possible."""
    conn = open_catalog(settings)
    if conn is None:
        return []
    try:
        rows = conn.execute(
            """SELECT t.artist, t.title, t.spotify_id, COUNT(*) AS n FROM tracks t JOIN plays p ON p.track_id = t.id
               WHERE t.spotify_id IS NOT NULL GROUP BY t.id ORDER BY n DESC LIMIT 200"""
        ).fetchall()
    finally:
        conn.close()
    picked, seen_artists = [], set()
    for row in rows[::7]:
        if row["artist"] not in seen_artists:
            seen_artists.add(row["artist"])
            picked.append(dict(row))
        if len(picked) == limit:
            break
    return picked


class PageFacts:
    """The status line and example tracks for page loads, recomputed at most every FACTS_SECONDS.

    At MixesDB scale each is a scan of the plays table (0.6 s apiece, measured by bench/scale_dashboard.py),
    far too slow to repeat on every page load; a few seconds' staleness of counts is harmless.
    """

    def __init__(self, settings, loader, *, seconds: float = FACTS_SECONDS):
        self.settings, self.loader, self.seconds = settings, loader, seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, object]] = {}

    def _get(self, name: str, compute):
        with self._lock:
            stamp, value = self._cache.get(name, (float("-inf"), None))
            if time.monotonic() - stamp > self.seconds:
                value = compute()
                self._cache[name] = (time.monotonic(), value)
            return value

    def status(self) -> list:
        """The status line; while the model loads in the background (seconds at MixesDB scale), says so instead
        of waiting for it (not cached: the next page load shows the loaded run)."""
        if self.loader is not None and self.loader.loaded is None and self.loader.preload():
            return [html.Span("loading the model… (the first search waits for it)", className="status-item muted")]
        return self._get("status", lambda: status_children(self.settings, self.loader))

    def examples(self) -> list[dict]:
        return self._get("examples", lambda: example_tracks(self.settings))
