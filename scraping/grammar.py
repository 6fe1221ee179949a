"""The tracklist-line grammar shared by the wikitext and HTML parsers.

One MixesDB tracklist line, with its list marker already removed or not, e.g.

    # [1:02:03] Roni Size & Reprazent - Down (Re-Edit) [Talkin' Loud - TLX 30]

becomes a `TrackLine` of kind `track` with cue `1:02:03`, artist `Roni Size & Reprazent`
(artists `["Roni Size", "Reprazent"]`, primary first), title `Down`, version `Re-Edit`,
label `Talkin' Loud` and catalog number `TLX 30`. Other kinds: `unknown` (`?`, `ID - ID`,
`Unknown`, a `?` artist or title, text with no `Artist - Title` in it), `gap` (`...`) and
`heading` (`;Part 2`). A ` w/ ` mashup is a track whose `parts` are the pieces played together.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from itertools import pairwise

# Cues: [00] [000] [1:02] [12:34] [1:02:03] [??] [3?] [0??] [084:06]; digits may be '?'.
_CUE = re.compile(r"^\[\s*((?:[0-9?]{1,3}:){0,2}[0-9?]{1,3})\s*\]\s*")
_LIST_MARKER = re.compile(r"^[#*:]+\s*")
_NUMBER = re.compile(r"^\d{1,3}[.)]\s+")  # `01. `, `1) `: a numbered tracklist copied as text
# What else a DJ's copied list puts first, with a mark after it: `#3 `, a number in its own tab-separated column
# (`1<TAB>A - T`, a table copied as text: no artist's name holds a tab), a number or time before a dash that is
# not the artist's own (`03 - A - T`, `1:02:03 - A - T`), or a time in brackets (`(1:02:03) `).
_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}"
_MARKED_PREFIX = re.compile(
    rf"^(?:\d{{1,3}}[.)]?\t\s*|#\d{{1,3}}[.)]?\s+|(?:\d{{1,3}}|{_TIME})\s+[-–—]\s+(?=.+\s[-–—]\s)|\({_TIME}\)(?:\s+[-–—])?\s+)"
)
# ... or only a space: a number or a time (`01 `, `00:00 ` from a video's description), when what follows names a
# track on its own (`Artist - Title`, tab-separated columns, a Spotify link). `009 `, an unpadded `2 ` or `808 ` and
# an unpadded `4:20 ` may start a name (`009 Sound System`, `2 Unlimited`, `808 State`, `4:20 Crew`): they are
# dropped only in a list numbered throughout (`pasted_track_texts`), or when only the text without them names a
# track (`name_like_number_dropped`).
_SPACED_PREFIX = re.compile(rf"^(?:\d{{1,3}}|{_TIME})\s+(?=\S.*(?:\s[-–—]\s|\t)|spotify:|https?://)")
_NAME_LIKE_PREFIX = re.compile(r"^(?:0\d\d|[1-9]\d{0,2}|[1-9]\d?:\d\d)\s+(?!spotify:|https?://)")  # none before a link
_LEADING_NUMBER = re.compile(rf"^#?\(?({_TIME}|\d{{1,3}})\b")
_NAMES_TRACK = re.compile(r"\s[-–—]\s|\t|spotify:|https?://")  # what a line naming a track holds
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_WIKILINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_EXTLINK = re.compile(r"\[(?:https?:)?//[^\s\]]+\s*([^\]]*)\]")
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_BOLD_ITALIC = re.compile(r"'{2,}")
_BOLD_NOTE = re.compile(r"'{3}[^']*:\s*'{3}\s*")
_SPACES = re.compile(r"\s+")
_GAP = re.compile(r"^(?:\.{2,}|…+|-{2,})\s*(?:\.{2,}|…+)?$")
# Separator between artist and title: ' - ' (or an en/em dash); tolerant forms come second.
_SEPARATOR = re.compile(r"\s+[-–—]+\s+")
_LOOSE_SEPARATORS = (re.compile(r"\s+[-–—](?=\S)"), re.compile(r"(?<=[^\s-])[-–—]\s+"))
# Text outside list items that is still a tracklist entry: a bare cue line or a gap.
LOOSE_ENTRY = re.compile(r"^\s*(?:\[[0-9?:]+\]|\.{2,}|…)")
_MASHUP = re.compile(r"\s+w/\s+", re.IGNORECASE)
_UNKNOWN_WORDS = {
    "",
    "?",
    "??",
    "???",
    "id",
    "unknown",
    "unknown artist",
    "unknown track",
    "unidentified",
    "tba",
}
_FEAT = re.compile(r"\s+\(?(?:feat\.?|ft\.?|featuring)\s+", re.IGNORECASE)
_ARTIST_SPLIT = re.compile(r"\s+(?:&|vs\.?|versus|x|b2b)\s+|\s*,\s*|\s+&|&\s+", re.IGNORECASE)
_VERSION_WORDS = re.compile(
    r"\b(?:mix|remix|rmx|edit|dub|version|rework|re-?edit|bootleg|vip|instrumental|vocal|acapella|a cappella|"
    r"remaster(?:ed)?|extended|reprise|interpretation|refix|flip|cut|live|demo|re-?work|re-?mix|mixed|"
    r"a?cc?app?ella|\w+pella|mash-?up|reconstruction|remake|rerub|interlude|bonus beats|re-?lick|megamix|medley)\b",
    re.IGNORECASE,
)
# A trailing `[...]` is a version rather than a label when it ends with one of these words
# (`[Tiefschwarz Remix]`, `[Acapella]`, `[Live]`); `[Reprise]`, `[Hot Mix 5]`, `[Mix Mash]` stay labels.
_BRACKET_VERSION = re.compile(
    r"(?:\b(?:remix|rmx|rework|re-?edit|edit|acapella|a cappella|instrumental|version|bootleg|vip|dub|live|mix|"
    r"remaster(?:ed)?|refix|flip|cut|vocal))$",
    re.IGNORECASE,
)
_TRAILING_BRACKET = re.compile(r"\s*\[([^\[\]]*)\]\s*$")
_TRAILING_PAREN = re.compile(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$")
_TITLE_FEAT = re.compile(r"\s*\((?:feat\.?|ft\.?|featuring)\s+([^()]*)\)", re.IGNORECASE)
_CATALOG_SPLIT = re.compile(r"\s+[-–]\s+")


@dataclass
class TrackPart:
    """One recording named on a line: artists (primary first), the artist text as written, title, version."""

    artist: str
    artists: list[str]
    title: str
    version: str | None = None
    unknown: bool = False
    label: str | None = None  # a label written in parentheses after the version, if any


@dataclass
class TrackLine:
    """A parsed tracklist line. `kind` is 'track', 'unknown', 'gap' or 'heading'."""

    kind: str
    raw: str
    cue: str | None = None
    parts: list[TrackPart] = field(default_factory=list)
    label: str | None = None
    catalog: str | None = None
    heading: str | None = None

    @property
    def is_track(self) -> bool:
        return self.kind == "track"


def clean_markup(text: str) -> str:
    """Wikitext/HTML markup of one line reduced to its visible text (links, bold, comments, tags, entities)."""
    if "<" in text:
        text = _COMMENT.sub("", text)
    if "[" in text:
        text = _WIKILINK.sub(r"\1", text)
        text = _EXTLINK.sub(r"\1", text)
    if "{{" in text:
        text = _TEMPLATE.sub("", text)
    if "<" in text:
        text = _TAG.sub("", text)
    if "''" in text:
        text = _BOLD_NOTE.sub("", text)  # a bold note ending in ':' before the artist is not the artist
        text = _BOLD_ITALIC.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return _SPACES.sub(" ", text).strip()


def split_artists(artist: str) -> list[str]:
    """`"A & B feat. C"` → `["A", "B", "C"]`: the credited artists in order, the primary one first."""
    names: list[str] = []
    for chunk in _FEAT.split(" " + artist + " "):
        for name in _ARTIST_SPLIT.split(chunk.strip()):
            name = name.strip()
            if name.count(")") > name.count("("):  # the end of '(feat. B)'
                name = name[: name.rfind(")")].strip()
            if name and name not in names:
                names.append(name)
    return names or [artist.strip()]


def _is_unknown(text: str) -> bool:
    folded = text.strip().strip("'\"").strip().casefold()
    return folded in _UNKNOWN_WORDS or set(folded) <= {"?", " "}


def _split_label(text: str) -> tuple[str, str | None, str | None, str | None]:
    """Peel a trailing `[Label - CAT 001]` off `text`: (rest, label, catalog, bracketed version)."""
    match = _TRAILING_BRACKET.search(text)
    if not match or match.start() == 0:
        return text, None, None, None
    inner = match.group(1).strip()
    rest = text[: match.start()].rstrip()
    if _BRACKET_VERSION.search(inner) and not _CATALOG_SPLIT.search(inner):
        # `[Vocal Version]` names a version, not a label; a label may still precede it.
        rest2, label, catalog, _ = _split_label(rest)
        return rest2, label, catalog, inner
    if not inner or _is_unknown(inner):
        return rest, None, None, None
    label, catalog = inner, None
    pieces = _CATALOG_SPLIT.split(inner)
    if len(pieces) >= 2 and any(ch.isdigit() for ch in pieces[-1]):
        label, catalog = " - ".join(pieces[:-1]).strip(), pieces[-1].strip()
    return rest, label or None, catalog, None


def _split_version(title: str) -> tuple[str, str | None, str | None]:
    """`"Down (Re-Edit)"` → `("Down", "Re-Edit", None)`: title, version and a label in parentheses.

    A trailing bracket without version words stays in the title, except after a version:
    `"Phantom Pt II (Soulwax Remix) (Ed Banger)"` → `("Phantom Pt II", "Soulwax Remix", "Ed Banger")`.
    """
    match = _TRAILING_PAREN.search(title)
    if match and match.start() > 0:
        inner = match.group(1).strip()
        if _VERSION_WORDS.search(inner):
            return title[: match.start()].rstrip(), inner, None
        before = _TRAILING_PAREN.search(title[: match.start()])
        if before and before.start() > 0 and _VERSION_WORDS.search(before.group(1)):
            return title[: before.start()].rstrip(), before.group(1).strip(), inner
    match = _TRAILING_BRACKET.search(title)
    if match and match.start() > 0 and _BRACKET_VERSION.search(match.group(1)):
        return title[: match.start()].rstrip(), match.group(1).strip(), None
    return title, None, None


def _split_outside_brackets(text: str, pattern: re.Pattern[str]) -> tuple[str, str] | None:
    """Split at the first match of `pattern` that is not inside (), [] or {}."""
    for match in pattern.finditer(text):
        before = text[: match.start()]
        if before.count("(") == before.count(")") and before.count("[") == before.count("]"):
            return before.strip(), text[match.end() :].strip()
    return None


def split_artist_title(text: str) -> tuple[str, str] | None:
    """`"Artist - Title (Remix)"` -> ("Artist", "Title (Remix)"), split at the first ` - ` (or en/em dash)
    outside brackets; None without one, or when the artist or title is a placeholder (`ID`, `?`, `Unknown`)."""
    split = _split_outside_brackets(text, _SEPARATOR)
    if split is None or not split[0] or not split[1] or _is_unknown(split[0]) or _is_unknown(split[1]):
        return None
    return split


def names_unknown_track(text: str) -> bool:
    """True for a placeholder line: `?`, `ID - ID`, `Artist - ?`, `? - Title` (MixesDB's unknown tracks)."""
    split = _split_outside_brackets(text, _SEPARATOR)
    return _is_unknown(text) if split is None else (_is_unknown(split[0]) or _is_unknown(split[1]))


def parse_track_part(text: str, version: str | None = None) -> TrackPart:
    """`"Artist - Title (Remix)"` → a `TrackPart`; no separator gives an unknown part titled `text`."""
    split = _split_outside_brackets(text, _SEPARATOR)
    if split is None:
        for loose in _LOOSE_SEPARATORS:
            split = _split_outside_brackets(text, loose)
            if split is not None and split[0] and split[1]:
                break
            split = None
    if split is None or not split[0] or not split[1]:
        return TrackPart(artist="", artists=[], title=text.strip(), version=version, unknown=True)
    artist, title = split
    featured: list[str] = []
    feat = _TITLE_FEAT.search(title)
    if feat:
        featured = split_artists(feat.group(1))
        title = (title[: feat.start()] + title[feat.end() :]).strip()
    title, title_version, paren_label = _split_version(title)
    artists = split_artists(artist) + [name for name in featured if name not in artist]
    unknown = _is_unknown(artist) or _is_unknown(title)
    return TrackPart(
        artist=artist,
        artists=artists,
        title=title,
        version=version or title_version,
        unknown=unknown,
        label=paren_label,
    )


def split_cue(text: str) -> tuple[str | None, str]:
    """`"[1:02:03] A - T"` → `("1:02:03", "A - T")`; `(None, text)` when `text` does not start with a cue."""
    match = _CUE.match(text)
    return (match.group(1), text[match.end() :].strip()) if match else (None, text)


def pasted_track_text(line: str, *, numbered_list: bool = False) -> str:
    """A tracklist line as a DJ copies it (`# [00] A - T`, `[1:02:03] A - T [Label]`, `[01] A - T`, `01. A - T`,
    `01 A - T`, `03 - A - T`, `00:00 A - T` from a video's description) → the text naming its track (`A - T`, a label
    kept): the list marker, cue, number or timestamp is removed. A bare `2 Unlimited - …` is an artist: kept, and so
    are `009 …` and `4:20 …` unless the line is one of a `numbered_list` (see `pasted_track_texts`)."""
    line = line.strip()
    text = _without_number(line, numbered_list)  # `#3 `, `1<TAB>`, `00:00 `: before `#` is read as a list marker
    if text != line:
        return text
    _, text = split_cue(_LIST_MARKER.sub("", line))
    unnumbered = _NUMBER.sub("", text)  # `1. 009 Sound System - …`: the list's number is gone, the artist's stays
    if unnumbered != text:
        unnumbered = split_cue(unnumbered)[1]  # `01. [00:00] A - T`: the number, then the cue
    return _without_number(unnumbered, numbered_list and unnumbered == text)


def pasted_track_texts(lines: list[str]) -> list[str]:
    """`pasted_track_text` of each line; in a list numbered throughout (`_numbered_throughout`), a number that may
    start a name (`009 `, `2 `, `4:20 `) is the list's and is dropped."""
    numbered = _numbered_throughout([line for line in lines if line.strip()])
    return [pasted_track_text(line, numbered_list=numbered) for line in lines]


def _without_number(text: str, numbered_list: bool) -> str:
    """`text` without the number or time a copied list put first (see `_MARKED_PREFIX`, `_SPACED_PREFIX`)."""
    match = _MARKED_PREFIX.match(text)
    if match is None and (numbered_list or not _NAME_LIKE_PREFIX.match(text)):
        match = _SPACED_PREFIX.match(text)
    return text[match.end():] if match else text


def name_like_number_dropped(text: str) -> str | None:
    """`text` without a leading `009 ` or unpadded `4:20 ` kept as possibly an artist's (`009 Sound System`), for
    when no track is so named (`5:45 Nono - Body`, one line of a video's description); None when it has none."""
    if not _NAME_LIKE_PREFIX.match(text):
        return None
    match = _SPACED_PREFIX.match(text)
    return text[match.end():] if match else None


def _numbered_throughout(lines: list[str]) -> bool:
    """Whether at least three lines each start with a number counting up by one, or at least two each with a time
    counting up (a line that names no track, such as a `Tracklist:` heading, aside). Two lines `2 Unlimited - …`,
    `3 Doors Down - …` are no list: a shorter list's numbers go when only the text without them names a track."""
    lines = [line.strip() for line in lines]
    numbers = [_LEADING_NUMBER.match(line) for line in lines if _LEADING_NUMBER.match(line) or _NAMES_TRACK.search(line)]
    if len(numbers) < 2 or not all(numbers):
        return False
    tokens = [number.group(1) for number in numbers]
    if len({":" in token for token in tokens}) > 1:
        return False
    values = [_seconds_or_number(token) for token in tokens]
    if ":" in tokens[0]:
        return all(a < b for a, b in pairwise(values))
    return len(values) >= 3 and all(b == a + 1 for a, b in pairwise(values))  # `009 Sound System`, `808 State`


def _seconds_or_number(token: str) -> int:
    """`"1:02:03"` → 3723, `"09"` → 9."""
    value = 0
    for part in token.split(":"):
        value = 60 * value + int(part)
    return value


def parse_tracklist_line(line: str) -> TrackLine | None:
    """Parse one tracklist line (wikitext or the text of an HTML list item); None for an empty line."""
    raw = line.strip()
    if not raw:
        return None
    if raw.startswith(";"):
        heading = clean_markup(raw.lstrip(";"))
        return TrackLine(kind="heading", raw=raw, heading=heading) if heading else None
    text = clean_markup(_LIST_MARKER.sub("", raw))
    cue, text = split_cue(text)
    if not text:
        return TrackLine(kind="unknown", raw=raw, cue=cue) if cue else None
    if _GAP.match(text):
        return TrackLine(kind="gap", raw=raw, cue=cue)
    if text.startswith("+ "):  # '+ Artist - Title': played on top of the previous track
        text = text[2:]
    text, label, catalog, bracket_version = _split_label(text)
    pieces = _MASHUP.split(text)
    parts = [parse_track_part(piece) for piece in pieces if piece.strip()]
    if bracket_version and parts:
        last = parts[-1]
        if last.version is None:
            last.version = bracket_version
        else:
            last.title = f"{last.title} ({last.version})"
            last.version = bracket_version
    if not parts:
        return TrackLine(kind="unknown", raw=raw, cue=cue, label=label, catalog=catalog)
    if label is None and parts[-1].label:
        label = parts[-1].label
    if len(parts) == 1 and parts[0].unknown:
        return TrackLine(kind="unknown", raw=raw, cue=cue, parts=parts, label=label, catalog=catalog)
    known = [part for part in parts if not part.unknown]
    if not known:
        return TrackLine(kind="unknown", raw=raw, cue=cue, parts=parts, label=label, catalog=catalog)
    return TrackLine(kind="track", raw=raw, cue=cue, parts=parts, label=label, catalog=catalog)
