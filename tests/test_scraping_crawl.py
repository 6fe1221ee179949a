"""The crawl against the loopback MixesDB: API and browser fetchers, politeness, failures, kill and resume."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog.db import connect
from scraping.crawl import CrawlPlan, crawl, parse_raw
from scraping.fetch_api import ApiFetcher, HttpClient
from scraping.page import to_set_record
from scraping.polite import ChallengeError, Pacer, backoff_seconds, parse_retry_after
from scraping.rawcache import RawCache
from scraping.wikitext import parse_wikitext
from tests.fakes.mixesdb import FakeMixesDB, fixture_pages, synthetic_pages

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "mixesdb"
MCDE_TITLE = "2011-07-04 - Motor City Drum Ensemble - DJ-Kicks"
UA = "Cratedigger-test/1 (+mailto:test@example.org)"


def snapshot(db_path: Path) -> tuple[list, list]:
    """Sets and plays of a catalog in a comparable form."""
    conn = sqlite3.connect(db_path)
    sets = conn.execute(
        "SELECT source_key, substr(url, instr(url, '/w/')), date, djs, venue, city, show, styles, tracklist_complete, n_lines, n_unknown "
        "FROM sets ORDER BY source_key"
    ).fetchall()
    plays = conn.execute(
        "SELECT s.source_key, p.position, p.part, p.cue, t.key, t.label, t.catalog_number FROM plays p "
        "JOIN sets s ON s.id = p.set_id JOIN tracks t ON t.id = p.track_id ORDER BY 1, 2, 3"
    ).fetchall()
    conn.close()
    return sets, plays


class Sleeps(list):
    """A `sleep` that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run_api_crawl(site, data: Path, plan: CrawlPlan, *, sleeps=None, batch=50, **client_kwargs):
    client = HttpClient(
        site.base_url,
        user_agent=UA,
        delay=0,
        sleep=sleeps if sleeps is not None else Sleeps(),
        notify=lambda m: None,
        **client_kwargs,
    )
    conn = connect(data / "catalog.sqlite")
    try:
        return crawl(
            conn,
            ApiFetcher(client, batch_size=batch),
            RawCache(data / "raw" / "mixesdb"),
            plan,
            via="api",
            base_url=site.base_url,
            progress=False,
            notify=lambda m: None,
        )
    finally:
        conn.close()
        client.close()


def expected_from_fixtures(pages: dict[str, str]) -> tuple[int, int]:
    """(sets, plays) the crawl must store: every page with a tracklist, every known track part."""
    sets = plays = 0
    for title, text in pages.items():
        page = parse_wikitext(text, title)
        if page.kind == "mix":
            sets += 1
            plays += len(to_set_record(page).plays)
    return sets, plays


@pytest.fixture
def site():
    pages = fixture_pages()
    pages.update(synthetic_pages(25, category="Essential Mix"))
    mcde = (FIXTURES / "mix-page-2011-07-04-motor-city-drum-ensemble-dj-kicks.html").read_text(
        encoding="utf-8"
    )
    with FakeMixesDB(pages, html_pages={MCDE_TITLE: mcde}, api_cap=10) as fake:
        yield fake


def test_api_crawl_follows_continuation_and_stores_every_set(site, tmp_path):
    summary = run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"]), batch=7)
    want_sets, want_plays = expected_from_fixtures(site.pages)
    sets, plays = snapshot(tmp_path / "catalog.sqlite")
    assert len(sets) == want_sets == summary.sets_added and len(plays) == want_plays == summary.identified
    assert summary.skipped == 1  # the {{Repeat}} page
    listings = [p for p, _, _ in site.requests if "list=categorymembers" in p]
    assert len(listings) == 4 and sum("cmcontinue=" in p for p in listings) == 3  # 37 members, 10 a batch
    assert all(agent == UA for _, agent, _ in site.requests)
    assert site.requests[0][0] == "/robots.txt"
    cache = RawCache(tmp_path / "raw" / "mixesdb")
    assert len(cache) == len(site.pages)
    cached = cache.get("2018-05-05 - Ivy Lab - Essential Mix")
    assert cached.form == "wikitext" and cached.text == site.pages[cached.title] and cached.fetched_at
    # running the same command again fetches nothing and stores nothing twice
    before = len(site.requests)
    again = run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"]))
    assert again.pages == 0 and len(site.requests) == before  # nothing left to fetch
    assert snapshot(tmp_path / "catalog.sqlite") == (sets, plays)


