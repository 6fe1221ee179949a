"""MixesDB page titles: `YYYY-MM-DD - Artist @ Venue, City` or `YYYY-MM-DD - Artist - Show`.

`parse_page_title("2009-08-2X - A b2b B @ Beach Bar, Electric Elephant Festival, Croatia")` gives
date `2009-08` (unknown `X` digits cut the date to what is known), DJs `["A", "B"]`, venue
`Beach Bar, Electric Elephant Festival`, city `Croatia`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DATE = re.compile(
    r"^(?P<y>[0-9X?]{4})(?:-(?P<m>[0-9X?]{2}))?(?:-(?P<d>[0-9X?]{2}))?\s+[-–]\s+", re.IGNORECASE
)
_DJ_SPLIT = re.compile(r"\s+(?:b2b|vs\.?|&|and|pres\.|presents)\s+|\s*,\s*", re.IGNORECASE)
# '(Live)', '(Live PA)', '(DJ Set)' after a name say how they played, not who they are.
_PERFORMANCE = re.compile(r"\s*\((?:live(?: pa| set)?|dj set|hybrid(?: set)?|b2b)\)\s*$", re.IGNORECASE)
_TRAILING_PAREN = re.compile(r"\s*\(([^()]*)\)\s*$")


@dataclass
class PageTitle:
    """The parts of a mix page's title; `date` is 'YYYY-MM-DD', 'YYYY-MM', 'YYYY' or None."""

    title: str
    date: str | None = None
    djs: list[str] = field(default_factory=list)
    venue: str | None = None
    city: str | None = None
    show: str | None = None


def parse_date(year: str, month: str | None, day: str | None) -> str | None:
    """The known prefix of a MixesDB date: `("2009", "08", "2X")` → `"2009-08"`, `("199X", …)` → None."""
    known: list[str] = []
    for piece in (year, month, day):
        if piece is None or not piece.isdigit():
            break
        known.append(piece)
    if not known or (len(known) >= 2 and not 1 <= int(known[1]) <= 12):
        return known[0] if known else None
    return "-".join(known)


def split_djs(text: str) -> list[str]:
    """`"A b2b B & C, D vs E"` → `["A", "B", "C", "D", "E"]`."""
    names = (_PERFORMANCE.sub("", name).strip() for name in _DJ_SPLIT.split(text) if name)
    return [name for name in names if name]


def parse_page_title(title: str) -> PageTitle:
    """Split a mix page title into date, DJs and venue/city or show (see module docstring)."""
    title = title.replace("_", " ").strip()
    result = PageTitle(title=title)
    rest = title
    match = _DATE.match(title)
    if match:
        result.date = parse_date(match["y"], match["m"], match["d"])
        rest = title[match.end() :]
    if " @ " in rest:
        djs, place = rest.split(" @ ", 1)
        if " - " in place:  # '... @ Venue, City - Essential Mix'
            place, result.show = (piece.strip() for piece in place.rsplit(" - ", 1))
        paren = _TRAILING_PAREN.search(place)
        if paren and paren.start() > 0:
            result.show = result.show or paren.group(1).strip()
            place = place[: paren.start()]
        pieces = [piece.strip() for piece in place.split(",") if piece.strip()]
        if len(pieces) >= 2:
            result.venue, result.city = ", ".join(pieces[:-1]), pieces[-1]
        elif pieces:
            result.venue = pieces[0]
    elif " - " in rest:
        djs, show = rest.split(" - ", 1)
        result.show = show.strip() or None
    else:
        djs = rest
    result.djs = split_djs(djs)
    return result
