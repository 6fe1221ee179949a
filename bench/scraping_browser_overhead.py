"""Browser crawl overhead per page beyond the politeness delay, against the loopback MixesDB.

Crawls N mix pages through headless Chromium (one browser, `page_source` read once per page) into a fresh
catalog, with the given delay; the overhead is (wall time − time spent sleeping for politeness) / pages and
covers navigation, reading the page, parsing, the raw cache and the catalog transaction. Browser start-up is
timed separately (it happens once per crawl).

    python bench/scraping_browser_overhead.py [--pages 60] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.db import connect  # noqa: E402
from scraping.crawl import CrawlPlan, crawl  # noqa: E402
from scraping.fetch_browser import BrowserFetcher  # noqa: E402
from scraping.rawcache import RawCache  # noqa: E402
from tests.fakes.mixesdb import FakeMixesDB, synthetic_pages  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    pages = synthetic_pages(args.pages, category="Bench")
    slept = [0.0]

    def sleep(seconds: float) -> None:
        start = time.perf_counter()
        time.sleep(seconds)
        slept[0] += time.perf_counter() - start

    with FakeMixesDB(pages) as site, tempfile.TemporaryDirectory() as data:
        fetcher = BrowserFetcher(
            site.base_url,
            user_agent="Cratedigger-bench/1",
            delay=args.delay,
            chromedriver=args.chromedriver,
            sleep=sleep,
        )
        start = time.perf_counter()
        fetcher.driver.get(site.base_url + "/robots.txt")  # start the browser outside the timing
        startup = time.perf_counter() - start
        conn = connect(Path(data) / "catalog.sqlite")
        slept[0] = 0.0
        start = time.perf_counter()
        summary = crawl(
            conn,
            fetcher,
            RawCache(Path(data) / "raw"),
            CrawlPlan(titles=sorted(pages)),
            via="browser",
            base_url=site.base_url,
            progress=False,
            notify=print,
        )
        wall = time.perf_counter() - start
        fetcher.close()
        conn.close()
    overhead = (wall - slept[0]) / summary.pages
    print(f"pages: {summary.pages}, plays: {summary.identified}, delay {args.delay} s (+ up to 30% jitter)")
    print(f"browser start-up: {startup:.2f} s (once per crawl)")
    print(f"wall {wall:.2f} s, slept {slept[0]:.2f} s → overhead {overhead * 1000:.0f} ms per page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
