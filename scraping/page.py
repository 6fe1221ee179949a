"""A parsed MixesDB mix page, its JSON form and its catalog `SetRecord`.

Both page parsers (`scraping.wikitext`, `scraping.html_page`) produce a `ParsedPage` from the
same tracklist lines, so a page reads the same whichever way it was fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from catalog.store import PlayRecord, SetRecord, TrackRecord
from scraping.categories import completeness_of, styles_of
from scraping.grammar import TrackLine, parse_tracklist_line
from scraping.titles import parse_page_title

SOURCE = "mixesdb"


@dataclass
class ParsedPage:
    """One mix page: title parts, categories and its tracklist lines (tracks, unknowns, gaps, headings).

    `kind` is 'mix', or 'repeat'/'redirect'/'no-tracklist' for pages with no tracklist of their own.
    """

    title: str
    lines: list[TrackLine] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    kind: str = "mix"

    @property
    def styles(self) -> list[str]:
        return styles_of(self.categories)

    @property
    def tracklist_complete(self) -> bool | None:
        return completeness_of(self.categories)

    @property
    def n_tracks(self) -> int:
        return sum(line.kind == "track" for line in self.lines)

    @property
    def n_unknown(self) -> int:
        return sum(line.kind == "unknown" for line in self.lines)

    def entries(self) -> Iterable[tuple[int, TrackLine]]:
        """(position, line) for tracks and unknowns; positions count from 1, gaps and headings have none."""
        position = 0
        for line in self.lines:
            if line.kind in ("track", "unknown"):
                position += 1
                yield position, line

    def to_json(self) -> dict:
        """The `parse --json` shape: title parts, styles, completeness and one entry per track part."""
        title = parse_page_title(self.title)
        tracks = []
        for position, line in self.entries():
            parts = line.parts or [None]
            for part in parts:
                tracks.append(
                    {
                        "position": position,
                        "cue": line.cue,
                        "artists": list(part.artists) if part else [],
                        "artist": (part.artist or None) if part else None,
                        "title": (part.title or None) if part else None,
                        "version": part.version if part else None,
                        "label": line.label,
                        "catalog": line.catalog,
                        "unknown": line.kind == "unknown" or (part is not None and part.unknown),
                    }
                )
        return {
            "title": self.title,
            "date": title.date,
            "djs": title.djs,
            "venue": title.venue,
            "show": title.show,
            "styles": self.styles,
            "tracklist_complete": self.tracklist_complete,
            "tracks": tracks,
        }


def lines_from_text(lines: Iterable[str]) -> list[TrackLine]:
    """Parse raw tracklist lines, dropping blanks."""
    return [parsed for parsed in map(parse_tracklist_line, lines) if parsed is not None]


def page_url(base_url: str, title: str) -> str:
    """`https://www.mixesdb.com/w/2011-07-04_-_Motor_City_…` for a page title."""
    path = quote(title.replace(" ", "_"), safe="/:@,()!'")
    return f"{base_url.rstrip('/')}/w/{path}"


def to_set_record(page: ParsedPage, *, base_url: str = "https://www.mixesdb.com") -> SetRecord:
    """The catalog record of `page`: one play per known track part (mashup parts numbered 1..n).

    Unknown lines and unknown mashup parts count in `n_unknown`; gaps and headings in `extra_lines`;
    neither is stored as a track.
    """
    title = parse_page_title(page.title)
    plays: list[PlayRecord] = []
    n_unknown = 0
    extra = 0
    for line in page.lines:
        if line.kind == "gap":
            extra += 1
    for position, line in page.entries():
        if line.kind == "unknown":
            n_unknown += 1
            continue
        mashup = len(line.parts) > 1
        for index, part in enumerate(line.parts, start=1):
            if part.unknown:
                n_unknown += 1
                continue
            track = TrackRecord(
                artist=part.artist,
                title=part.title,
                version=part.version,
                label=line.label if index == len(line.parts) else None,
                catalog_number=line.catalog if index == len(line.parts) else None,
            )
            try:
                track.identity()
            except ValueError:  # nothing left of artist or title once folded (e.g. '-' - '!!')
                n_unknown += 1
                continue
            plays.append(
                PlayRecord(
                    position=position,
                    track=track,
                    cue=line.cue,
                    part=index if mashup else 0,
                    raw_line=line.raw,
                )
            )
    return SetRecord(
        source=SOURCE,
        source_key=page.title,
        title=page.title,
        plays=plays,
        url=page_url(base_url, page.title),
        date=title.date,
        djs=title.djs,
        venue=title.venue,
        city=title.city,
        show=title.show,
        styles=page.styles,
        tracklist_complete=page.tracklist_complete,
        n_unknown=n_unknown,
        extra_lines=extra,
    )
