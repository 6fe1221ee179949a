"""Matching catalog tracks to Spotify tracks: field-filtered search plus fuzzy scoring.

For a track `artists - title (version)` we search Spotify with field filters, most specific first:

1. `track:"title version" artist:"primary"`   (only when there is a version)
2. `track:"title" artist:"primary"`           (without the remix)
3. `track:"title" artist:"second artist"`     (when the primary is not found)
4. `title primary` (free text)                (punctuation Spotify's filters trip over)
5. `artist:"primary"`                         (a misspelt title, compared fuzzily)

and score every candidate (up to 10 per search, the 2026 limit) by the fuzzy similarity of the
normalised artist, title and version (and duration when known). The best candidate is accepted when
its score reaches `threshold` and artist and title both agree on their own; otherwise the track is
rejected (and remembered, so it is not searched again).

>>> result = match_track(search, parse_track_name("Dapayk Solo", "Halo (Beatamines Remix)"))
>>> result.status, result.spotify_id, round(result.confidence, 2)
('accepted', '4LZuV8PF9iAyTMxt4UACeg', 0.98)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from catalog.identity import TrackName, fold, normalise_version, parse_track_name

DEFAULT_THRESHOLD = 0.90
MIN_ARTIST = 0.75
MIN_TITLE = 0.80
SEARCH_LIMIT = 10
SURE = 0.97  # a candidate this good ends the search early

Search = Callable[[str, int], list]  # (query, limit) -> list of Spotify track objects

_DASH_VERSION = re.compile(r"\s+-\s+(.+)$")
_UNCLOSED_BRACKET = re.compile(r"\s*[\[\(][^\]\)]*$")
_QUOTE = re.compile(r'["]')
_NOISE_VERSION = re.compile(
    r"\b(remaster(?:ed)?(?:\s+\d{4})?|\d{4}\s+remaster(?:ed)?|radio edit|single version|bonus track|"
    r"original mix|original version|album version|extended mix|extended version|mixed|from .*|"
    r"mixed|mix ?cut|continuous mix|radio|club edit|12 (?:inch )?(?:edit|mix|version)|"
    r"[a-z]*\d{3,}[a-z0-9]*|(?:fsoe|asot) \d+)\b",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")


@dataclass(frozen=True)
class Candidate:
    """A Spotify track as comparable parts; `score` set by `score_candidate`."""

    spotify_id: str
    artists: tuple[str, ...]
    title: str
    version: str
    isrc: str | None
    duration_ms: int | None
    display: str


@dataclass
class MatchResult:
    """The outcome for one track: `status` is 'accepted' or 'rejected'."""

    status: str
    spotify_id: str | None = None
    confidence: float = 0.0
    isrc: str | None = None
    detail: str = ""
    queries: list = field(default_factory=list)


def split_dash_version(title: str) -> tuple[str, str]:
    """Spotify's ` - version` suffix split off: `"Jubel - Radio Edit"` → `("Jubel", "Radio Edit")`.

    Everything after the first spaced dash counts as the version; `(title, "")` without one.
    """
    dash = _DASH_VERSION.search(title)
    return (title[: dash.start()], dash.group(1)) if dash else (title, "")


def candidate_from_track(track: dict) -> Candidate:
    """Split a Spotify track object's name (`Title - X Remix`, `Title (X Remix)`, `(feat. Y)`) into parts."""
    name = track.get("name") or ""
    artists = tuple(a.get("name") or "" for a in track.get("artists") or [] if a.get("name"))
    title, version = split_dash_version(name)
    parsed = parse_track_name(artists[0] if artists else "?", title)
    version = version or (parsed.version or "")
    return Candidate(
        spotify_id=track.get("id") or "",
        artists=artists + tuple(a for a in parsed.featured if a not in artists),
        title=parsed.title,
        version=version,
        isrc=(track.get("external_ids") or {}).get("isrc"),
        duration_ms=track.get("duration_ms"),
        display=f"{', '.join(artists)} - {name}",
    )


def clean_title(title: str) -> str:
    """A catalog title without unclosed label brackets and quotes (search syntax)."""
    return _QUOTE.sub("", _UNCLOSED_BRACKET.sub("", title)).strip(" -")


def comparable_version(version: str | None) -> str:
    """Version folded, with words that do not make another recording (remaster, radio edit, the
    'mixed' of a DJ-mix compilation, catalogue numbers…) removed."""
    text = _NOISE_VERSION.sub(" ", fold(version or ""))
    return normalise_version(text)


def search_queries(name: TrackName) -> list[str]:
    """The field-filtered searches for `name`, most specific first (no duplicates)."""
    title = clean_title(name.title)
    primary = _QUOTE.sub("", name.artists[0]).strip()
    version = comparable_version(name.version)
    queries = []
    if version:
        queries.append(f'track:"{title} {_QUOTE.sub("", name.version or "")}" artist:"{primary}"')
    queries.append(f'track:"{title}" artist:"{primary}"')
    if len(name.artists) > 1:
        queries.append(f'track:"{title}" artist:"{_QUOTE.sub("", name.artists[1]).strip()}"')
    free = " ".join(w for w in fold(f"{title} {primary}").split() if len(w) > 1)
    if free:
        queries.append(free)
    queries.append(f'artist:"{primary}"')  # a misspelt title: the artist's own tracks, compared fuzzily
    seen: set[str] = set()
    return [q for q in queries if not (q in seen or seen.add(q))]


