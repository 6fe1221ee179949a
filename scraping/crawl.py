"""The resumable MixesDB crawl: frontier and per-page state in the catalog, raw pages in the cache.

State lives in the catalog tables `crawl_pages` (one row per category or mix page: pending, done,
failed or skipped) and `crawl_state` (the continuation cursor of each category being listed). Every
step commits in one transaction together with what it produced:

- one batch of category members + the category's next cursor;
- one mix page's set and plays + its row marked done (or failed, with the reason).

So `kill -9` at any moment loses at most the batch in flight, which the next run fetches again (from
the raw cache when it got that far); `save_set` replaces a set's plays, so nothing is stored twice.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from catalog.db import transaction
from catalog.store import save_set
from errors import CratediggerError, ExternalServiceError, MarkupChangedError
from scraping.page import to_set_record
from scraping.parse import parse_page
from scraping.polite import ChallengeError
from scraping.rawcache import RawCache, RawPage
from scraping.titles import parse_page_title

log = logging.getLogger(__name__)

FAILED_TITLES_SHOWN = 10  # failed pages named under each reason in the summary
MAX_ATTEMPTS = 3  # network failures before a page is marked failed
TITLES_ORIGIN = "titles"


@dataclass
class CrawlPlan:
    """What to crawl: categories (without 'Category:'), explicit titles, a `since` month, a page limit."""

    categories: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    since: str | None = None  # 'YYYY-MM'
    limit: int | None = None
    refresh: bool = False  # list categories again even when they were listed before

    @property
    def origins(self) -> list[str]:
        return [f"Category:{c}" for c in self.categories] + ([TITLES_ORIGIN] if self.titles else [])


@dataclass
class CrawlSummary:
    """What one crawl (or re-parse) did; `failed` counts reasons."""

    pages: int = 0
    sets_added: int = 0
    sets_updated: int = 0
    track_lines: int = 0
    identified: int = 0
    unknown: int = 0
    skipped: int = 0
    failed: Counter = field(default_factory=Counter)
    requests: int = 0
    failed_titles: dict = field(default_factory=dict)  # reason → the titles of the pages that failed so (a dict: each once)
    unlisted: list = field(default_factory=list)  # categories whose listing found no mix (a mistyped name?)

    def fail(self, reason: str, titles: list[str]) -> None:
        """Count `titles` as failed for `reason`, and remember which pages they were."""
        self.failed[reason] += len(titles)
        self.failed_titles.setdefault(reason, {}).update(dict.fromkeys(titles))  # in order, each once, in O(1)

    def lines(self) -> list[str]:
        out = [
            f"pages processed: {self.pages} ({self.requests} requests)",
            f"sets added: {self.sets_added} (updated: {self.sets_updated})",
            f"track lines: {self.track_lines}; identified tracks: {self.identified}; unknown IDs: {self.unknown}",
            f"pages skipped (older than --since, repeats, redirects): {self.skipped}",
            f"pages failed: {sum(self.failed.values())}",
        ]
        for reason, count in self.failed.most_common():
            out.append(f"  {count} × {reason}")
            titles = list(self.failed_titles.get(reason, {}))
            out += [f"      {title}" for title in titles[:FAILED_TITLES_SHOWN]]
            if len(titles) > FAILED_TITLES_SHOWN:
                out.append(f"      … and {len(titles) - FAILED_TITLES_SHOWN} more")
        return out


def _reason(error: Exception) -> str:
    """A short, groupable reason for the summary ('HTTP 500', 'no tracklist', …)."""
    if isinstance(error, ExternalServiceError) and error.status:
        return f"HTTP {error.status}"
    text = str(error)
    for marker, reason in (
        ("no '== Tracklist ==' section", "no tracklist section"),
        ("no h2#Tracklist", "no tracklist section"),
        ("truncated", "truncated page"),
        ("does not exist", "page does not exist"),
        ("robots.txt", "disallowed by robots.txt"),
        ("challenge", "challenge page"),
    ):
        if marker in text:
            return reason
    return type(error).__name__


def _too_old(title: str, since: str | None) -> bool:
    if not since:
        return False
    date = parse_page_title(title).date
    return bool(date) and date[: len(since)] < since[: len(date)]


def _add_mix_pages(conn: sqlite3.Connection, titles: Iterable[str], origin: str, since: str | None) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO crawl_pages (title, kind, origin, state) VALUES (?, 'mix', ?, ?)",
        [(title, origin, "skipped" if _too_old(title, since) else "pending") for title in titles],
    )


def seed(conn: sqlite3.Connection, plan: CrawlPlan) -> None:
    """Put the plan's categories and titles into the frontier (already known rows are kept as they are)."""
    with transaction(conn):
        for category in plan.categories:
            title = f"Category:{category}"
            conn.execute(
                "INSERT OR IGNORE INTO crawl_pages (title, kind, origin) VALUES (?, 'category', ?)",
                (title, title),
            )
            if plan.refresh:
                conn.execute(
                    "UPDATE crawl_pages SET state = 'pending' WHERE title = ? AND kind = 'category'", (title,)
                )
        _add_mix_pages(conn, plan.titles, TITLES_ORIGIN, plan.since)