def test_a_category_that_lists_nothing_says_to_check_its_name(site, tmp_path):
    """QA: a mistyped category crawled 'successfully' with '0 mixes listed'."""
    client = HttpClient(site.base_url, user_agent=UA, delay=0, sleep=Sleeps(), notify=lambda m: None)
    conn, said = connect(tmp_path / "catalog.sqlite"), []
    try:
        crawl(conn, ApiFetcher(client), RawCache(tmp_path / "raw"), CrawlPlan(categories=["Nonexistent Genre"]),
              via="api", base_url=site.base_url, progress=False, notify=said.append)
    finally:
        conn.close()
        client.close()
    assert any("Category:Nonexistent Genre: no mixes listed" in m and "check the name" in m for m in said), said


def test_parse_raw_rebuilds_the_catalog_without_network(site, tmp_path):
    run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"]))
    want = snapshot(tmp_path / "catalog.sqlite")
    base_url = site.base_url
    site.stop()
    (tmp_path / "catalog.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(tmp_path / "catalog.sqlite") + suffix).unlink(missing_ok=True)
    conn = connect(tmp_path / "catalog.sqlite")
    summary = parse_raw(conn, RawCache(tmp_path / "raw" / "mixesdb"), base_url=base_url, progress=False)
    conn.close()
    assert summary.sets_added == len(want[0])
    assert snapshot(tmp_path / "catalog.sqlite") == want


def test_since_limit_and_titles_file(site, tmp_path):
    summary = run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"], since="2012-06", limit=3))
    assert summary.pages == 3
    conn = sqlite3.connect(tmp_path / "catalog.sqlite")
    dates = [row[0] for row in conn.execute("SELECT date FROM sets")]
    skipped = conn.execute("SELECT COUNT(*) FROM crawl_pages WHERE state = 'skipped'").fetchone()[0]
    conn.close()
    assert all(date >= "2012-06" for date in dates) and skipped >= 5
    other = tmp_path / "titles"
    other.mkdir()
    summary = run_api_crawl(
        site, other, CrawlPlan(titles=["2018-05-05 - Ivy Lab - Essential Mix", "No Such Mix"])
    )
    assert summary.sets_added == 1 and summary.failed == {"page does not exist": 1}


def test_429_retry_after_is_honoured_and_capped(site, tmp_path):
    site.add_fault("prop=revisions", status=429, retry_after="2", times=2)
    site.add_fault("list=categorymembers", status=429, retry_after="86400", times=1)
    sleeps = Sleeps()
    summary = run_api_crawl(
        site, tmp_path, CrawlPlan(categories=["Essential Mix"]), sleeps=sleeps, max_backoff=30
    )
    assert 30 in sleeps and sleeps.count(2.0) == 2  # capped, then honoured twice
    assert sum(summary.failed.values()) == 0 and summary.sets_added == expected_from_fixtures(site.pages)[0]


def test_persistent_500_fails_those_pages_and_the_crawl_goes_on(site, tmp_path):
    site.add_fault("Ivy+Lab", status=500, times=100)
    sleeps = Sleeps()
    summary = run_api_crawl(
        site, tmp_path, CrawlPlan(categories=["Essential Mix"]), sleeps=sleeps, batch=1, retries=2
    )
    assert summary.failed == {"HTTP 500": 1}
    assert sleeps == [2.0, 4.0]  # exponential back-off without Retry-After
    assert summary.sets_added == expected_from_fixtures(site.pages)[0] - 1
    conn = sqlite3.connect(tmp_path / "catalog.sqlite")
    state = conn.execute("SELECT state, attempts FROM crawl_pages WHERE title LIKE '%Ivy Lab%'").fetchone()
    conn.close()
    assert state == ("pending", 1)  # retried by the next run, given up after 3 failed runs


def test_challenge_pauses_the_crawl_and_a_rerun_finishes(site, tmp_path):
    site.add_fault("prop=revisions", challenge=True, times=3)
    sleeps = Sleeps()
    with pytest.raises(ChallengeError, match="Just a moment"):
        run_api_crawl(
            site,
            tmp_path,
            CrawlPlan(categories=["Essential Mix"]),
            sleeps=sleeps,
            challenge_waits=(5.0, 10.0),
        )
    assert sleeps == [5.0, 10.0]
    conn = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert (
        conn.execute("SELECT COUNT(*) FROM crawl_pages WHERE kind = 'mix' AND state = 'pending'").fetchone()[
            0
        ]
        > 0
    )
    conn.close()
    summary = run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"]))
    assert summary.sets_added == expected_from_fixtures(site.pages)[0]


def test_malformed_page_is_recorded_and_the_crawl_goes_on(site, tmp_path):
    site.pages["2020-01-01 - Broken @ Nowhere"] = "== Notes ==\nno list here\n[[Category:Essential Mix]]\n"
    summary = run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"]))
    assert summary.failed == {"no tracklist section": 1}
    conn = sqlite3.connect(tmp_path / "catalog.sqlite")
    error = conn.execute("SELECT state, last_error FROM crawl_pages WHERE title LIKE '%Broken%'").fetchone()
    conn.close()
    assert error[0] == "failed" and "2020-01-01 - Broken @ Nowhere" in error[1]


def test_robots_txt_is_honoured(site, tmp_path):
    site.robots = "User-agent: *\nDisallow: /w/api.php\n"
    summary = run_api_crawl(site, tmp_path, CrawlPlan(titles=["2018-05-05 - Ivy Lab - Essential Mix"]))
    assert summary.failed == {"disallowed by robots.txt": 1}
    assert [p for p, _, _ in site.requests] == ["/robots.txt"]


@pytest.mark.parametrize("options", [{"formatversion": "1"}, {"revisions_by_titles": False}])
def test_other_api_answers_give_the_same_catalog(tmp_path, options):
    """formatversion=1 answers, or an api.php that refuses bulk revisions (then action=raw is read)."""
    pages = fixture_pages()
    with FakeMixesDB(pages, api_cap=5) as plain:
        run_api_crawl(plain, tmp_path / "plain", CrawlPlan(categories=["Essential Mix"]))
    with FakeMixesDB(pages, api_cap=5, **options) as other:
        summary = run_api_crawl(other, tmp_path / "other", CrawlPlan(categories=["Essential Mix", "No Such"]))
        raw_reads = sum("action=raw" in p for p, _, _ in other.requests)
    assert summary.failed == {}
    assert raw_reads == (0 if "formatversion" in options else len(pages))
    assert snapshot(tmp_path / "other" / "catalog.sqlite") == snapshot(tmp_path / "plain" / "catalog.sqlite")


def test_category_links_without_title_attributes():
    from scraping.html_page import parse_category_html

    page = (
        '<div id="mw-pages"><h2>Pages in category "Techno"</h2><div class="mw-category"><ul>'
        '<li><a href="/w/2020-01-01_-_A_%26_B_@_Club">2020-01-01 - A &amp; B @ Club</a></li>'
        '<li><a href="/w/Category:Techno_Live" title="Category:Techno Live">Techno Live</a></li></ul></div>'
        '<a href="/db/index.php?title=Category:Techno&amp;pagefrom=2020-02" title="Category:Techno">next page</a>'
        "</div>"
    )
    titles, next_url = parse_category_html(page, page_url="http://127.0.0.1:1/w/Category:Techno")
    assert titles == ["2020-01-01 - A & B @ Club"]
    assert next_url == "http://127.0.0.1:1/db/index.php?title=Category:Techno&pagefrom=2020-02"


def test_robots_crawl_delay_raises_the_delay(site, tmp_path):
    site.robots = "User-agent: *\nCrawl-delay: 3\nDisallow: /w/Special:\n"
    sleeps = Sleeps()
    run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"]), sleeps=sleeps)
    assert sleeps and all(2.5 <= s <= 3.0 * 1.3 for s in sleeps)


def test_pacer_keeps_the_delay_with_jitter():
    now = [0.0]
    sleeps = Sleeps()

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    pacer = Pacer(1.0, jitter=0.5, sleep=sleep, clock=lambda: now[0], rng=random.Random(1))
    for _ in range(5):
        pacer.wait()
        now[0] += 0.1  # the request itself
    assert len(sleeps) == 4 and all(0.9 <= s <= 1.4 for s in sleeps) and len(set(sleeps)) > 1


def test_retry_after_forms():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert 0 <= parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") <= 1  # in the past: no wait
    assert (
        backoff_seconds(1, None) == 2
        and backoff_seconds(3, None) == 8
        and backoff_seconds(1, 999, cap=60) == 60
    )


# ---- through the command line -------------------------------------------------------------------------

CLI = "import sys, cli; cli.COMMAND_MODULES[:] = ['scraping.commands']; sys.exit(cli.main(sys.argv[1:]))"


def cli_command(*args) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def cli_env(data: Path) -> dict[str, str]:
    return {**os.environ, "CRATEDIGGER_DATA_DIR": str(data), "CRATEDIGGER_USER_AGENT": UA}


def test_crawl_verb_summary_and_challenge_message(site, tmp_path):
    args = [
        "crawl",
        "--category",
        "Essential Mix",
        "--via",
        "api",
        "--base-url",
        site.base_url,
        "--delay",
        "0",
        "--no-progress",
    ]
    result = subprocess.run(
        cli_command(*args), cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    want_sets, want_plays = expected_from_fixtures(site.pages)
    assert f"sets added: {want_sets}" in result.stdout and f"identified tracks: {want_plays}" in result.stdout
    # parse-raw rebuilds the same catalog from the raw cache with the site gone
    want = snapshot(tmp_path / "catalog.sqlite")
    site.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp_path / "catalog.sqlite") + suffix).unlink(missing_ok=True)
    reparsed = subprocess.run(
        cli_command("parse-raw", "--no-progress"),
        cwd=ROOT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reparsed.returncode == 0, reparsed.stderr
    assert f"sets added: {want_sets}" in reparsed.stdout
    assert snapshot(tmp_path / "catalog.sqlite") == want
    bad = subprocess.run(
        cli_command("crawl", "--since", "June"),
        cwd=ROOT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "Nothing to crawl" in bad.stderr or "YYYY-MM" in bad.stderr


@pytest.mark.slow
def test_kill_minus_nine_then_resume_equals_an_uninterrupted_crawl(tmp_path):
    pages = fixture_pages()
    pages.update(synthetic_pages(60, category="Essential Mix"))
    with FakeMixesDB(pages, api_cap=20, response_delay=0.04) as fake:
        args = [
            "crawl",
            "--category",
            "Essential Mix",
            "--via",
            "api",
            "--base-url",
            fake.base_url,
            "--delay",
            "0",
            "--batch",
            "2",
            "--no-progress",
        ]
        whole = tmp_path / "whole"
        done = subprocess.run(
            cli_command(*args), cwd=ROOT, env=cli_env(whole), capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        killed = tmp_path / "killed"
        rng = random.Random(3)
        kills = 0
        for _ in range(4):
            process = subprocess.Popen(
                cli_command(*args),
                cwd=ROOT,
                env=cli_env(killed),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.6, 1.6))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait(timeout=30)
        final = subprocess.run(
            cli_command(*args), cwd=ROOT, env=cli_env(killed), capture_output=True, text=True, timeout=300
        )
        assert final.returncode == 0, final.stderr
    assert kills >= 2
    assert snapshot(killed / "catalog.sqlite") == snapshot(whole / "catalog.sqlite")
    conn = sqlite3.connect(killed / "catalog.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM crawl_pages WHERE state = 'pending'").fetchone()[0] == 0
    conn.close()


# ---- the browser ------------------------------------------------------------------------------------------

CHROMEDRIVER = os.environ.get("SE_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.mark.browser
@pytest.mark.skipif(
    not os.path.exists(CHROMEDRIVER) or not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="needs chromium and chromedriver",
)
def test_browser_crawl_gives_the_same_records_as_the_api(tmp_path):
    from scraping.fetch_browser import BrowserFetcher

    pages = fixture_pages()
    pages.update(synthetic_pages(205, category="Essential Mix"))  # > 200: the category page paginates
    mcde = (FIXTURES / "mix-page-2011-07-04-motor-city-drum-ensemble-dj-kicks.html").read_text(
        encoding="utf-8"
    )
    with FakeMixesDB(pages, html_pages={MCDE_TITLE: mcde}) as fake:
        keep = sorted(fixture_pages())  # crawl the real pages and a few synthetic ones, not all 217
        titles = keep + [t for t in sorted(pages) if t.startswith("2020-")][:3]
        fake.add_fault("Ivy_Lab", status=500, times=1)
        fake.add_fault("Sonar_At_Night", challenge=True, times=1)
        sleeps = Sleeps()
        client = HttpClient(fake.base_url, user_agent=UA, delay=0)
        fetcher = BrowserFetcher(
            fake.base_url,
            user_agent=UA,
            delay=0,
            chromedriver=CHROMEDRIVER,
            robots=client.robots,
            sleep=sleeps,
            challenge_waits=(0.5,),
            notify=lambda m: None,
        )
        browser_dir = tmp_path / "browser"
        conn = connect(browser_dir / "catalog.sqlite")
        try:
            listed, next_url = fetcher.category_members("Essential Mix", None)
            assert len(listed) == 200 and "pagefrom=" in next_url
            rest, end = fetcher.category_members("Essential Mix", next_url)
            assert len(rest) == len(pages) - 200 and end is None
            summary = crawl(
                conn,
                fetcher,
                RawCache(browser_dir / "raw"),
                CrawlPlan(titles=titles + [MCDE_TITLE]),
                via="browser",
                base_url=fake.base_url,
                progress=False,
                notify=lambda m: None,
            )
        finally:
            fetcher.close()
            conn.close()
        assert sleeps.count(0.5) == 1 and 2.0 in sleeps  # the challenge pause and the 500 back-off
        assert summary.sets_added == len(titles) and summary.skipped == 1 + 0  # the repeat page
        api_dir = tmp_path / "api"
        run_api_crawl(fake, api_dir, CrawlPlan(titles=titles))
    browser_sets, browser_plays = snapshot(browser_dir / "catalog.sqlite")
    api_sets, api_plays = snapshot(api_dir / "catalog.sqlite")
    mcde_plays = [p for p in browser_plays if p[0] == MCDE_TITLE]
    assert len(mcde_plays) == 22
    assert [p for p in browser_plays if p[0] != MCDE_TITLE] == api_plays
    assert [s for s in browser_sets if s[0] != MCDE_TITLE] == api_sets


@pytest.mark.browser
@pytest.mark.skipif(
    not os.path.exists(CHROMEDRIVER) or not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="needs chromium and chromedriver",
)
def test_crawl_verb_via_browser_lists_the_category_and_resumes(site, tmp_path):
    args = ["crawl", "--category", "Essential Mix", "--via", "browser", "--base-url", site.base_url]
    args += ["--delay", "0", "--limit", "5", "--no-progress"]
    first = subprocess.run(
        cli_command(*args), cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=180
    )
    assert first.returncode == 0, first.stderr
    assert "sets added: 4" in first.stdout  # the third page is a {{Repeat}}: skipped
    second = subprocess.run(
        cli_command(*args), cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=180
    )
    assert second.returncode == 0, second.stderr
    assert "sets added: 5" in second.stdout
    sets, _ = snapshot(tmp_path / "catalog.sqlite")
    assert len(sets) == 9
    assert any(path.startswith("/w/Category:Essential_Mix") for path, _, _ in site.requests)
    assert all(agent == UA for path, agent, _ in site.requests if path != "/favicon.ico")


def test_bug_the_summary_names_the_pages_that_failed(site, tmp_path):
    """QA: a page whose markup changed was counted ('1 × no tracklist section') but never named, so the operator
    could not tell which page to look at."""
    site.pages["2020-01-01 - Broken @ Nowhere"] = "== Notes ==\nno list here\n[[Category:Essential Mix]]\n"
    summary = run_api_crawl(site, tmp_path, CrawlPlan(categories=["Essential Mix"]))
    lines = summary.lines()
    at = lines.index("  1 × no tracklist section")
    assert lines[at + 1].strip() == "2020-01-01 - Broken @ Nowhere"


def test_bug_remembering_failed_pages_is_not_quadratic():
    """Each failed page was checked against a list of those before it: 50,000 pages failing alike (MixesDB's markup
    changed under a long crawl) cost 10 s, 200,000 nearly 3 minutes; the summary still names each page once."""
    from scraping.crawl import FAILED_TITLES_SHOWN, CrawlSummary

    summary = CrawlSummary()
    started = time.perf_counter()
    for i in range(30_000):
        summary.fail("no tracklist section", [f"2019-06-01 - Artist {i} @ Club"])
    summary.fail("no tracklist section", ["2019-06-01 - Artist 0 @ Club"])  # failed again: named once
    assert time.perf_counter() - started < 1.0  # was ~4 s
    lines = summary.lines()
    assert "  30001 × no tracklist section" in lines and lines[-1] == f"      … and {30_000 - FAILED_TITLES_SHOWN} more"


def test_bug_a_category_that_lists_nothing_is_exit_2_every_time(site, tmp_path):
    """QA: `crawl --category Nope` said 'no mixes listed' but exited 0 (a name that names nothing is exit 2), and
    the category was marked done, so running it again printed an all-zero summary without a word about it."""
    args = ["crawl", "--category", "Nope", "--base-url", site.base_url, "--delay", "0", "--no-progress"]
    for _ in range(2):
        result = subprocess.run(cli_command(*args), cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 2 and "Category:Nope: no mixes listed" in result.stderr, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("error: MixesDB lists no mix in 'Nope'")
    both = subprocess.run(cli_command(*args, "--category", "Essential Mix"), cwd=ROOT, env=cli_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert both.returncode == 0 and "no mixes listed" in both.stderr  # the other category was crawled


def test_bug_a_crawl_whose_every_page_fails_is_not_exit_0(site, tmp_path):
    """QA: when every fetched page failed to parse (MixesDB changed its markup) the crawl exited 0, so a scheduled
    crawl never noticed; README: a changed page is exit 3 (a mistyped title, naming nothing, is exit 2)."""
    site.pages["2020-01-01 - Broken @ Nowhere"] = "== Notes ==\nno list here\n[[Category:Essential Mix]]\n"
    titles = tmp_path / "titles.txt"
    titles.write_text("2020-01-01 - Broken @ Nowhere\n", encoding="utf-8")
    args = ["crawl", "--titles", str(titles), "--base-url", site.base_url, "--delay", "0", "--no-progress"]
    changed = subprocess.run(cli_command(*args), cwd=ROOT, env=cli_env(tmp_path / "a"), capture_output=True,
                             text=True, timeout=120)
    assert changed.returncode == 3 and "markup changed" in changed.stderr, changed.stderr
    assert "2020-01-01 - Broken @ Nowhere" in changed.stdout
    titles.write_text("1999-01-01 - Nobody - Nothing\n", encoding="utf-8")
    typo = subprocess.run(cli_command(*args), cwd=ROOT, env=cli_env(tmp_path / "b"), capture_output=True, text=True,
                          timeout=120)
    assert typo.returncode == 2 and "no page with these titles" in typo.stderr, typo.stderr


def test_bug_a_titles_file_with_a_latin1_line_is_read(tmp_path):
    """QA: `crawl --titles FILE` with one Latin-1 title (a file saved on Windows) ended in exit 1, 'an unexpected
    UnicodeDecodeError … a bug'."""
    from scraping.commands import _read_titles

    listing = tmp_path / "titles.txt"
    listing.write_bytes(b"2011-07-04 - Caf\xe9 del Mar\nhttps://www.mixesdb.com/w/2012-01-01_-_DJ_A_@_Club\n")
    assert _read_titles(listing) == ["2011-07-04 - Café del Mar", "2012-01-01 - DJ A @ Club"]


def test_bug_a_category_listed_before_says_how_to_pick_up_new_mixes(site, tmp_path):
    """QA: rerunning `crawl --category X` weeks later printed an all-zero summary: the category, listed before, was
    not listed again (only --refresh does that), and nothing said so."""
    def once(plan, said):
        client = HttpClient(site.base_url, user_agent=UA, delay=0, sleep=Sleeps(), notify=lambda m: None)
        conn = connect(tmp_path / "catalog.sqlite")
        try:
            return crawl(conn, ApiFetcher(client), RawCache(tmp_path / "raw"), plan, via="api",
                         base_url=site.base_url, progress=False, notify=said.append)
        finally:
            conn.close()
            client.close()

    first, second, refreshed = [], [], []
    once(CrawlPlan(categories=["Essential Mix"]), first)
    assert not any("--refresh" in m for m in first)
    assert once(CrawlPlan(categories=["Essential Mix"]), second).pages == 0
    assert any("Category:Essential Mix: listed before on " in m and "--refresh" in m for m in second), second
    once(CrawlPlan(categories=["Essential Mix"], refresh=True), refreshed)
    assert any("mixes listed" in m for m in refreshed) and not any("--refresh" in m for m in refreshed)


@pytest.mark.parametrize("delay", ["inf", "nan", "-1"])
def test_bug_a_delay_that_is_not_a_finite_number_is_refused(tmp_path, delay):
    """QA: `crawl --delay inf` ended in exit 1 ('OverflowError … a bug'); `--delay nan` was taken as no delay."""
    result = subprocess.run(cli_command("crawl", "--category", "X", "--delay", delay, "--base-url", "http://127.0.0.1:9"),
                            cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "must be 0 or more seconds" in result.stderr, result.stderr
