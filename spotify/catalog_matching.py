"""Running the Spotify matcher over the catalog: resumable, demo-safe, with a coverage report.

Tracks are taken most-played first. Each outcome is written at once (`spotify_matches`, and for an
accepted match `tracks.spotify_id` / `tracks.isrc`), so an interrupted run loses at most one track;
rejected tracks are remembered and not searched again (unless `retry_rejected`). Demo tracks
(`tracks.is_demo = 1`) are never sent to Spotify, nor are tracks that already have a Spotify ID.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from tqdm import tqdm

from catalog.db import transaction
from catalog.identity import parse_track_name
from errors import BadInputError, NotFoundError
from spotify.matching import DEFAULT_THRESHOLD, Search, match_track

logger = logging.getLogger(__name__)


@dataclass
class Coverage:
    """How much of the (non-demo) catalog is linked to Spotify."""

    tracks: int
    with_spotify_id: int
    accepted: int
    rejected: int
    errors: int
    unsearched: int
    demo_skipped: int
    mean_confidence: float | None

    def lines(self) -> list[str]:
        share = self.with_spotify_id / self.tracks if self.tracks else 0.0
        mean = "n/a" if self.mean_confidence is None else f"{self.mean_confidence:.3f}"
        return [
            f"Spotify coverage: {self.with_spotify_id} of {self.tracks} tracks ({share:.1%}) have a Spotify ID",
            f"  matched by search: {self.accepted} (mean confidence {mean}); rejected: {self.rejected}; "
            f"errors: {self.errors}; not searched yet: {self.unsearched}",
            f"  demo tracks never sent to Spotify: {self.demo_skipped}",
        ]


def coverage(conn: sqlite3.Connection) -> Coverage:
    """The coverage report of the catalog as it is now."""
    row = conn.execute(
        """SELECT
             SUM(t.is_demo = 0),
             SUM(t.is_demo = 0 AND t.spotify_id IS NOT NULL),
             SUM(t.is_demo = 0 AND m.status = 'accepted'),
             SUM(t.is_demo = 0 AND m.status = 'rejected'),
             SUM(t.is_demo = 0 AND m.status = 'error'),
             SUM(t.is_demo = 0 AND t.spotify_id IS NULL AND m.track_id IS NULL),
             SUM(t.is_demo = 1),
             AVG(CASE WHEN m.status = 'accepted' THEN m.confidence END)
           FROM tracks t LEFT JOIN spotify_matches m ON m.track_id = t.id"""
    ).fetchone()
    values = [int(v or 0) for v in row[:7]]
    return Coverage(*values, mean_confidence=row[7])


def tracks_to_match(conn: sqlite3.Connection, *, limit: int | None = None, retry_rejected: bool = False) -> list:
    """Rows (id, artist, title, version, duration_ms) still to search, most played first; never demo tracks."""
    statuses = "('error', 'rejected')" if retry_rejected else "('error')"
    sql = f"""SELECT t.id, t.artist, t.title, t.version, t.duration_ms
              FROM tracks t LEFT JOIN spotify_matches m ON m.track_id = t.id
              WHERE t.is_demo = 0 AND t.spotify_id IS NULL AND (m.track_id IS NULL OR m.status IN {statuses})
              ORDER BY (SELECT COUNT(*) FROM plays p WHERE p.track_id = t.id) DESC, t.id"""
    if limit is not None:
        if limit < 1:
            raise BadInputError(f"--limit {limit} must be a positive number of tracks.")
        sql += f" LIMIT {int(limit)}"
    return conn.execute(sql).fetchall()


def _store(conn: sqlite3.Connection, track_id: int, status: str, spotify_id: str | None, confidence: float | None,
           isrc: str | None, detail: str) -> None:
    with transaction(conn):
        conn.execute(
            """INSERT OR REPLACE INTO spotify_matches (track_id, status, spotify_id, confidence, isrc, detail, searched_at)
               VALUES (?, ?, ?, ?, ?, ?, datetime('now'))""",
            (track_id, status, spotify_id, confidence, isrc, detail[:500]),
        )
        if status == "accepted":
            conn.execute(
                "UPDATE tracks SET spotify_id = ?, isrc = COALESCE(isrc, ?) WHERE id = ? AND is_demo = 0",
                (spotify_id, isrc, track_id),
            )


def match_catalog(
    conn: sqlite3.Connection,
    search: Search,
    *,
    limit: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    retry_rejected: bool = False,
    show_progress: bool = True,
) -> dict:
    """Match the catalog's unmatched tracks; returns counts of this run {'accepted', 'rejected', 'error'}.

    A failure of the service itself (rate limit, quota, credentials, outage) stops the run with its
    `CratediggerError`; everything finished before it is kept, and the next run continues from there.
    """
    rows = tracks_to_match(conn, limit=limit, retry_rejected=retry_rejected)
    counts = {"accepted": 0, "rejected": 0, "error": 0}
    bar = tqdm(rows, desc="matching on Spotify", unit="track", disable=not show_progress or None)
    for row in bar:
        try:
            name = parse_track_name(row["artist"], row["title"], row["version"])
            result = match_track(search, name, duration_ms=row["duration_ms"], threshold=threshold)
        except (BadInputError, NotFoundError, ValueError) as error:  # this track's query, not the service
            _store(conn, row["id"], "error", None, None, None, str(error))
            counts["error"] += 1
            continue
        _store(conn, row["id"], result.status, result.spotify_id, result.confidence, result.isrc, result.detail)
        counts[result.status] += 1
        bar.set_postfix(accepted=counts["accepted"], rejected=counts["rejected"], refresh=False)
    return counts
