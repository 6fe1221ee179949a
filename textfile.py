"""Reading text files people save by hand (CSVs of DJ sets, labels) whatever their encoding.

Excel on Windows saves "CSV" in Windows-1252, on a Mac in Mac Roman or UTF-16, elsewhere UTF-8 with or
without a BOM. `read_text` tries UTF-8 first (the common case, and strict: a file that decodes as UTF-8
almost surely is), then UTF-16 when a BOM says so, and falls back line by line to Windows-1252, which decodes every byte:
an accent may come out wrong, but a DJ's evaluation or import runs instead of stopping at byte 3,012.
A file with NUL bytes outside UTF-16 is binary (an MP3, a spreadsheet's .xlsx): refused in a sentence rather
than read as a garbled header.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import logging
from collections.abc import Iterator
from pathlib import Path

from errors import BadInputError

log = logging.getLogger(__name__)


def read_text(path: Path) -> str:
    """The text of `path`: UTF-8 (BOM or not), UTF-16 with a BOM, else line by line UTF-8 or, for the lines
    that are not, Windows-1252 (logged): one pasted Latin-1 line must not garble every other accent."""
    data = Path(path).read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data[:65536]:
        raise BadInputError(f"{Path(path).name} is not a text file: give a CSV (or JSON) file; from a spreadsheet, "
                            "save or export it as CSV.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    data = data.removeprefix(codecs.BOM_UTF8)
    text, other = decode_lines(data)
    counted = data.count(b"\n") + (not data.endswith(b"\n"))  # a final newline ends the last line, it starts no other
    log.warning("%s is not all UTF-8: %d of %d lines read as Windows-1252", Path(path).name, other, counted)
    return text


def decode_lines(data: bytes) -> tuple[str, int]:
    """`data` decoded line by line: UTF-8, or Windows-1252 for a line that is not (every byte decodes);
    also how many lines were read as Windows-1252. `b"Titam\\xe9\\nAme"` → `("Titamé\\nAme", 1)`."""
    decoded, other = [], 0
    for line in data.split(b"\n"):
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(line.decode("cp1252", errors="replace"))
            other += 1
    return "\n".join(decoded), other


def csv_text(path: Path) -> io.StringIO:
    """`read_text(path)` as a file for `csv.reader`/`csv.DictReader` (newlines left to the csv module)."""
    return io.StringIO(read_text(path), newline="")


@contextlib.contextmanager
def csv_dict_reader(path: Path) -> Iterator[csv.DictReader]:
    """A `csv.DictReader` over `read_text(path)` whose parse errors are `BadInputError`s naming the file and line:
    csv stops at a field over 131,072 characters, which is mostly a quote left open swallowing the lines after it."""
    with csv_text(path) as handle:
        reader = csv.DictReader(handle)
        try:
            yield reader
        except csv.Error as error:
            raise BadInputError(
                f"{Path(path).name} cannot be read as CSV at line {reader.line_num + 1} ({error}): look for a quote "
                "left open on that line or above it, or a field far too long; fix it, or export the CSV again."
            ) from error
