"""Parsing speed on one core: wikitext and HTML mix pages per second.

Wikitext: the 350 real Essential Mix pages of ../shared (else the 12 fixture pages), each parsed into a
`SetRecord` as the crawl does. HTML: the saved Motor City Drum Ensemble page (80 kB, the real site's markup)
and the same 350 pages rendered as the loopback site serves them.

    python bench/scraping_parse_speed.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scraping.html_page import parse_mix_html  # noqa: E402
from scraping.page import to_set_record  # noqa: E402
from scraping.wikitext import parse_wikitext  # noqa: E402
from tests.fakes.mixesdb_render import render_mix_page  # noqa: E402

SHARED = Path("/work/shared/fixtures/mixesdb/essential-mix-wikitext-sample.json")
FIXTURE = ROOT / "tests/fixtures/mixesdb/essential-mix-wikitext-12.json"
MCDE = ROOT / "tests/fixtures/mixesdb/mix-page-2011-07-04-motor-city-drum-ensemble-dj-kicks.html"


def rate(pages: list[tuple[str, str]], parse, rounds: int) -> float:
    """Best pages/s over `rounds` passes (CPU time of this process)."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for title, text in pages:
            page = parse(text, title)
            if page.kind == "mix":
                to_set_record(page)
        best = max(best, len(pages) / (time.process_time() - start))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    source = SHARED if SHARED.exists() else FIXTURE
    raw = json.loads(source.read_text(encoding="utf-8"))
    wikitext = [(unquote(k.removeprefix("/w/")).replace("_", " "), v["tracklist"]) for k, v in raw.items()]
    html_pages = [(title, render_mix_page(title, text)) for title, text in wikitext]
    mcde = [(None, MCDE.read_text(encoding="utf-8"))] * 200
    print(f"source: {source.name} ({len(wikitext)} pages)")
    print(f"wikitext pages/s: {rate(wikitext, parse_wikitext, args.rounds):,.0f}")
    print(
        f"rendered HTML pages/s: {rate(html_pages, lambda t, title: parse_mix_html(t, title), args.rounds):,.0f}"
    )
    print(
        f"saved MCDE HTML page (80 kB) pages/s: {rate(mcde, lambda t, title: parse_mix_html(t, title), args.rounds):,.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
