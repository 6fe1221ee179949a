"""Parse a MixesDB page's raw wikitext (`?action=raw`, `prop=revisions`) into a `ParsedPage`.

The tracklist is the `== Tracklist ==` section up to the next level-2 heading: `#`/`*` list lines,
bare `[cue] …` lines inside `<list>…</list>`, `;Part` headings and `...` gaps. Repeat and redirect
pages have no tracklist; any other page without one raises `MarkupChangedError`.
"""

from __future__ import annotations

import re

from errors import MarkupChangedError
from scraping.grammar import LOOSE_ENTRY
from scraping.page import ParsedPage, lines_from_text

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_TRACKLIST_HEADING = re.compile(r"^(={2,})\s*Tracklists?\b[^=\n]*\1\s*$", re.IGNORECASE | re.MULTILINE)
_LEVEL2_HEADING = re.compile(r"^==[^=].*?==\s*$", re.MULTILINE)
_CATEGORY = re.compile(r"\[\[\s*Category\s*:\s*([^\]|]+)(?:\|[^\]]*)?\]\]", re.IGNORECASE)
_REDIRECT = re.compile(r"^\s*#REDIRECT\b", re.IGNORECASE)
_REPEAT = re.compile(r"\{\{\s*Repeat\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:#(?![:*#])|\*|;)")  # '#:' continues the item above, '##' nests under it


def categories_of(wikitext: str) -> list[str]:
    """`[[Category:Techno]]` links in page order."""
    return [name.strip().replace("_", " ") for name in _CATEGORY.findall(wikitext)]


def tracklist_lines(wikitext: str) -> list[str] | None:
    """The raw lines of the Tracklist section that may be entries, or None when there is no such section.

    Text without any level-2 heading (a bare list, as pasted into a `.wiki` file) is its own tracklist.
    """
    text = _COMMENT.sub("", wikitext)
    heading = _TRACKLIST_HEADING.search(text)
    if heading is not None:
        body = text[heading.end() :]
        end = _LEVEL2_HEADING.search(body)
        if end:
            body = body[: end.start()]
    elif _LEVEL2_HEADING.search(text) is None and not _REPEAT.search(text):
        body = text
    else:
        return None
    lines: list[str] = []
    in_list = False
    for line in body.splitlines():
        stripped = line.strip()
        lowered = stripped.lower()
        if lowered.startswith("<list"):
            in_list = True
            stripped = stripped[stripped.find(">") + 1 :].strip()
        if "</list>" in lowered:
            in_list = False
            stripped = stripped[: lowered.find("</list>")].strip()
        if not stripped or _CATEGORY.match(stripped):
            continue
        if stripped.startswith("=") and stripped.endswith("="):  # '=== Part 1 ===' inside the section
            lines.append(";" + stripped.strip("= "))
        elif in_list or _LIST_ITEM.match(stripped) or LOOSE_ENTRY.match(stripped):
            lines.append(stripped)
    return lines


def parse_wikitext(wikitext: str, title: str) -> ParsedPage:
    """Parse one page's wikitext; raises `MarkupChangedError` naming `title` when no tracklist is found."""
    categories = categories_of(wikitext)
    if _REDIRECT.match(wikitext):
        return ParsedPage(title=title, categories=categories, kind="redirect")
    lines = tracklist_lines(wikitext)
    if lines is not None and not lines and not _TRACKLIST_HEADING.search(wikitext):
        lines = None  # neither a Tracklist section nor a bare list
    if lines is None:
        if _REPEAT.search(wikitext):
            return ParsedPage(title=title, categories=categories, kind="repeat")
        if any(c.casefold() == "tracklist: none" for c in categories):
            return ParsedPage(title=title, categories=categories)
        raise MarkupChangedError(
            f"MixesDB page {title!r}: no '== Tracklist ==' section in its wikitext "
            f"({len(wikitext)} characters). The page layout may have changed; the page was skipped."
        )
    return ParsedPage(title=title, lines=lines_from_text(lines), categories=categories)
