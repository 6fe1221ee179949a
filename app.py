"""Cratedigger's dashboard: `python app.py` serves it; `server = app.server` is for gunicorn.

The app loads the published model run read-only and reloads it when a new run is
published. TensorFlow is never imported here: sound-based answers import it
lazily, in the request that needs it.
"""

from __future__ import annotations

import logging

import dash
from dash import html

from catalog.queries import count_catalog
from config import load_settings
from errors import ArtifactMissingError, CratediggerError
from ui import layout
from ui.callbacks import register_callbacks
from ui.export import spotify_state
from ui.media import register_media_routes
from ui.service import open_catalog

log = logging.getLogger(__name__)
EXAMPLES = 4


def status_children(settings, loader) -> list:
    """Which model run is loaded and what the catalog holds, in words."""
    parts = []
    try:
        run = loader.get().run
        metrics = run.metadata.get("metrics", {}).get("default") or run.metadata.get("metrics", {})
        figure = f" · R-precision {metrics['r_precision']:.3f}" if isinstance(metrics, dict) and "r_precision" in metrics else ""
        parts.append(html.Span(f"model {run.run_id}{figure}", className="status-item"))
    except (ArtifactMissingError, CratediggerError) as error:
        parts.append(html.Span(f"no model published — {error}", className="status-item warn"))
    conn = open_catalog(settings)
    if conn is None:
        parts.append(html.Span("catalog empty: run `python cli.py demo`", className="status-item warn"))
    else:
        counts = count_catalog(conn)
        conn.close()
        parts.append(html.Span(
            f"{counts.sets:,} sets · {counts.tracks:,} tracks · {counts.spotify_matched:,} on Spotify · "
            f"{counts.with_audio:,} with audio", className="status-item"))
        if counts.demo_tracks:
            parts.append(html.Span("demo crate", className="status-item badge demo-badge"))
    if not settings.has_spotify_credentials:
        parts.append(html.Span("Spotify export off (no SPOTIPY_CLIENT_ID) — file exports work",
                               className="status-item muted"))
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


def create_app(settings=None) -> dash.Dash:
    from models.recommender import RecommenderLoader
    from spotify.oauth import register_spotify_routes

    settings = settings or load_settings()
    # Requests are small and concurrent: multi-threaded BLAS only adds contention (measured: a 150×128
    # SVD took 44 ms on average with 2 BLAS threads next to implicit's OpenMP, 2 ms with one).
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    loader = RecommenderLoader.from_settings(settings)
    app = dash.Dash(__name__, title="Cratedigger", update_title=None, suppress_callback_exceptions=False)
    app.layout = lambda: layout.page(status_children(settings, loader), example_tracks(settings),
                                     spotify_state(settings))
    register_spotify_routes(app.server, settings)
    register_media_routes(app.server, settings)
    register_callbacks(app, settings, loader)
    app.server.config["CRATEDIGGER_SETTINGS"] = settings
    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = server.config["CRATEDIGGER_SETTINGS"]
    app.run(host=settings.host, port=settings.port, debug=False)
