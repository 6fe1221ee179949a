"""Parse saved or fetched MixesDB HTML: mix pages and category pages (standard-library `html.parser`).

Mix page: the tracklist is everything between `h2#Tracklist` (newer skins wrap it in `div.mw-heading`)
and `div#bodyBottom`: `ol > li` items, or `div.list-track` rows where the page uses `<list>`;
`dl > dt` are `;Part` headings. `#relatedPages-List` lies after `#bodyBottom` and is never read.
Categories come from `mw.config` `wgCategories`, else `#mw-normal-catlinks`; the title from
`wgTitle`, else `h1#firstHeading`. Only the fragments needed are handed to the HTML parser, which
keeps a 80 kB page well under a millisecond or two.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from errors import MarkupChangedError
from scraping.grammar import LOOSE_ENTRY
from scraping.page import ParsedPage, lines_from_text

_TRACKLIST_START = re.compile(
    r"""<h[23][^>]*\bid=["']Tracklist["'][^>]*>|<span[^>]*\bid=["']Tracklist["'][^>]*>"""
)
_BODY_BOTTOM = re.compile(r"""<div[^>]*\bid=["']bodyBottom["']""")
_NEXT_HEADING = re.compile(r"<h2\b")
_WG_CATEGORIES = re.compile(r'"wgCategories"\s*:\s*(\[[^\]]*\])')
_WG_TITLE = re.compile(r'"wgTitle"\s*:\s*("(?:[^"\\]|\\.)*")')
_CATLINKS = re.compile(r"""<div[^>]*\bid=["']mw-normal-catlinks["'][^>]*>(.*?)</div>""", re.DOTALL)
_CATLINK = re.compile(r"""<a[^>]*\btitle=["']Category:([^"']+)["']""")
_FIRST_HEADING = re.compile(r"""<h1[^>]*\bid=["']firstHeading["'][^>]*>(.*?)</h1>""", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_HTML_END = re.compile(r"</html\s*>\s*$", re.IGNORECASE)
_CHALLENGE = re.compile(
    r"<title>\s*Just a moment\.\.\.\s*</title>|cf-browser-verification|challenge-platform", re.I
)

_ENTRY_TAGS = {"li", "dt"}
_ROW_CLASSES = {"list-track"}
_NESTED_LISTS = {"ul", "ol", "dl"}


class _TracklistLines(HTMLParser):
    """Collects one text line per `li`, `dt` (as ';heading') or `div.list-track` of a tracklist fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._stack: list[str] = []  # open entry tags
        self._buffer: list[str] = []
        self._loose: list[str] = []  # text outside entries ('...' gaps between lists)
        self._skip = 0  # depth inside a list nested in an entry

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _NESTED_LISTS and (self._stack or self._skip):
            self._skip += 1  # a list inside an entry ('#:' notes, '##' alternatives) is not part of its text
            return
        if self._skip:
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in _ENTRY_TAGS or (tag == "div" and classes & _ROW_CLASSES):
            self._flush_loose()
            self._stack.append(tag)
            self._buffer = [";"] if tag == "dt" else []
        elif tag == "br" and not self._stack:
            self._flush_loose()

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            self._skip -= tag in _NESTED_LISTS
            return
        if self._stack and tag == self._stack[-1]:
            self._stack.pop()
            if not self._stack:
                self.lines.append("".join(self._buffer))
                self._buffer = []
        elif tag in ("p", "div", "ol", "ul", "dl") and not self._stack:
            self._flush_loose()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            (self._buffer if self._stack else self._loose).append(data)

    def _flush_loose(self) -> None:
        for line in "".join(self._loose).splitlines():
            if LOOSE_ENTRY.match(line):  # notes between lists are not entries; '...' and '[12] …' are
                self.lines.append(line.strip())
        self._loose = []

    def close(self) -> None:
        super().close()
        if self._stack:
            self.lines.append("".join(self._buffer))
        self._flush_loose()


def is_challenge_page(page: str) -> bool:
    """True for a Cloudflare 'Just a moment...' interstitial instead of the requested page."""
    return bool(_CHALLENGE.search(page[:20000]))


def page_title_of(page: str) -> str | None:
    """The page title from `wgTitle`, else the text of `h1#firstHeading`."""
    match = _WG_TITLE.search(page)
    if match:
        return json.loads(match.group(1))
    match = _FIRST_HEADING.search(page)
    if match:
        text = _TAG.sub("", match.group(1))
        return html.unescape(" ".join(text.split())) or None
    return None


def categories_of(page: str) -> list[str]:
    """Categories from `wgCategories`, else the links of `#mw-normal-catlinks`."""
    match = _WG_CATEGORIES.search(page)
    if match:
        try:
            return [str(name) for name in json.loads(match.group(1))]
        except ValueError:
            pass
    match = _CATLINKS.search(page)
    if match:
        return [html.unescape(name).replace("_", " ") for name in _CATLINK.findall(match.group(1))]
    return []


def tracklist_fragment(page: str, title: str) -> str | None:
    """The HTML between the Tracklist heading and `#bodyBottom` (or the next h2); None if no heading."""
    start = _TRACKLIST_START.search(page)
    if start is None:
        return None
    end = _BODY_BOTTOM.search(page, start.end())
    if end is None:
        # Without #bodyBottom the page is truncated or its layout changed; the next h2 bounds the list.
        heading_end = page.find("</h2>", start.end())
        next_heading = _NEXT_HEADING.search(page, heading_end + 5 if heading_end >= 0 else start.end())
        if next_heading is None:
            raise MarkupChangedError(
                f"MixesDB page {title!r}: the tracklist has no end (no div#bodyBottom and no later heading); "
                "the page is truncated or its layout changed."
            )
        return page[start.end() : next_heading.start()]
    return page[start.end() : end.start()]


def parse_mix_html(page: str, title: str | None = None) -> ParsedPage:
    """Parse one mix page's HTML; raises `MarkupChangedError` naming the page and what was missing."""
    title = title or page_title_of(page)
    if not title:
        raise MarkupChangedError(
            "A MixesDB page has neither wgTitle nor h1#firstHeading: not a mix page, or the layout changed."
        )
    if is_challenge_page(page):
        raise MarkupChangedError(f"MixesDB page {title!r} is a Cloudflare challenge page, not the mix page.")
    if not _HTML_END.search(page[-200:]):
        raise MarkupChangedError(f"MixesDB page {title!r}: the HTML is truncated (no closing </html>).")
    categories = categories_of(page)
    fragment = tracklist_fragment(page, title)
    if fragment is None:
        if any(c.casefold() == "tracklist: none" for c in categories):
            return ParsedPage(title=title, categories=categories)
        if categories and not any(c.casefold().startswith("tracklist:") for c in categories):
            # No tracklist and no tracklist category: a repeat or stub page, not a changed layout.
            return ParsedPage(title=title, categories=categories, kind="no-tracklist")
        raise MarkupChangedError(
            f"MixesDB page {title!r}: no h2#Tracklist heading. The page layout may have changed; the page was skipped."
        )
    fragment = fragment.split("</h2>", 1)[-1] if "</h2>" in fragment[:300] else fragment
    collector = _TracklistLines()
    collector.feed(fragment)
    collector.close()
    return ParsedPage(title=title, lines=lines_from_text(collector.lines), categories=categories)


class _CategoryLinks(HTMLParser):
    """Mix links of `ul#catMixesList` (or the standard `#mw-pages`) and the 'next 200' link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.titles: list[str] = []
        self.next_href: str | None = None
        self._depth = 0  # > 0 inside the list of mixes
        self._anchor: dict[str, str | None] | None = None
        self._anchor_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("ul", "div") and attributes.get("id") in ("catMixesList", "mw-pages"):
            self._depth = 1
        elif self._depth and tag in ("ul", "div"):
            self._depth += 1
        if tag == "a":
            self._anchor = attributes
            self._anchor_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchor is not None:
            text = "".join(self._anchor_text).strip()
            lowered = text.lower()
            href = self._anchor.get("href") or ""
            if lowered.startswith("next") and ("pagefrom=" in href or "from=" in href):
                self.next_href = self.next_href or href
            elif self._depth and not lowered.startswith(("next", "previous")):
                title = self._anchor.get("title") or _title_from_href(href) or text
                if title:
                    self.titles.append(title)
            self._anchor = None
        elif self._depth and tag in ("ul", "div"):
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._anchor_text.append(data)


def _title_from_href(href: str) -> str | None:
    """`/w/2011-07-04_-_Motor_City…` → `2011-07-04 - Motor City…`; None for other links."""
    path = urlsplit(href).path
    if "/w/" not in path:
        return None
    return unquote(path.split("/w/", 1)[1]).replace("_", " ") or None


def parse_category_html(page: str, *, page_url: str = "") -> tuple[list[str], str | None]:
    """`(mix page titles, absolute URL of the next page or None)` of a category page."""
    parser = _CategoryLinks()
    parser.feed(page)
    parser.close()
    titles = [unquote(t) for t in dict.fromkeys(parser.titles) if not t.startswith("Category:")]
    next_url = urljoin(page_url, html.unescape(parser.next_href)) if parser.next_href else None
    return titles, next_url
