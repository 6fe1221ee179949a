"""Command-line verbs of the Spotify area: `match-spotify` and `export`.

    python cli.py match-spotify [--limit N] [--threshold T] [--retry-rejected]
    python cli.py export --tracks FILE|IDs --to spotify|csv|m3u|rekordbox --name NAME [--out PATH] [--public]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from config import user_path
from errors import BadInputError

EXPORT_TARGETS = ("spotify", "csv", "m3u", "rekordbox")
_SUFFIX = {"csv": ".csv", "m3u": ".m3u8", "rekordbox": ".xml"}


def register(subparsers: argparse._SubParsersAction) -> None:
    match = subparsers.add_parser(
        "match-spotify",
        help="link catalog tracks to Spotify tracks by search and fuzzy matching (resumable)",
        description="Search Spotify for catalog tracks without a Spotify ID (most played first), accept confident "
        "matches (stored with their confidence and ISRC), remember rejects, and print a coverage report. "
        "Needs SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET. Demo tracks are never sent to Spotify.",
    )
    match.add_argument("--limit", type=int, help="match at most N tracks in this run")
    match.add_argument("--threshold", type=float, default=None, help="minimum confidence to accept (default 0.90)")
    match.add_argument("--retry-rejected", action="store_true", help="search earlier rejects again")
    match.add_argument("--no-progress", action="store_true", help="no progress bar")
    match.set_defaults(handler=match_spotify_command)

    export = subparsers.add_parser(
        "export",
        help="export tracks as a Spotify playlist or a CSV / M3U8 / rekordbox XML file",
        description="Export tracks (catalog ids or Spotify IDs/URIs/links, given inline or as a file with one per "
        "line) to a new Spotify playlist or one you have (--playlist), or to a CSV, M3U8 or rekordbox XML file (no "
        "Spotify account needed).",
    )
    export.add_argument("--tracks", required=True, help="a file with one track per line, or ids separated by commas")
    export.add_argument("--to", required=True, choices=EXPORT_TARGETS, help="where to export")
    export.add_argument("--name", help="the new playlist's name (or the file's)")
    export.add_argument("--playlist", metavar="LINK",
                        help="with --to spotify: add to this playlist of yours instead of creating one (tracks it "
                        "already holds are not added again)")
    export.add_argument("--out", type=user_path, help="output file (default: data/exports/<name>.<ext>)")
    export.add_argument("--public", action="store_true", help="make the Spotify playlist public (default private)")
    export.set_defaults(handler=export_command)


def match_spotify_command(args: argparse.Namespace, settings) -> int:
    from catalog.db import connect_existing
    from spotify.catalog_matching import coverage, match_catalog
    from spotify.client import SpotifyClient
    from spotify.matching import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if not 0 < threshold <= 1:
        raise BadInputError(f"--threshold {threshold} must be between 0 and 1.")
    conn = connect_existing(settings.catalog_path)
    client = SpotifyClient.from_settings(settings, conn=conn)
    try:
        counts = match_catalog(
            conn,
            lambda query, limit: client.search_tracks(query, limit=limit),
            limit=args.limit,
            threshold=threshold,
            retry_rejected=args.retry_rejected,
            show_progress=not args.no_progress,
        )
    finally:
        report = coverage(conn)
    print(f"This run: {counts['accepted']} matched, {counts['rejected']} rejected, {counts['error']} errors "
          f"({client.requests_made} Spotify requests).")
    print("\n".join(report.lines()))
    return 0


def _default_out(settings, name: str, fmt: str) -> Path:
    # letters of any script are kept ('Été à Berlin' → 'Été-à-Berlin'); a long name is cut to fit any file system
    stem = re.sub(r"[^\w.-]+", "-", name).encode("utf-8")[:120].decode("utf-8", "ignore").strip("-._") or "playlist"
    return settings.data_dir / "exports" / f"{stem}{_SUFFIX[fmt]}"


def export_command(args: argparse.Namespace, settings) -> int:
    from catalog.db import connect_existing
    from catalog.playlist_export import export_tracks, load_export_tracks, parse_track_refs

    if args.playlist and args.to != "spotify":
        raise BadInputError("--playlist adds to a Spotify playlist: use it with --to spotify.")
    if args.playlist and args.name:
        raise BadInputError("--name names a new playlist and --playlist one you have: give one of them.")
    name = " ".join((args.name or "").split()) or (args.out.stem if args.out and args.to != "spotify" else "")
    if not name and not args.playlist:
        raise BadInputError("Give --name: the new playlist's name (or, with --to spotify, --playlist LINK to add to "
                            "one you have).")
    if args.playlist:
        from spotify.ids import parse_spotify_ref

        parse_spotify_ref(args.playlist, allow=("playlist",))  # a wrong link is said before any login
    conn = connect_existing(settings.catalog_path)
    tracks = load_export_tracks(conn, parse_track_refs(args.tracks), audio_cache=settings.audio_dir)
    if args.to != "spotify":
        report = export_tracks(tracks, args.to, args.out or _default_out(settings, name, args.to), name=name)
        print("\n".join(report.lines()))
        return 0
    return _export_to_spotify(conn, tracks, name, args.public, settings, destination=args.playlist)


def _export_to_spotify(conn, tracks, name: str, public: bool, settings, *, destination: str | None = None) -> int:
    from catalog.playlist_export import counted
    from spotify.client import SpotifyClient, build_spotipy
    from spotify.export import add_to_playlist, demo_track_message, export_to_spotify
    from spotify.oauth import cli_cache, cli_login, oauth_manager

    demo = [t.display for t in tracks if t.is_demo]
    if demo:
        raise BadInputError(demo_track_message(demo))
    missing = [t.display for t in tracks if not t.spotify_id]
    ids = [t.spotify_id for t in tracks if t.spotify_id]
    if not ids:
        raise BadInputError("None of these tracks has a Spotify link (run `python cli.py match-spotify` first), "
                            "or export to csv/m3u/rekordbox instead.")
    cache = cli_cache(settings)
    if not cache.get_cached_token():
        cli_login(settings)
    client = SpotifyClient(build_spotipy(settings, oauth_manager(settings, cache)))
    if destination:
        url, added, held = add_to_playlist(client, destination, ids, conn=conn)
        already = f"; {counted(held, 'track')} already in it" if held else ""
        print(f"Added {counted(added, 'track')} to the Spotify playlist{already}: {url}")
    else:
        url = export_to_spotify(client, name, public, ids, conn=conn)
        print(f"Created the Spotify playlist {name!r} with {counted(len(ids), 'track')}: {url}")
    if missing:
        print(f"Left out {counted(len(missing), 'track')} without a Spotify link: " + "; ".join(missing[:10]))
    return 0
