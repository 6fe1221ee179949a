"""Track identity: one normalised key per recording.

`track_key("Âme feat. X", "Rej (Original Mix)")` and `track_key("Ame", "Rej")`
are the same key; `... (Dixon Edit)` is another. The key is
`artists - title (version)` in lower case ASCII, main artists sorted, featured
artists and "Original Mix"-like versions dropped.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Separators between credited artists. "x" is only a separator with spaces around it.
_FEAT = re.compile(r"\s*(?:[\(\[]\s*)?\b(?:feat\.?|ft\.?|featuring)\s+", re.IGNORECASE)  # no `\s*[(]?\s*`: cubic
_MAIN_SPLIT = re.compile(r"\s+(?:&|and|vs\.?|versus|x|b2b|with)\s+|\s*,\s*|\s*&\s*|\s+\+\s+", re.IGNORECASE)
_BRACKETED = re.compile(r"\s*[\(\[]([^\(\)\[\]]*)[\)\]]")  # innermost brackets: an unclosed run is linear
_LABEL_TAIL = re.compile(r"\s*\[[^\]\[]*\]?\s*$")  # "[Label]" or a truncated "[Lab"
_VERSION_WORDS = re.compile(
    r"\b(mix|remix|edit|dub|version|rework|re-?edit|bootleg|vip|instrumental|vocal|remaster(?:ed)?|"
    r"extended|reprise|interpretation|refix|flip|cut|acapella|live)\b",
    re.IGNORECASE,
)
# Versions that name the record itself rather than a different recording.
_PLAIN_VERSIONS = {
    "",
    "original",
    "original mix",
    "original version",
    "extended",
    "extended mix",
    "extended version",
    "extended original mix",
    "album version",
    "album mix",
    "main mix",
    "club mix",
}
# Letters NFKD does not split into base + accent.
_UNDECOMPOSABLE = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "AE",
     "œ": "oe", "Œ": "OE", "þ": "th", "ı": "i", "ð": "d"}
)
_NON_WORD = re.compile(r"[^\w ]+|_")  # keeps letters of every script
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class TrackName:
    """A track's credits split into parts; `artists[0]` is the primary artist."""

    artists: tuple[str, ...]
    featured: tuple[str, ...]
    title: str
    version: str | None

    @property
    def artist(self) -> str:
        return " & ".join(self.artists)

    @property
    def key(self) -> str:
        return make_key(self.artists, self.title, self.version)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as Mac Roman (`≈Åukasz` → `Łukasz`); other text is returned unchanged."""
    if not text or text.isascii():
        return text
    try:
        repaired = text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return repaired


def fold(text: str) -> str:
    """Lower-case ASCII with punctuation removed: the comparison form of a name."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("&", " and ").translate(_UNDECOMPOSABLE).casefold()
    text = text.replace("'", "").replace("’", "")
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def split_artists(artist: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`"A & B feat. C"` → `(("A", "B"), ("C",))`: main artists in order, then featured ones."""
    artist = _SPACES.sub(" ", artist).strip()  # one space per run: the patterns' `\s*` are quadratic in a run
    parts = _FEAT.split(artist, maxsplit=1)
    main, featured = parts[0], parts[1] if len(parts) > 1 else ""
    featured = featured.strip().rstrip(")]").strip()
    mains = tuple(a.strip() for a in _MAIN_SPLIT.split(main) if a and a.strip())
    feats = tuple(a.strip() for a in _MAIN_SPLIT.split(featured) if a and a.strip())
    return mains or (artist,), feats


def trailing_label(title: str) -> str | None:
    """`"Polaris [Mau5trap]"` → `"Mau5trap"`; also a truncated `"[Nite Grooves"`; None without one.

    A bracket naming a version (`[Tiefschwarz Remix]`) is not a label; a catalog number after
    ` - ` is cut (`[Kompakt - KOM 123]` → `"Kompakt"`).
    """
    match = _LABEL_TAIL.search(title.strip())
    if not match or match.start() == 0:
        return None
    inner = match.group(0).strip().lstrip("[").rstrip("]").strip()
    if not inner or _VERSION_WORDS.search(inner):
        return None
    label = re.split(r"\s+[-–]\s+", inner)[0].strip()
    return label or None


def split_title(title: str) -> tuple[str, str | None, tuple[str, ...]]:
    """`"Rej (Dixon Edit) [Innervisions]"` → `("Rej", "Dixon Edit", ())`.

    Trailing `[Label]` is dropped; a bracket that names a version (remix, edit, dub …)
    becomes the version; `(feat. X)` in the title gives featured artists.
    """
    title = _LABEL_TAIL.sub("", _SPACES.sub(" ", title).strip())  # one space per run, as in split_artists
    version = None
    featured: tuple[str, ...] = ()
    for match in list(_BRACKETED.finditer(title)):
        inner = match.group(1).strip()
        if _FEAT.match(" " + inner + " ") or re.match(r"(?i)^(feat\.?|ft\.?|featuring)\s", inner):
            featured += split_artists("x feat. " + inner.split(" ", 1)[-1])[1]
            title = title.replace(match.group(0), " ")
        elif _VERSION_WORDS.search(inner) and version is None:
            version = inner
            title = title.replace(match.group(0), " ")
    inline_feat = _FEAT.split(title, maxsplit=1)
    if len(inline_feat) > 1:
        title = inline_feat[0]
        featured += split_artists("x feat. " + inline_feat[1])[1]
    return _SPACES.sub(" ", title).strip(" -"), version, featured


@functools.lru_cache(maxsize=65_536)
def parse_track_name(artist: str, title: str, version: str | None = None) -> TrackName:
    """Split raw artist and title strings (as scraped or imported) into a `TrackName` (cached: an import asks
    for each row's name when checking it, when storing it and when comparing a set with the stored one)."""
    artist, title = repair_mojibake(artist), repair_mojibake(title)
    artists, featured = split_artists(artist)
    bare_title, title_version, title_featured = split_title(title)
    return TrackName(
        artists=artists,
        featured=featured + title_featured,
        title=bare_title or title.strip(),
        version=(version or title_version or None),
    )


_KIND_MIX = re.compile(r"\b(dub|vocal|instrumental) mix$")


def normalise_version(version: str | None) -> str:
    """Comparison form of a version: '' for the original, 'dub' for 'Dub Mix'."""
    folded = _KIND_MIX.sub(r"\1", fold(version or ""))
    return "" if folded in _PLAIN_VERSIONS else folded


_SYMBOLS_ONLY = re.compile(r"[!#*+$%@^~=<>|/\\]+")  # a name of symbols alone: the band !!!, not MixesDB's "?"


def _folded_name(text: str) -> str:
    """`fold(text)`, or a name written in symbols alone (`!!!`) as it is; '' for nothing to know it by."""
    stripped = (text or "").strip()
    return fold(stripped) or (stripped if _SYMBOLS_ONLY.fullmatch(stripped) else "")


def make_key(artists: tuple[str, ...] | list[str], title: str, version: str | None = None) -> str:
    """The identity key `a & b - title (version)`; raises ValueError on an empty artist or title (or MixesDB's
    `?` for an unknown one)."""
    names = sorted({_folded_name(a) for a in artists if _folded_name(a)})
    folded_title = _folded_name(title)
    if not names or not folded_title:
        raise ValueError(f"a track needs an artist and a title, got {list(artists)!r} - {title!r}")
    key = f"{' & '.join(names)} - {folded_title}"
    folded_version = normalise_version(version)
    return f"{key} ({folded_version})" if folded_version else key


def track_key(artist: str, title: str, version: str | None = None) -> str:
    """Identity key of raw artist and title strings (see module docstring)."""
    return parse_track_name(artist, title, version).key


def search_text(key: str, artist: str, artists: list[str] | tuple[str, ...], title: str,
                version: str | None = None) -> str:
    """The folded text a catalog search matches: `"a & b - title (version) | featured | id x"`.

    First the name's identity key (`key` itself unless it is an external `id:` key; then the one its
    artist and title would have), then each credited name (`artists`, main and featured) the key leaves
    out, then an `id:` key folded (`id:EXT-7` → `id ext 7`). Folded like the key (lower case, no accents), so text
    folded by `fold` finds accented names; ` | ` never occurs in folded text, so a phrase cannot run from
    one name into the next.
    """
    segments = [key]
    if key.startswith("id:"):
        try:
            segments = [track_key(artist, title, version), fold(key)]
        except ValueError:  # no name that folds to anything: the id alone
            segments = ["", fold(key)]
    in_key = set(segments[0].split(" - ", 1)[0].split(" & "))
    guests = dict.fromkeys(name for name in map(fold, artists) if name and name not in in_key)
    return " | ".join([segments[0], *guests, *segments[1:]])


def _word_start(needle: str) -> re.Pattern:
    return re.compile(r"(?:^|[ (])" + re.escape(needle))


def search_sides(search: str) -> tuple[str, str]:
    """(credits, title and version) of a track's `search_text`: the key's artist side and every other credited
    name, then the key's title side."""
    first, _, rest = search.partition(" | ")
    credits, _, title = first.partition(" - ")
    return f"{credits} | {rest}", title


def on_sides(search: str, artist_names: str, key_words: str) -> bool:
    """Whether each of `artist_names` (joined by '|') starts a word of the credits in `search` and each of
    `key_words` (joined by ' ') one of its title or version: `artist - title` typed is matched side by side."""
    credits, title = search_sides(search)
    return (all(_word_start(n).search(credits) for n in artist_names.split("|") if n)
            and all(_word_start(w).search(title) for w in key_words.split()))
