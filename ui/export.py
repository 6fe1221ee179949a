"""The dashboard's exports: files for DJ software, and Spotify playlists through the OAuth flow.

Plain functions of the picks (`picks-store` dicts); the callbacks only wire them.
"""

from __future__ import annotations

import re
import tempfile
import textwrap
from pathlib import Path

from catalog.playlist_export import ExportReport, counted, export_tracks, load_export_tracks
from errors import CratediggerError
from ui.service import open_catalog

SUFFIX = {"csv": ".csv", "m3u": ".m3u8", "rekordbox": ".xml"}
LABEL = {"csv": "CSV", "m3u": "M3U8", "rekordbox": "rekordbox XML"}  # the export buttons say the same
NAMES_SHOWN = 3


def left_out_sentence(report: ExportReport) -> str:
    """One sentence per reason for the report's left-out tracks, with a count and a few shortened names."""
    sentences = []
    for reason, names in report.left_out().items():
        shown = [textwrap.shorten(name, 40, placeholder="…") for name in names[:NAMES_SHOWN]]
        more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
        sentences.append(f" Left out {counted(len(names), 'track')}, {reason}: {', '.join(shown)}{more}.")
    return "".join(sentences)


def safe_filename(name: str) -> str:
    cleaned = re.sub(r"[^\w\- ]+", "", name or "").strip()
    # 80 letters, at most 160 bytes (a 4-byte letter, '𝕾', would overrun the file system's 255)
    stem = re.sub(r"\s+", "-", cleaned)[:80].encode("utf-8")[:160].decode("utf-8", "ignore")
    return stem or "cratedigger-picks"


def export_file(settings, picks: list[dict], fmt: str, name: str) -> tuple[dict | None, str]:
    """(`dcc.Download` data or None, a status sentence) for the picks written as `fmt`."""
    if not picks:
        return None, "Pick some tracks first (tick them in the table)."
    conn = open_catalog(settings)
    if conn is None:
        return None, "The catalog is missing, so there is nothing to export."
    try:
        tracks = load_export_tracks(conn, [str(p["track_id"]) for p in picks], audio_cache=settings.audio_dir)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{safe_filename(name)}{SUFFIX[fmt]}"
            report = export_tracks(tracks, fmt, path, name=name or "Cratedigger picks")
            content = path.read_text(encoding="utf-8") if path.exists() else ""
    except CratediggerError as error:
        return None, str(error)
    finally:
        conn.close()
    left_out = left_out_sentence(report)
    if report.written == 0 or not content:
        return None, f"Nothing to write as {LABEL[fmt]}.{left_out}"
    download = {"content": content, "filename": path.name, "type": "text/plain"}
    return download, f"Exported {counted(report.written, 'track')} as {LABEL[fmt]}.{left_out}"


def spotify_state(settings) -> str:
    """'unconfigured', 'logged-out' or 'logged-in' for this browser session (inside a request)."""
    if not settings.has_spotify_credentials:
        return "unconfigured"
    from flask import has_request_context

    from spotify.oauth import browser_session_id, session_cache

    if not has_request_context():  # Dash builds the layout once at start-up to check it
        return "logged-out"
    session_id = browser_session_id()
    if session_id and session_cache(settings, session_id).get_cached_token():
        return "logged-in"
    return "logged-out"


def read_destination(settings, link: str | None) -> tuple[dict | None, str | None]:
    """(`destination-store` data, status sentence) for a pasted destination playlist link.

    The data holds the link and the catalog ids of the playlist's tracks (the results leave them out); read
    with this browser's Spotify login when there is one (private playlists too), else the app's credentials.
    """
    if not (link or "").strip():
        return None, None
    from catalog.queries import tracks_by_spotify_ids
    from spotify.export import destination_track_ids
    from spotify.oauth import current_user_client

    try:
        user = current_user_client(settings) if spotify_state(settings) == "logged-in" else None
        ids = destination_track_ids(settings, link, user)
    except CratediggerError as error:
        return None, str(error)
    conn = open_catalog(settings)
    try:
        known = [row["id"] for row in tracks_by_spotify_ids(conn, ids)] if conn else []
    finally:
        if conn is not None:
            conn.close()
    held = f"{len(known)} in the catalog, left out of the results" if known else "none of them in the catalog"
    return ({"link": link.strip(), "track_ids": known},
            f"That playlist holds {counted(len(ids), 'track')} ({held}); the Spotify button now adds the picks it lacks.")


def export_spotify(settings, picks: list[dict], name: str, public: bool,
                   destination: str | None = None) -> tuple[str, str | None]:
    """(status sentence, playlist link or None) after creating a playlist of the picks, or adding those it lacks
    to the `destination` playlist."""
    if not picks:
        return "Pick some tracks first (tick them in the table).", None
    state = spotify_state(settings)
    if state == "unconfigured":
        return ("Spotify export needs your own Spotify app: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET "
                "(see the README). The CSV, M3U8 and rekordbox exports work without it."), None
    if state == "logged-out":
        return "Log in with Spotify first (the link below), then create the playlist.", None
    from spotify.export import PartialExportError, add_to_playlist, export_to_spotify
    from spotify.oauth import current_user_client

    demo = [p for p in picks if p.get("is_demo")]
    if demo:
        return (f"{len(demo)} picked track(s) are demo tracks, which are never sent to Spotify: "
                "untick them or export to a file."), None
    ids = [p["spotify_id"] for p in picks if p.get("spotify_id")]
    missing = len(picks) - len(ids)
    conn = open_catalog(settings)
    try:
        if destination:
            url, added, held = add_to_playlist(current_user_client(settings), destination, ids, conn=conn,
                                               settings=settings)
        else:
            url = export_to_spotify(current_user_client(settings), name or "Cratedigger picks", public, ids,
                                    conn=conn, settings=settings)
    except PartialExportError as error:
        return str(error), error.url
    except CratediggerError as error:
        return str(error), None
    finally:
        if conn is not None:
            conn.close()
    note = f" {counted(missing, 'picked track')} without a Spotify match left out." if missing else ""
    if destination:
        already = f"; {held} {'was' if held == 1 else 'were'} already in it" if held else ""
        return f"Added {counted(added, 'track')} to the playlist{already}.{note}", url
    return f"Created the playlist with {counted(len(ids), 'track')}.{note}", url
