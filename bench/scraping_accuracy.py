"""Accuracy of the tracklist parser on the 350 real Essential Mix wikitext pages (../shared, not committed).

For every line of every Tracklist section that a person reads as `Artist - Title` (after the cue and a
trailing `[Label]`: exactly one ` - `, neither side `?`/`ID`), the reading is written down by a separate,
deliberately simple rule and compared with what the parser returns for that line: the artist text, and the
title with its version put back (`Title (Version)`), so the check does not depend on how versions are split.
Lines with no or several ` - `, or mashups, are listed for review instead of being scored.

    python bench/scraping_accuracy.py [--show N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scraping.grammar import parse_tracklist_line  # noqa: E402
from scraping.wikitext import parse_wikitext, tracklist_lines  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "shared/fixtures/mixesdb/essential-mix-wikitext-sample.json"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/fixtures/mixesdb/essential-mix-wikitext-sample.json")


UNKNOWN = {"ID", "UNKNOWN", "UNKNOWN ARTIST"}
# How readers take a trailing bracket: a version when it ends in one of these words, else the label.
VERSION_END = re.compile(
    r"\b(remix|rmx|rework|edit|acapella|instrumental|version|bootleg|vip|dub|live|mix)$", re.I
)


def human_reading(line: str) -> tuple[str, str] | None:
    """What a reader takes as (artist, title incl. version) from a line, or None if it is not `A - T`."""
    text = re.sub(r"'{3}[^']*:\s*'{3}", "", line)  # a bold note ending in ':' is not the artist
    text = re.sub(r"'{2,}", "", text)
    text = re.sub(r"\[(?:https?:)?//\S+\s+([^\]]*)\]", r"\1", text)
    text = re.sub(r"^[#*]+\s*", "", text.strip())
    text = re.sub(r"^\[[0-9?:]+\]\s*", "", text)
    text = re.sub(r"^\+\s+", "", text)
    if text.startswith(";"):  # a heading ('Part 2', a DJ's name, a time slot)
        return None
    label = re.search(r"\s*\[([^\[\]]*)\]\s*$", text)
    if label and not VERSION_END.search(label.group(1)):  # '[Acapella]', '[Tiefschwarz Remix]' are versions
        text = text[: label.start()]
    text = re.sub(r"\s*\((?:feat\.?|ft\.?|featuring) [^()]*\)", "", text, flags=re.IGNORECASE).strip()
    # 'Title (X Remix) (Label)': after a version in parentheses, a second bracket names the label
    text = re.sub(
        r"(\([^()]*\b(?:remix|mix|edit|re-edit|refix|acapella|dub)\))\s*"
        r"\((?![^()]*\b(?:remix|mix|edit|dub|mashup|version|sample|hip hop)\b)[^()]*\)$",
        r"\1",
        text,
        flags=re.I,
    )
    text = " ".join(text.split())
    if " w/ " in text or text.count(" - ") != 1:
        return None
    artist, title = (side.strip() for side in text.split(" - "))
    if not artist or not title or artist.strip("?") == "" or title.strip("?") == "":
        return None
    if artist.upper() in UNKNOWN or title.upper() in UNKNOWN or title.startswith(("?", "Unknown")):
        return None
    return artist, title


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=40, help="print up to N disagreements")
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"skipped: {SAMPLE} not found")
        return 0
    pages = json.loads(SAMPLE.read_text(encoding="utf-8"))
    scored = right = unscored = crashes = 0
    wrong: list[tuple[str, tuple[str, str], tuple[str, str]]] = []
    for path, page in pages.items():
        title = unquote(path.removeprefix("/w/")).replace("_", " ")
        try:
            parse_wikitext(page["tracklist"], title)
        except Exception as error:  # noqa: BLE001 - counting crashes is the point
            crashes += 1
            print(f"CRASH {title}: {error}")
            continue
        for raw in tracklist_lines(page["tracklist"]) or []:
            expected = human_reading(raw)
            parsed = parse_tracklist_line(raw)
            if expected is None:
                unscored += 1
                continue
            scored += 1
            got = ("", "")
            if parsed is not None and parsed.kind == "track" and len(parsed.parts) == 1:
                part = parsed.parts[0]
                full = part.title + (
                    f" ({part.version})" if part.version and f"({part.version})" in raw else ""
                )
                full = full + (f" [{part.version}]" if part.version and f"[{part.version}]" in raw else "")
                if parsed.label is None and raw.rstrip().endswith("]") and f"[{part.version}]" not in raw:
                    full = full  # a bracket the parser dropped as unknown: compared as is
                got = (part.artist, full)
            if got == expected:
                right += 1
            else:
                wrong.append((raw, expected, got))
    print(f"pages: {len(pages)}, parser crashes: {crashes}")
    print(
        f"lines read as 'Artist - Title': {scored}; parsed to exactly that: {right} ({100 * right / scored:.2f}%)"
    )
    print(f"other lines (unknowns, gaps, headings, no or several ' - ', mashups): {unscored}")
    for raw, expected, got in wrong[: args.show]:
        print(f"  {raw!r}\n     expected {expected}\n     got      {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
