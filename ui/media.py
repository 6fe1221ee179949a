"""Serving a track's cached audio to the dashboard's preview player.

Only files under the data folder's audio cache or the DJ's library folder are served, and only for
track ids the catalog knows: a track's `audio_path` never turns the server into a file browser.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from catalog.db import connect


def servable_audio(settings, track_id: int) -> Path | None:
    """The audio file of `track_id` if it exists inside an allowed folder, else None."""
    if not settings.catalog_path.is_file():
        return None
    conn = connect(settings.catalog_path, readonly=True)
    try:
        row = conn.execute("SELECT audio_path FROM tracks WHERE id = ?", (int(track_id),)).fetchone()
    finally:
        conn.close()
    if row is None or not row["audio_path"]:
        return None
    path = Path(row["audio_path"])
    if not path.is_absolute():
        path = settings.data_dir / path
    path = path.resolve()
    allowed = [settings.audio_dir.resolve()] + ([settings.library_dir] if settings.library_dir else [])
    if not path.is_file() or not any(path.is_relative_to(folder) for folder in allowed):
        return None
    return path


def register_media_routes(flask_server, settings) -> None:
    """`GET /audio/<track_id>`: the track's audio (with range requests), or 404."""
    from flask import abort, send_file

    def audio(track_id: int):
        path = servable_audio(settings, track_id)
        if path is None:
            abort(404)
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)

    flask_server.add_url_rule("/audio/<int:track_id>", "track_audio", audio)