def list_categories(
    conn: sqlite3.Connection,
    fetcher,
    plan: CrawlPlan,
    via: str,
    notify: Callable[[str], None],
    progress: bool = True,
) -> list[str]:
    """List every pending category of the plan, batch by batch, each batch committed with its cursor.

    Returns the categories whose fresh listing found no mix; they stay pending, so the next run lists them again
    (and says so again) instead of passing over them in silence."""
    from tqdm import tqdm

    unlisted = []
    for category in plan.categories:
        title = f"Category:{category}"
        row = conn.execute("SELECT state, updated_at FROM crawl_pages WHERE title = ?", (title,)).fetchone()
        if row is None:
            continue
        if row["state"] == "done":  # a rerun months later must not pass over the mixes added since in silence
            when = f" on {row['updated_at'][:10]}" if row["updated_at"] else ""
            notify(f"{title}: listed before{when}; add --refresh to list it again for mixes added since.")
            continue
        key = f"cursor:{via}:{title}"
        cursor_row = conn.execute("SELECT value FROM crawl_state WHERE key = ?", (key,)).fetchone()
        cursor = cursor_row["value"] if cursor_row else None
        listed = 0
        bar = tqdm(desc=f"listing {title}", unit="mix", disable=not progress or None, dynamic_ncols=True)
        while True:
            titles, cursor = fetcher.category_members(category, cursor)
            listed += len(titles)
            bar.update(len(titles))
            with transaction(conn):
                _add_mix_pages(conn, titles, title, plan.since)
                if cursor:
                    conn.execute(
                        "INSERT OR REPLACE INTO crawl_state (key, value) VALUES (?, ?)", (key, cursor)
                    )
                else:
                    conn.execute("DELETE FROM crawl_state WHERE key = ?", (key,))
                    conn.execute(
                        "UPDATE crawl_pages SET state = 'done', updated_at = datetime('now') WHERE title = ?",
                        (title,),
                    )
            if not cursor:
                break
        bar.close()
        if listed == 0 and cursor_row is None:  # a fresh listing found nothing: most likely a mistyped name
            notify(f"{title}: no mixes listed. MixesDB has no such category or it is empty: check the name as "
                   "mixesdb.com spells it (e.g. 'Techno', 'Essential Mix').")
            with transaction(conn):
                conn.execute("UPDATE crawl_pages SET state = 'pending' WHERE title = ?", (title,))
            unlisted.append(category)
        else:
            notify(f"{title}: {listed} mixes listed")
    return unlisted


def store_page(conn: sqlite3.Connection, raw: RawPage, *, base_url: str, summary: CrawlSummary) -> None:
    """Parse one raw page and save its set, marking the frontier row done, in one transaction.

    A page whose markup does not match is marked failed with the reason, and the crawl goes on.
    """
    try:
        parsed = parse_page(raw.text, title=raw.title, form=raw.form)
    except MarkupChangedError as error:
        summary.fail(_reason(error), [raw.title])
        with transaction(conn):
            conn.execute(
                "UPDATE crawl_pages SET state = 'failed', last_error = ?, attempts = attempts + 1, "
                "updated_at = datetime('now') WHERE title = ?",
                (str(error), raw.title),
            )
        return
    if parsed.kind != "mix":  # a repeat of, or redirect to, another page: nothing of its own to store
        summary.skipped += 1
        with transaction(conn):
            conn.execute(
                "UPDATE crawl_pages SET state = 'skipped', last_error = ?, attempts = attempts + 1, "
                "updated_at = datetime('now') WHERE title = ?",
                (f"{parsed.kind} page", raw.title),
            )
        return
    record = to_set_record(parsed, base_url=base_url)
    if parsed.title != raw.title:  # keep the frontier's key
        record.source_key = raw.title
    record.url = raw.url or record.url  # where the page was fetched from (a mirror keeps its address)
    with transaction(conn):
        existed = conn.execute(
            "SELECT 1 FROM sets WHERE source = ? AND source_key = ?", (record.source, record.source_key)
        ).fetchone()
        save_set(conn, record)
        conn.execute(
            "UPDATE crawl_pages SET state = 'done', last_error = NULL, attempts = attempts + 1, "
            "updated_at = datetime('now') WHERE title = ?",
            (raw.title,),
        )
    summary.pages += 1
    summary.sets_added += existed is None
    summary.sets_updated += existed is not None
    summary.track_lines += sum(1 for _ in parsed.entries())
    summary.identified += len(record.plays)
    summary.unknown += record.n_unknown