def _artist_similarity(name: TrackName, candidate: Candidate) -> float:
    ours = [fold(a) for a in name.artists + name.featured if fold(a)]
    theirs = [fold(a) for a in candidate.artists if fold(a)]
    if not ours or not theirs:
        return 0.0
    primary = max(fuzz.ratio(ours[0], t) for t in theirs) / 100
    whole = fuzz.token_set_ratio(" ".join(ours), " ".join(theirs)) / 100
    return max(primary, whole * 0.95)


def _title_similarity(name: TrackName, candidate: Candidate) -> float:
    ours, theirs = fold(clean_title(name.title)), fold(candidate.title)
    if not ours or not theirs:
        return 0.0
    similarity = max(fuzz.ratio(ours, theirs), fuzz.token_sort_ratio(ours, theirs)) / 100
    bare = fold(_BRACKETS.sub(" ", candidate.title))  # 'Machine (SPOT042019)', 'Friends (with X)'
    if bare and bare != theirs:
        similarity = max(similarity, 0.97 * max(fuzz.ratio(ours, bare), fuzz.token_sort_ratio(ours, bare)) / 100)
    return similarity


def _version_similarity(name: TrackName, candidate: Candidate) -> float:
    ours, theirs = comparable_version(name.version), comparable_version(candidate.version)
    if ours == theirs:
        return 1.0
    if not ours or not theirs:
        return 0.45  # one side is a remix/edit, the other the original
    return (fuzz.token_set_ratio(ours, theirs) + fuzz.token_sort_ratio(ours, theirs)) / 200


def _readings(name: TrackName) -> Iterator[TrackName]:
    """`name` as it is and, when its title has Spotify's ` - version` suffix (a catalog title copied
    from Spotify, `Jubel - Radio Edit`), split the way `candidate_from_track` splits Spotify's names."""
    yield name
    title, tail = split_dash_version(name.title)
    if tail:
        yield replace(name, title=title, version=f"{tail} ({name.version})" if name.version else tail)


def score_candidate(name: TrackName, candidate: Candidate, duration_ms: int | None = None) -> tuple[float, dict]:
    """Confidence in [0, 1] that `candidate` is the recording `name` (and the parts it is made of).

    A title with a ` - ` in it is scored both as it is and split like Spotify's names; the better counts.
    """
    return max((_score(reading, candidate, duration_ms) for reading in _readings(name)), key=lambda s: s[0])


def _score(name: TrackName, candidate: Candidate, duration_ms: int | None) -> tuple[float, dict]:
    parts = {
        "artist": _artist_similarity(name, candidate),
        "title": _title_similarity(name, candidate),
        "version": _version_similarity(name, candidate),
    }
    score = 0.4 * parts["artist"] + 0.4 * parts["title"] + 0.2 * parts["version"]
    if duration_ms and candidate.duration_ms:
        off = abs(duration_ms - candidate.duration_ms) / 1000
        parts["duration"] = max(0.0, 1 - max(0.0, off - 5) / 60)
        score = 0.85 * score + 0.15 * parts["duration"]
    return score, parts


def match_track(
    search: Search,
    name: TrackName,
    *,
    duration_ms: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> MatchResult:
    """Search Spotify for `name` and accept the best candidate if it is convincing.

    `search(query, limit)` returns Spotify track objects (e.g. `SpotifyClient.search_tracks`).
    Stops at the first query whose best candidate is accepted.
    """
    best: tuple[float, Candidate, dict] | None = None
    queries: list[str] = []
    for query in search_queries(name):
        queries.append(query)
        for track in search(query, SEARCH_LIMIT):
            candidate = candidate_from_track(track)
            if not candidate.spotify_id:
                continue
            score, parts = score_candidate(name, candidate, duration_ms)
            if best is None or score > best[0] + 1e-9:
                best = (score, candidate, parts)
        if best is not None and best[0] >= SURE and _acceptable(best, threshold):
            break
    if best is None:
        return MatchResult("rejected", detail="no search results", queries=queries)
    score, candidate, parts = best
    detail = f"best {candidate.display!r} " + " ".join(f"{k}={v:.2f}" for k, v in parts.items())
    if _acceptable(best, threshold):
        return MatchResult("accepted", candidate.spotify_id, round(score, 4), candidate.isrc, detail, queries)
    return MatchResult("rejected", None, round(score, 4), None, detail, queries)


def _acceptable(best: tuple[float, Candidate, dict], threshold: float) -> bool:
    score, _, parts = best
    return score >= threshold and parts["artist"] >= MIN_ARTIST and parts["title"] >= MIN_TITLE
