"""One entry point for parsing a stored page, whatever its form (HTML or wikitext)."""

from __future__ import annotations

from pathlib import Path

from errors import BadInputError
from scraping.html_page import parse_mix_html
from scraping.page import ParsedPage
from scraping.wikitext import parse_wikitext

HTML_SUFFIXES = {".html", ".htm"}
WIKITEXT_SUFFIXES = {".wiki", ".txt", ".wikitext"}


def parse_page(text: str, *, title: str | None, form: str) -> ParsedPage:
    """Parse `text` as `form` ('html' or 'wikitext'); wikitext needs a `title` (HTML carries its own)."""
    if form == "html":
        return parse_mix_html(text, title)
    if form == "wikitext":
        if not title:
            raise BadInputError(
                "Wikitext does not name its page: pass --title 'YYYY-MM-DD - Artist @ Venue'."
            )
        return parse_wikitext(text, title)
    raise BadInputError(f"form={form!r} must be 'html' or 'wikitext'")


def parse_file(path: Path, *, title: str | None = None) -> ParsedPage:
    """Parse a saved page (`.html`) or raw wikitext (`.wiki`/`.txt`); the title defaults to the file name."""
    if not path.is_file():
        raise BadInputError(
            f"{path} is not a file. Give the path of a saved MixesDB page (.html) or wikitext (.wiki)."
        )
    suffix = path.suffix.lower()
    if suffix not in HTML_SUFFIXES | WIKITEXT_SUFFIXES:
        raise BadInputError(
            f"{path}: unknown kind of file {suffix!r}; use .html for pages, .wiki or .txt for wikitext."
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in HTML_SUFFIXES:
        return parse_page(text, title=title, form="html")
    return parse_page(text, title=title or path.stem.replace("_", " "), form="wikitext")
