"""Album artwork for the query card: from Spotify's track object, only for real tracks and only online."""

from __future__ import annotations

import json
import logging

from catalog.db import connect
from errors import CratediggerError

log = logging.getLogger(__name__)


def smallest_fitting_image(track: dict, *, at_least: int = 200) -> str | None:
    """URL of the smallest album image at least `at_least` px wide (else the largest), or None."""
    images = sorted(((track.get("album") or {}).get("images") or []), key=lambda i: i.get("width") or 0)
    fitting = [i for i in images if (i.get("width") or 0) >= at_least]
    chosen = fitting[0] if fitting else (images[-1] if images else None)
    return chosen.get("url") if chosen else None


def artwork_url(settings, spotify_id: str | None, *, online: bool) -> str | None:
    """Artwork of a real track: the cached Spotify lookup, or a live lookup with credentials; never offline."""
    if not spotify_id or not online:
        return None
    conn = connect(settings.catalog_path)
    try:
        row = conn.execute("SELECT body FROM spotify_lookups WHERE spotify_id = ?", (spotify_id,)).fetchone()
        if row is not None:
            return smallest_fitting_image(json.loads(row["body"]))
        if not settings.has_spotify_credentials:
            return None
        from spotify.client import SpotifyClient

        try:
            return smallest_fitting_image(SpotifyClient.from_settings(settings, conn=conn).track(spotify_id))
        except CratediggerError as error:
            log.info("no artwork for %s: %s", spotify_id, error)
            return None
    finally:
        conn.close()
