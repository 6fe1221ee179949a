"""Catalogue entries for the fake Spotify: real track IDs with their real names.

The entries come from the real matched sets in `../shared/fixtures/sets/*.csv`
(`spotify_id`, `artist`, `spotify_song_name`) when present, else from the committed excerpt
`tests/fixtures/spotify/catalogue-excerpt.json`. Track objects follow the 2026 `TrackObject`
shape (`preview_url` null, `external_ids.isrc` present; ISRCs are synthetic `ZZ…` codes,
durations synthetic and deterministic). `with_distractors` adds look-alikes (other remixes of
the same title, the original of a remix, a cover by another artist) so matching is tested
against the confusions real search results contain.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SETS_DIR = REPO.parent / "shared" / "fixtures" / "sets"
EXCERPT = REPO / "tests" / "fixtures" / "spotify" / "catalogue-excerpt.json"
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ARTIST_SPLIT = re.compile(r"\s+(?:&|feat\.?|ft\.?|featuring|vs\.?|x)\s+|\s*,\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One catalogue track: `artists` as Spotify credits them, `name` as Spotify titles it."""

    spotify_id: str
    artists: tuple[str, ...]
    name: str
    real: bool = True  # False for generated distractors


def repair(text: str) -> str:
    """Undo UTF-8 read as Mac Roman (the set CSVs' mojibake)."""
    if not text or text.isascii():
        return text
    try:
        return text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def fake_id(seed: str) -> str:
    """A deterministic 22-character base-62 ID for a generated entry."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, rest = divmod(number, 62)
        chars.append(_B62[rest])
    return "".join(chars)


def split_credits(artist: str) -> tuple[str, ...]:
    parts = [p.strip() for p in _ARTIST_SPLIT.split(artist.strip()) if p and p.strip()]
    return tuple(parts) or (artist.strip(),)


def set_rows(sets_dir: Path | None = None) -> list[dict]:
    """All rows of the real set CSVs (empty when `../shared` is absent)."""
    sets_dir = SETS_DIR if sets_dir is None else sets_dir
    rows: list[dict] = []
    for path in sorted(sets_dir.glob("*.csv")) if sets_dir.is_dir() else []:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def entries_from_rows(rows: list[dict]) -> list[Entry]:
    """One entry per distinct `spotify_id`, credited as most rows credit it."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        spotify_id = (row.get("spotify_id") or "").strip()
        if len(spotify_id) == 22 and row.get("spotify_song_name"):
            seen[spotify_id][(repair(row["artist"]).strip(), repair(row["spotify_song_name"]).strip())] += 1
    return [
        Entry(spotify_id, split_credits(artist), name)
        for spotify_id, counts in seen.items()
        for (artist, name), _ in [counts.most_common(1)[0]]
    ]


def load_entries() -> list[Entry]:
    """Real entries from the set CSVs when available, else the committed excerpt."""
    rows = set_rows()
    if rows:
        return entries_from_rows(rows)
    data = json.loads(EXCERPT.read_text(encoding="utf-8"))
    return [Entry(e["spotify_id"], tuple(e["artists"]), e["name"]) for e in data["entries"]]


_VERSION_TAIL = re.compile(r"\s+-\s+(.*\b(?:remix|mix|edit|dub|version|rework)\b.*)$", re.IGNORECASE)


_PLAIN_TAIL = re.compile(r"^(?:original|extended|radio|club|album|main)\b|\bremaster", re.IGNORECASE)


def with_distractors(entries: list[Entry], *, seed: int = 7, originals: set[str] | None = None) -> list[Entry]:
    """`entries` plus look-alikes: for every entry another artist's remix of the same title and a cover
    of it by another artist; for a remix (not an extended/radio/original mix) also its original.
    `originals`, when given, limits the originals to those IDs (e.g. the remixes whose tracklist line
    names the remix: where the line does not say which version, the original is the better answer and
    the truth label could not be told apart). Generated IDs never collide with real ones."""
    rng = random.Random(seed)
    artist_pool = sorted({e.artists[0] for e in entries})
    out = list(entries)
    taken = {(e.artists[0].casefold(), e.name.casefold()) for e in entries}

    def add(candidate: Entry) -> None:  # never a second copy of a real recording
        key = (candidate.artists[0].casefold(), candidate.name.casefold())
        if key not in taken:
            taken.add(key)
            out.append(candidate)

    for entry in entries:
        base = _VERSION_TAIL.sub("", entry.name)
        other = rng.choice(artist_pool)
        add(Entry(fake_id("remix" + entry.spotify_id), entry.artists, f"{base} - {other} Remix", real=False))
        cover_artist = rng.choice(artist_pool)
        if cover_artist != entry.artists[0]:
            add(Entry(fake_id("cover" + entry.spotify_id), (cover_artist,), base, real=False))
        tail = entry.name[len(base):].strip(" -")
        wanted = originals is None or entry.spotify_id in originals
        if base != entry.name and wanted and not _PLAIN_TAIL.search(tail):
            add(Entry(fake_id("orig" + entry.spotify_id), entry.artists, base, real=False))
    return out


def track_object(entry: Entry) -> dict:
    """A 2026-shaped Spotify `TrackObject` for `entry`."""
    digest = hashlib.sha256(entry.spotify_id.encode()).hexdigest()
    isrc = "ZZCDG" + str(int(digest[:12], 16) % 10**7).zfill(7)
    duration_ms = 180_000 + int(digest[12:18], 16) % 300_000
    album_id = fake_id("album" + entry.spotify_id)
    artists = [
        {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{fake_id('artist' + name)}"},
            "href": f"https://api.spotify.com/v1/artists/{fake_id('artist' + name)}",
            "id": fake_id("artist" + name),
            "name": name,
            "type": "artist",
            "uri": f"spotify:artist:{fake_id('artist' + name)}",
        }
        for name in entry.artists
    ]
    return {
        "album": {
            "album_type": "single",
            "artists": artists[:1],
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"},
            "href": f"https://api.spotify.com/v1/albums/{album_id}",
            "id": album_id,
            "images": [],
            "is_playable": True,
            "name": entry.name,
            "release_date": "2019-01-01",
            "release_date_precision": "day",
            "total_tracks": 1,
            "type": "album",
            "uri": f"spotify:album:{album_id}",
        },
        "artists": artists,
        "disc_number": 1,
        "duration_ms": duration_ms,
        "explicit": False,
        "external_ids": {"isrc": isrc},
        "external_urls": {"spotify": f"https://open.spotify.com/track/{entry.spotify_id}"},
        "href": f"https://api.spotify.com/v1/tracks/{entry.spotify_id}",
        "id": entry.spotify_id,
        "is_local": False,
        "is_playable": True,
        "name": entry.name,
        "preview_url": None,
        "track_number": 1,
        "type": "track",
        "uri": f"spotify:track:{entry.spotify_id}",
    }
