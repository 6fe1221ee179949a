"""Finding catalog tracks in the DJ's own music folder, by tags and by file names.

`LibraryIndex.scan(folder)` reads every audio file's artist/title tags (mutagen) and parses
its name (`01 - Artist - Title.ext`); both readings are indexed, since DJs' tags are often
wrong or empty where the file name is right, and the other way round. `find(artist, title)`
returns the best file: the same identity key (`catalog.identity.track_key`) under either
reading, else a fuzzy match (rapidfuzz) against either.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from audio.decode import SUPPORTED_SUFFIXES
from catalog.identity import fold, track_key

log = logging.getLogger(__name__)

FUZZY_MIN_SCORE = 90.0
_TRACK_NUMBER = re.compile(r"^\s*\d{1,3}\s*[-_.)]\s*")


@dataclass(frozen=True)
class LibraryFile:
    path: Path
    artist: str
    title: str
    key: str  # identity key (catalog.identity.track_key)
    text: str  # folded 'artist title' for fuzzy matching


def tag_credits(path: Path) -> tuple[str, str] | None:
    """(artist, title) from the file's tags; None when it has no artist and title tags."""
    try:
        import mutagen

        tags = mutagen.File(path, easy=True)
    except Exception as error:  # mutagen raises many types for odd files  # noqa: BLE001
        log.debug("%s: tags unreadable (%s)", path.name, error)
        tags = None
    if tags is not None and tags.get("artist") and tags.get("title"):
        return str(tags["artist"][0]), str(tags["title"][0])
    return None


def file_name_credits(path: Path) -> tuple[str, str] | None:
    """(artist, title) from a name like '01 - Artist - Title.mp3' or 'Artist_-_Title.flac'; None otherwise."""
    stem = _TRACK_NUMBER.sub("", path.stem.replace("_", " "))
    if " - " in stem:
        artist, title = stem.split(" - ", 1)
        if artist.strip() and title.strip():
            return artist.strip(), title.strip()
    return None


def read_tags(path: Path) -> tuple[str, str] | None:
    """(artist, title) from the file's tags, else from its name; None if neither."""
    return tag_credits(path) or file_name_credits(path)


class LibraryIndex:
    """The audio files of a folder (recursively), indexed by track identity: one `LibraryFile` per reading
    of a file (its tags, its name), so a file can appear twice in `files`."""

    def __init__(self, files: list[LibraryFile]):
        self.files = files
        self.by_key: dict[str, LibraryFile] = {}
        for f in files:
            self.by_key.setdefault(f.key, f)

    @classmethod
    def scan(cls, folder: Path) -> LibraryIndex:
        files = []
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() not in SUPPORTED_SUFFIXES or not path.is_file():
                continue
            keys = set()
            for credits in (tag_credits(path), file_name_credits(path)):
                if credits is None:
                    continue
                artist, title = credits
                try:
                    key = track_key(artist, title)
                except ValueError:
                    continue
                if key not in keys:
                    keys.add(key)
                    files.append(LibraryFile(path, artist, title, key, fold(f"{artist} {title}")))
        return cls(files)

    def find(self, artist: str, title: str, version: str | None = None) -> Path | None:
        """The library file of a track: same identity key, else the best fuzzy match scoring ≥ 90."""
        try:
            key = track_key(artist, title, version)
        except ValueError:
            return None
        if key in self.by_key:
            return self.by_key[key].path
        if not self.files:
            return None
        from rapidfuzz import fuzz, process

        query = fold(f"{artist} {title} {version or ''}".strip())
        best = process.extractOne(query, [f.text for f in self.files], scorer=fuzz.token_sort_ratio)
        if best and best[1] >= FUZZY_MIN_SCORE:
            return self.files[best[2]].path
        return None
