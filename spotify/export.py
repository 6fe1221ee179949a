"""Creating a Spotify playlist from track IDs (2026 endpoints: `POST /me/playlists`, `POST /playlists/{id}/items`).

    url = export_to_spotify(client, "Friday warm-up", public=False, spotify_ids=ids)

Items are added in order, in chunks of 100 (Spotify's maximum per request). If a chunk fails, the
playlist exists with what was added so far and `PartialExportError` says how many tracks are missing,
why, and links the playlist. Demo tracks are never sent to Spotify.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from errors import BadInputError, CratediggerError, ExternalServiceError
from spotify.client import SpotifyClient, build_spotipy, read_playlist_track_ids
from spotify.ids import parse_spotify_ref

logger = logging.getLogger(__name__)

CHUNK = 100


class PartialExportError(ExternalServiceError):
    """The playlist was created but not every track could be added."""

    def __init__(self, message: str, *, url: str, added: int, missing: list[str], status: int | None = None,
                 cause: CratediggerError | None = None):
        super().__init__(message, status=status)
        self.url, self.added, self.missing, self.cause = url, added, missing, cause


def demo_track_message(names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"{len(names)} demo track(s) are never sent to Spotify ({shown}): they are made-up examples. "
            "Leave them out, or export to a CSV/M3U8/rekordbox file instead.")


def refuse_demo_tracks(conn: sqlite3.Connection | None, spotify_ids: Iterable[str]) -> None:
    """Raise `BadInputError` if any of `spotify_ids` belongs to a demo track of the catalog."""
    if conn is None:
        return
    ids = list(spotify_ids)
    demo = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        demo += [f"{r[0]} - {r[1]}" for r in conn.execute(
            f"SELECT artist, title FROM tracks WHERE is_demo = 1 AND spotify_id IN ({marks})", chunk)]
    if demo:
        raise BadInputError(demo_track_message(demo))


def _client_for(token_info_or_client: Any, settings: Any | None) -> SpotifyClient:
    if isinstance(token_info_or_client, SpotifyClient):
        return token_info_or_client
    if isinstance(token_info_or_client, dict):
        if settings is None:
            raise BadInputError("export_to_spotify needs settings to use a bare token.")
        return SpotifyClient(build_spotipy(settings, _StaticToken(token_info_or_client)))
    if hasattr(token_info_or_client, "current_user_playlist_create"):  # a spotipy.Spotify
        return SpotifyClient(token_info_or_client)
    raise BadInputError("export_to_spotify needs a SpotifyClient, a spotipy client or a token dict.")


class _StaticToken:
    """A minimal auth manager around one token dict (no refresh)."""

    def __init__(self, token_info: dict):
        self.token_info = token_info

    def get_access_token(self, as_dict: bool = False, check_cache: bool = True):
        return self.token_info if as_dict else self.token_info["access_token"]


def export_to_spotify(
    token_info_or_client: Any,
    name: str,
    public: bool,
    spotify_ids: list[str],
    *,
    description: str = "Made with Cratedigger",
    conn: sqlite3.Connection | None = None,
    settings: Any | None = None,
) -> str:
    """Create playlist `name` for the logged-in user holding `spotify_ids` in order; returns its link.

    `spotify_ids` may be IDs, URIs or links (duplicates are kept: a DJ may want a track twice).
    Raises `BadInputError` for no/invalid IDs or demo tracks (checked in `conn` when given),
    `PartialExportError` when the playlist was made but some chunks could not be added.
    """
    name = " ".join((name or "").split())
    if not name:
        raise BadInputError("The playlist needs a name.")
    if not spotify_ids:
        raise BadInputError("No Spotify tracks to export: pick tracks that have a Spotify link.")
    ids = [parse_spotify_ref(ref).spotify_id for ref in spotify_ids]
    refuse_demo_tracks(conn, ids)
    client = _client_for(token_info_or_client, settings)
    playlist = client.create_playlist(name, public=public, description=description)
    playlist_id = playlist["id"]
    url = (playlist.get("external_urls") or {}).get("spotify") or playlist_link(playlist_id)
    _add_in_chunks(client, playlist_id, ids, f"Created the playlist {name!r} ({url})", url)
    logger.info("Spotify playlist created with %d tracks", len(ids))
    return url


def playlist_link(playlist_id: str) -> str:
    return f"https://open.spotify.com/playlist/{playlist_id}"


# A destination playlist is read whole to know what it already holds (Spotify's own cap is 10,000 items).
DESTINATION_LIMIT = 10_000


def destination_track_ids(settings: Any, link: str, user: SpotifyClient | None = None) -> list[str]:
    """Spotify IDs of the tracks of the destination playlist at `link`, whole (`read_playlist_track_ids` with
    DESTINATION_LIMIT), read as `user` when given, else with the app's own credentials."""
    private = "" if user else "; a private playlist can be read once you are logged in to Spotify"
    return read_playlist_track_ids(settings, link, limit=DESTINATION_LIMIT, user=user,
                                   advice=f"check the link{private}")


def add_to_playlist(token_info_or_client: Any, playlist_ref: str, spotify_ids: list[str], *,
                    conn: sqlite3.Connection | None = None, settings: Any | None = None) -> tuple[str, int, int]:
    """Add to an existing playlist the tracks of `spotify_ids` it does not hold yet, in order, each once.

    Returns (link, tracks added, tracks it already held). Raises like `export_to_spotify` (a playlist the user
    does not own or follow with edit rights: Spotify's 403, as one sentence).
    """
    playlist_id = parse_spotify_ref(playlist_ref, allow=("playlist",)).spotify_id
    if not spotify_ids:
        raise BadInputError("No Spotify tracks to add: pick tracks that have a Spotify link.")
    ids = list(dict.fromkeys(parse_spotify_ref(ref).spotify_id for ref in spotify_ids))
    refuse_demo_tracks(conn, ids)
    client = _client_for(token_info_or_client, settings)
    held = set(destination_track_ids(settings, playlist_id, client))
    new = [i for i in ids if i not in held]
    url = playlist_link(playlist_id)
    try:
        _add_in_chunks(client, playlist_id, new, f"Added to the playlist ({url})", url)
    except PartialExportError as error:
        if error.added:
            raise
        if error.status == 403:
            raise ExternalServiceError(
                "Spotify refused to add tracks to that playlist (403): you can add only to a playlist you own or "
                "collaborate on. Paste one of yours, or leave the playlist out to create a new one.", status=403
            ) from None
        raise ExternalServiceError(f"No track was added to the playlist: {error.cause}", status=error.status) from None
    logger.info("added %d tracks to a Spotify playlist (%d already in it)", len(new), len(ids) - len(new))
    return url, len(new), len(ids) - len(new)


def _add_in_chunks(client: SpotifyClient, playlist_id: str, ids: list[str], done: str, url: str) -> None:
    """`POST /playlists/{id}/items` in chunks of 100, in order; `PartialExportError` (opening with `done`) names
    what is missing when a chunk fails."""
    uris = [f"spotify:track:{i}" for i in ids]
    added = 0
    for start in range(0, len(uris), CHUNK):
        chunk = uris[start : start + CHUNK]
        try:
            client.add_items(playlist_id, chunk)
        except CratediggerError as error:
            missing = ids[start:]
            logger.warning("Spotify export stopped after %d of %d tracks", added, len(ids))
            raise PartialExportError(
                f"{done} but only {added} of {len(ids)} tracks were added; "
                f"{len(missing)} are missing because: {error}",
                url=url, added=added, missing=missing, status=getattr(error, "status", None), cause=error,
            ) from None
        added += len(chunk)
