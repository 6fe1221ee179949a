"""Reading text files people save by hand (CSVs of DJ sets, labels) whatever their encoding.

Excel on Windows saves "CSV" in Windows-1252, on a Mac in Mac Roman or UTF-16, elsewhere UTF-8 with or
without a BOM. `read_text` tries UTF-8 first (the common case, and strict: a file that decodes as UTF-8
almost surely is), then UTF-16 when a BOM says so, and falls back to Windows-1252, which decodes every byte:
an accent may come out wrong, but a DJ's evaluation or import runs instead of stopping at byte 3,012.
Binary junk then reads as text with no usable header, which the callers already refuse in a sentence.
"""

from __future__ import annotations

import codecs
import io
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def read_text(path: Path) -> str:
    """The text of `path`: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 (logged)."""
    data = Path(path).read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        log.warning("%s is not UTF-8 (byte %d); reading it as Windows-1252", Path(path).name, error.start)
        return data.decode("cp1252", errors="replace")


def csv_text(path: Path) -> io.StringIO:
    """`read_text(path)` as a file for `csv.reader`/`csv.DictReader` (newlines left to the csv module)."""
    return io.StringIO(read_text(path), newline="")