def _fail(
    conn: sqlite3.Connection,
    titles: list[str],
    error: Exception,
    summary: CrawlSummary,
    *,
    give_up: bool = False,
) -> None:
    """Count a failed fetch; a page is given up (state 'failed') at once or after MAX_ATTEMPTS failures."""
    attempts_left = 1 if give_up else MAX_ATTEMPTS
    with transaction(conn):
        for title in titles:
            conn.execute(
                "UPDATE crawl_pages SET attempts = attempts + 1, last_error = ?, updated_at = datetime('now'), "
                "state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE state END WHERE title = ?",
                (str(error), attempts_left, title),
            )
    summary.fail(_reason(error), list(titles))


def pending_mix_pages(conn: sqlite3.Connection, plan: CrawlPlan) -> list[str]:
    origins = plan.origins
    if not origins:
        return []
    marks = ",".join("?" * len(origins))
    rows = conn.execute(
        f"SELECT title FROM crawl_pages WHERE kind = 'mix' AND state = 'pending' AND origin IN ({marks}) "
        "ORDER BY rowid",
        origins,
    ).fetchall()
    return [row["title"] for row in rows]


def crawl(
    conn: sqlite3.Connection,
    fetcher,
    cache: RawCache,
    plan: CrawlPlan,
    *,
    via: str,
    base_url: str,
    progress: bool = True,
    notify: Callable[[str], None] | None = None,
) -> CrawlSummary:
    """Run (or continue) the crawl of `plan` with `fetcher` ('api' or 'browser'); returns what it did.

    A `ChallengeError` stops the crawl (state saved) and is re-raised for the caller to report.
    """
    from tqdm import tqdm

    summary = CrawlSummary()
    notify = notify or (lambda message: tqdm.write(message, file=sys.stderr))
    seed(conn, plan)
    try:
        summary.unlisted = list_categories(conn, fetcher, plan, via, notify, progress)
        titles = pending_mix_pages(conn, plan)
        if plan.limit is not None:
            titles = titles[: plan.limit]
        summary.skipped = conn.execute(
            "SELECT COUNT(*) FROM crawl_pages WHERE kind = 'mix' AND state = 'skipped' AND last_error IS NULL"
        ).fetchone()[0]
        bar = tqdm(
            total=len(titles),
            unit="page",
            desc=f"crawl via {via}",
            disable=not progress or None,
            dynamic_ncols=True,
        )
        with bar:
            for start in range(0, len(titles), fetcher.batch_size):
                batch = titles[start : start + fetcher.batch_size]
                pages: dict[str, RawPage | None] = {}
                to_fetch = []
                for title in batch:
                    cached = None if plan.refresh else cache.get(title)
                    if cached is not None:
                        pages[title] = cached
                    else:
                        to_fetch.append(title)
                if to_fetch:
                    try:
                        fetched = fetcher.fetch_pages(to_fetch)
                    except ChallengeError:
                        raise
                    except CratediggerError as error:
                        notify(f"could not fetch {len(to_fetch)} page(s): {error}")
                        _fail(conn, to_fetch, error, summary)
                        bar.update(len(batch) - len(pages))
                        fetched = {}
                    for title, raw in fetched.items():
                        if raw is None:
                            missing = MarkupChangedError(f"MixesDB page {title!r} does not exist")
                            _fail(conn, [title], missing, summary, give_up=True)
                            bar.update(1)
                        else:
                            cache.put(raw)
                            pages[title] = raw
                for title in batch:
                    if title in pages:
                        store_page(conn, pages[title], base_url=base_url, summary=summary)
                        bar.update(1)
                bar.set_postfix(
                    sets=summary.sets_added + summary.sets_updated,
                    tracks=summary.identified,
                    failed=sum(summary.failed.values()),
                )
    finally:
        summary.requests = fetcher.requests
    return summary


def parse_raw(
    conn: sqlite3.Connection, cache: RawCache, *, base_url: str, progress: bool = True
) -> CrawlSummary:
    """Re-parse every cached page into the catalog (no network); pages that now parse are marked done."""
    from tqdm import tqdm

    summary = CrawlSummary()
    for raw in tqdm(cache, total=len(cache), unit="page", desc="parse-raw", disable=not progress or None):
        with transaction(conn):
            conn.execute(
                "INSERT OR IGNORE INTO crawl_pages (title, kind, origin, state) VALUES (?, 'mix', ?, 'pending')",
                (raw.title, "raw-cache"),
            )
            store_page(conn, raw, base_url=base_url, summary=summary)
    return summary
