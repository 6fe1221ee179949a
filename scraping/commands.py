"""CLI verbs of the scraping area: `crawl`, `parse-raw`, `parse`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from config import user_path
from errors import ArtifactMissingError, BadInputError

_MONTH = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


def register(subparsers: argparse._SubParsersAction) -> None:
    crawl = subparsers.add_parser(
        "crawl",
        help="fetch MixesDB mix pages into the catalog (resumable, polite)",
        description="Crawl MixesDB categories or a list of page titles into the catalog. State is saved as it goes: "
        "after an interruption, run the same command again to continue.",
    )
    crawl.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="NAME",
        help="a MixesDB category, e.g. 'Techno' (repeatable); its mixes are crawled, following pagination",
    )
    crawl.add_argument("--titles", type=user_path, metavar="FILE", help="a file with one mix page title per line")
    crawl.add_argument("--since", metavar="YYYY-MM", help="skip mixes dated before this month")
    crawl.add_argument("--limit", type=int, metavar="N", help="fetch at most N mix pages in this run")
    crawl.add_argument(
        "--via",
        choices=("api", "browser"),
        default="api",
        help="api: MediaWiki api.php, fast, in bulk (default); browser: headless Chromium via Selenium",
    )
    crawl.add_argument(
        "--base-url", metavar="URL", help="MixesDB address (default from settings: https://www.mixesdb.com)"
    )
    crawl.add_argument(
        "--delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds between requests, plus random jitter (default 1.0)",
    )
    crawl.add_argument("--batch", type=int, default=50, metavar="N", help="titles per api.php request (1-50)")
    crawl.add_argument(
        "--refresh",
        action="store_true",
        help="list categories again and re-fetch pages even if they are in the raw cache",
    )
    crawl.add_argument("--no-progress", action="store_true", help="no progress bar")
    crawl.set_defaults(handler=run_crawl)

    parse_raw = subparsers.add_parser(
        "parse-raw", help="re-parse every cached raw MixesDB page into the catalog (no network)"
    )
    parse_raw.add_argument("--no-progress", action="store_true", help="no progress bar")
    parse_raw.set_defaults(handler=run_parse_raw)

    parse = subparsers.add_parser(
        "parse", help="parse one saved MixesDB page (.html) or wikitext (.wiki/.txt)"
    )
    parse.add_argument("path", type=user_path, help="the saved page or wikitext file")
    parse.add_argument("--title", help="the page title (wikitext files; default: the file name)")
    parse.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parse.set_defaults(handler=run_parse)


def run_parse(args: argparse.Namespace, settings) -> int:
    from scraping.parse import parse_file

    page = parse_file(args.path, title=args.title)
    data = page.to_json()
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"{data['title']}")
    print(
        f"  date: {data['date'] or '?'}   djs: {', '.join(data['djs']) or '?'}   "
        f"venue: {data['venue'] or '-'}   show: {data['show'] or '-'}"
    )
    print(f"  styles: {', '.join(data['styles']) or '-'}   complete: {data['tracklist_complete']}")
    for track in data["tracks"]:
        cue = f"[{track['cue']}]" if track["cue"] else ""
        if track["unknown"]:
            name = "(unknown)" + (f" {track['title']}" if track["title"] else "")
        else:
            name = f"{track['artist']} - {track['title']}" + (
                f" ({track['version']})" if track["version"] else ""
            )
        label = (
            f" [{track['label']}{' - ' + track['catalog'] if track['catalog'] else ''}]"
            if track["label"]
            else ""
        )
        print(f"  {track['position']:>3}. {cue:<9} {name}{label}")
    return 0


def _read_titles(path: Path) -> list[str]:
    if not path.is_file():
        raise BadInputError(
            f"--titles {path}: no such file. Give a text file with one MixesDB page title per line."
        )
    titles = []
    from textfile import read_text

    for line in read_text(path).splitlines():  # UTF-8, UTF-16 or a Latin-1 line alike
        line = line.strip()
        if line and not line.startswith("#"):
            if "/w/" in line:  # a URL or path was pasted: keep its title
                from urllib.parse import unquote

                line = unquote(line.split("/w/", 1)[1])
            titles.append(line.replace("_", " "))
    return titles


def run_crawl(args: argparse.Namespace, settings) -> int:
    from catalog.db import connect
    from scraping.crawl import CrawlPlan, crawl
    from scraping.polite import ChallengeError
    from scraping.rawcache import RawCache

    if not args.category and not args.titles:
        raise BadInputError("Nothing to crawl: give --category NAME (repeatable) or --titles FILE.")
    if args.since and not _MONTH.match(args.since):
        raise BadInputError(f"--since {args.since!r} is not a month: use YYYY-MM, e.g. 2019-06.")
    if args.limit is not None and args.limit < 1:
        raise BadInputError(f"--limit {args.limit} must be 1 or more.")
    if args.delay is not None and not 0 <= args.delay < float("inf"):  # nan and inf too (inf: exit 1, 'a bug')
        raise BadInputError(f"--delay {args.delay} must be 0 or more seconds.")
    if not 1 <= args.batch <= 50:
        raise BadInputError(f"--batch {args.batch} must be between 1 and 50.")
    plan = CrawlPlan(
        categories=[c.removeprefix("Category:").strip() for c in args.category],
        titles=_read_titles(args.titles) if args.titles else [],
        since=args.since,
        limit=args.limit,
        refresh=args.refresh,
    )
    base_url = (args.base_url or settings.mixesdb_url).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise BadInputError(f"--base-url {base_url!r} must start with http:// or https://")
    delay = 1.0 if args.delay is None else args.delay
    fetcher = make_fetcher(args.via, base_url=base_url, settings=settings, delay=delay, batch=args.batch)
    conn = connect(settings.catalog_path)
    try:
        summary = crawl(
            conn,
            fetcher,
            RawCache(settings.raw_dir / "mixesdb"),
            plan,
            via=args.via,
            base_url=base_url,
            progress=not args.no_progress,
        )
    except ChallengeError as error:
        print(f"crawl paused: {error}", file=sys.stderr)
        return 3
    finally:
        fetcher.close()
        conn.close()
    print("\n".join(summary.lines()))
    failed = sum(summary.failed.values())
    if failed and not summary.pages:  # a script or cron job must notice a MixesDB whose pages all stopped parsing
        from errors import CratediggerError

        if set(summary.failed) == {"page does not exist"}:
            raise BadInputError("MixesDB has no page with these titles (listed above): check them as mixesdb.com "
                                "spells them.")
        pages = "The page fetched" if failed == 1 else f"None of the {failed} pages fetched"
        raise CratediggerError(
            f"{pages} could {'not ' if failed == 1 else ''}be stored (reasons above). If MixesDB's markup changed, "
            "Cratedigger's parser needs an update (then `python cli.py parse-raw`); otherwise run the crawl again later."
        )
    if summary.unlisted and len(summary.unlisted) == len(plan.categories) and not plan.titles and not summary.pages:
        raise BadInputError(f"MixesDB lists no mix in {', '.join(repr(c) for c in summary.unlisted)}: check the "
                            "category's name as mixesdb.com spells it (e.g. 'Techno', 'Essential Mix').")
    return 0


def make_fetcher(via: str, *, base_url: str, settings, delay: float, batch: int = 50):
    """The fetcher of `via` ('api' or 'browser') for `base_url`, with the settings' User-Agent."""
    from tqdm import tqdm

    from scraping.fetch_api import ApiFetcher, HttpClient

    def notify(message: str) -> None:  # waits and pauses, printed above the progress bar
        tqdm.write(message, file=sys.stderr)

    client = HttpClient(base_url, user_agent=settings.http_user_agent, delay=delay, notify=notify)
    if via == "api":
        return ApiFetcher(client, batch_size=batch)
    from scraping.fetch_browser import BrowserFetcher

    return BrowserFetcher(
        base_url,
        user_agent=settings.http_user_agent,
        delay=delay,
        chromedriver=settings.chromedriver,
        chromium=settings.chromium,
        robots=client.robots,
        notify=notify,
    )


def run_parse_raw(args: argparse.Namespace, settings) -> int:
    from catalog.db import connect
    from scraping.crawl import parse_raw
    from scraping.rawcache import RawCache

    cache = RawCache(settings.raw_dir / "mixesdb")
    if len(cache) == 0:
        raise ArtifactMissingError(f"No cached MixesDB pages under {cache.root}: run `python cli.py crawl` first.")
    conn = connect(settings.catalog_path)
    try:
        summary = parse_raw(conn, cache, base_url=settings.mixesdb_url, progress=not args.no_progress)
    finally:
        conn.close()
    print("\n".join(summary.lines()))
    return 0
