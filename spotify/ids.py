"""Parsing what a DJ pastes: Spotify IDs, URIs and links, or `artist - title` text.

>>> parse_query("https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC?si=abc")
Query(kind='track', spotify_id='4uLU6hMCjMI75M1A2tKUQC', artist=None, title=None, text='…')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from errors import BadInputError, quoted

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_URI = re.compile(r"^spotify:(?P<kind>[a-z]+):(?P<id>[^:\s]+)$", re.IGNORECASE)
_USER_PLAYLIST_URI = re.compile(r"^spotify:user:[^:]+:playlist:(?P<id>[^:\s]+)$", re.IGNORECASE)
_KINDS = {"track", "album", "playlist", "artist", "episode", "show", "audiobook", "chapter", "user"}
_TEXT_SEPARATOR = re.compile(r"\s+[-–—]\s+")
_EXAMPLE = {"track": "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "playlist": "https://open.spotify.com/playlist/…"}
MAX_TEXT_CHARS = 300  # of a typed `artist - title` used (spaces collapsed); a track's name is far shorter


@dataclass(frozen=True)
class Query:
    """A parsed query: `kind` is 'track' or 'playlist' (with `spotify_id`) or 'text' (artist/title)."""

    kind: str
    spotify_id: str | None = None
    artist: str | None = None
    title: str | None = None
    text: str = ""


def is_spotify_id(value: str) -> bool:
    return bool(SPOTIFY_ID.match(value))


def _checked_id(kind: str, spotify_id: str, original: str) -> Query:
    if not is_spotify_id(spotify_id):
        raise BadInputError(
            f"{quoted(original)} does not contain a valid Spotify ID: an ID is 22 letters and digits "
            f"(got {quoted(spotify_id)}, {len(spotify_id)} characters)."
        )
    return Query(kind=kind, spotify_id=spotify_id, text=original)


def _kinds(allow: tuple[str, ...]) -> str:
    """`("track", "playlist")` → "track or playlist"."""
    return " or ".join(allow)


def _what_to_paste(allow: tuple[str, ...], *, text_ok: bool) -> str:
    """What to paste instead, naming the kinds asked for: 'paste a Spotify playlist link
    (https://open.spotify.com/playlist/…), URI or ID'; with `text_ok`, also 'or 'artist - title''."""
    looks = f" ({_EXAMPLE['playlist']})" if allow == ("playlist",) else ""
    return (f"paste a Spotify {_kinds(allow)} link{looks}, URI or ID"
            + (", or 'artist - title'" if text_ok else ""))


_SHORT_LINK_HOSTS = {"spotify.link", "spoti.fi", "spotify.app.link"}  # share links: redirects to open.spotify.com


def _is_link(text: str) -> bool:
    """Whether `text` is meant as a web link (a Spotify one, a short share link, or any URL)."""
    lower = text.lower()
    return "spotify.com" in lower or "://" in text or lower.split("/")[0] in _SHORT_LINK_HOSTS


def _from_url(text: str, allow: tuple[str, ...], text_ok: bool) -> tuple[str, str]:
    url = urlparse(text if "://" in text else "https://" + text)
    host = (url.hostname or "").lower()
    if host in _SHORT_LINK_HOSTS:  # resolving it would mean fetching it: not done behind the DJ's back
        raise BadInputError(f"{quoted(text)} is a Spotify short link: open it (it leads to open.spotify.com), then "
                            f"{_what_to_paste(allow, text_ok=False)} from there, or use Share → Copy link in Spotify.")
    if host not in {"open.spotify.com", "play.spotify.com"}:
        raise BadInputError(f"{quoted(text)} is not a Spotify link: {_what_to_paste(allow, text_ok=text_ok)}.")
    parts = [p for p in url.path.split("/") if p]
    if parts and re.match(r"^intl-[a-z]{2}(?:-[a-z]{2,4})?$", parts[0], re.IGNORECASE):
        parts = parts[1:]
    if parts and parts[0] == "embed":
        parts = parts[1:]
    if len(parts) >= 4 and parts[0] == "user" and parts[2] == "playlist":
        parts = parts[2:]
    if len(parts) < 2 or parts[0] not in _KINDS:
        raise BadInputError(f"{quoted(text)} is a Spotify link but not to a {_kinds(allow)}: open the {allow[0]} "
                            "and copy its link.")
    return parts[0], parts[1]


def parse_spotify_ref(text: str, *, allow: tuple[str, ...] = ("track",)) -> Query:
    """Parse an ID, URI or open.spotify.com link; `allow` lists the kinds accepted.

    Raises `BadInputError` for anything malformed or of another kind (an album where
    a track is expected), naming what was given and what to paste instead (the kinds of `allow`).
    """
    return _parse_ref(text, allow, text_ok=False)


def _parse_ref(text: str, allow: tuple[str, ...], *, text_ok: bool) -> Query:
    """`parse_spotify_ref`; with `text_ok` (`parse_query`) the messages also offer 'artist - title'."""
    original = text
    text = text.strip().strip("<>\"'")
    if not text:
        raise BadInputError(f"Nothing to look up: {_what_to_paste(allow, text_ok=text_ok)}.")
    if is_spotify_id(text):  # a bare ID is of the kind asked for (a track where tracks are)
        kind, spotify_id = ("track" if "track" in allow else allow[0]), text
    elif text.lower().startswith("spotify:"):
        match = _USER_PLAYLIST_URI.match(text) or _URI.match(text)
        if not match:
            forms = " or ".join(f"spotify:{kind}:<22-character ID>" for kind in allow)
            raise BadInputError(f"{quoted(original)} is not a Spotify URI of the form {forms}.")
        kind = match.groupdict().get("kind", "playlist").lower()
        spotify_id = match.group("id")
    elif _is_link(text):
        kind, spotify_id = _from_url(text, allow, text_ok)
    else:
        example = _EXAMPLE.get(allow[0], f"spotify:{allow[0]}:4uLU6hMCjMI75M1A2tKUQC")
        raise BadInputError(
            f"{quoted(original)} is not a Spotify {_kinds(allow)} ID, URI or link. A {_kinds(allow)} ID is 22 letters "
            f"and digits; a {allow[0]} {'link' if allow[0] == 'playlist' else 'URI'} looks like {example}."
        )
    if kind not in allow:
        wanted = " or ".join(allow)
        raise BadInputError(
            f"{quoted(original)} is a Spotify {kind}, not a {wanted}: open the {allow[0]} in Spotify and copy its "
            "link."
        )
    return _checked_id(kind, spotify_id, original)


def looks_like_ref(text: str) -> bool:
    """Whether `text` is meant as a Spotify reference (an ID, a `spotify:` URI or a link), not `artist - title`."""
    return is_spotify_id(text) or text.lower().startswith("spotify:") or _is_link(text)


def parse_query(text: str, *, allow: tuple[str, ...] = ("track",)) -> Query:
    """Parse a pasted query: a Spotify reference (see `parse_spotify_ref`) or `artist - title` text."""
    stripped = (text or "").strip().strip("<>\"'").strip()
    if not stripped or looks_like_ref(stripped):
        return _parse_ref(text, allow, text_ok=True)
    stripped = " ".join(stripped.split())[:MAX_TEXT_CHARS]
    parts = _TEXT_SEPARATOR.split(stripped, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return Query(kind="text", artist=parts[0].strip(), title=parts[1].strip(), text=stripped)
    if len(stripped) >= 2:
        return Query(kind="text", title=stripped, text=stripped)
    raise BadInputError(
        f"{quoted(text)} is too short to search for: paste a Spotify track link, URI or ID, or 'artist - title'."
    )
