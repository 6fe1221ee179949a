"""Fetching MixesDB with headless Chromium through Selenium 4: the answer to pages that need a browser.

One browser serves the whole crawl. Each page costs one `driver.get` and one read of
`page_source` (parsed in Python, never hundreds of `find_element` round trips); the HTTP status
is asked for (one small script) only when the page is not a mix or category page. Selenium is
imported lazily, never when the parsers are.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from urllib.parse import quote

from errors import ConfigError, ExternalServiceError
from scraping.html_page import is_challenge_page, page_title_of, parse_category_html
from scraping.page import page_url
from scraping.polite import CHALLENGE_WAITS, MAX_BACKOFF, RETRIES, Answer, Pacer, Persistence
from scraping.rawcache import RawPage

log = logging.getLogger(__name__)

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--blink-settings=imagesEnabled=false",
    "--window-size=1280,900",
)
_STATUS_SCRIPT = (
    "const e = performance.getEntriesByType('navigation')[0];"
    "return e && e.responseStatus ? e.responseStatus : null;"
)


def start_chromium(
    *, user_agent: str, chromedriver: str, chromium: str | None = None, page_timeout: float = 60.0
):
    """A headless Chromium driver and its temporary profile folder (remove it after `driver.quit()`)."""
    os.environ.setdefault("SE_AVOID_STATS", "true")
    if not (os.path.isfile(chromedriver) and os.access(chromedriver, os.X_OK)):
        raise ConfigError(
            f"chromedriver not found at {chromedriver}. Install chromium and its driver "
            "(Debian: apt install chromium chromium-driver) or set SE_CHROMEDRIVER to its path."
        )
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cratedigger-chromium-")
    options = webdriver.ChromeOptions()
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--user-agent={user_agent}")
    options.page_load_strategy = "eager"  # the HTML is all we read; players and images need not load
    if chromium:
        options.binary_location = chromium
    try:
        driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    except WebDriverException as error:
        shutil.rmtree(profile, ignore_errors=True)
        raise ConfigError(
            f"Chromium could not be started through {chromedriver}: {error.msg or error}"
        ) from error
    driver.set_page_load_timeout(page_timeout)
    return driver, profile


class BrowserFetcher:
    """Category pages and mix pages as HTML through one headless Chromium; `RawPage`s of form 'html'."""

    form = "html"
    batch_size = 1

    def __init__(
        self,
        base_url: str,
        *,
        user_agent: str,
        delay: float,
        chromedriver: str,
        chromium: str | None = None,
        robots=None,
        retries: int = RETRIES,
        max_backoff: float = MAX_BACKOFF,
        challenge_waits: tuple[float, ...] = CHALLENGE_WAITS,
        sleep: Callable[[float], None] = time.sleep,
        notify: Callable[[str], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.user_agent = user_agent
        self.robots = robots
        self.persistence = Persistence(
            Pacer(delay, sleep=sleep),
            retries=retries,
            max_backoff=max_backoff,
            challenge_waits=challenge_waits,
            sleep=sleep,
            notify=notify,
        )
        self._chromedriver, self._chromium = chromedriver, chromium
        self._driver = None
        self._profile: str | None = None

    @property
    def requests(self) -> int:
        return self.persistence.attempts

    @property
    def driver(self):
        if self._driver is None:
            self._driver, self._profile = start_chromium(
                user_agent=self.user_agent, chromedriver=self._chromedriver, chromium=self._chromium
            )
        return self._driver

    def _load(self, url: str, *, expect: Callable[[str], bool]) -> str:
        """`page_source` of `url` once it is the expected page; backs off on errors, pauses on challenges."""
        from selenium.common.exceptions import WebDriverException

        if self.robots is not None and not self.robots.allowed(url):
            raise ExternalServiceError(f"robots.txt of {self.base_url} disallows {url}; not fetched.")
        if self.robots is not None:
            self.robots.apply_crawl_delay(self.persistence.pacer)

        def attempt() -> Answer:
            try:
                self.driver.get(url)
                source = self.driver.page_source
            except WebDriverException as error:
                return Answer(
                    retry_reason=f"browser error: {(error.msg or str(error)).splitlines()[0][:120]}"
                )
            if expect(source):
                return Answer(body=source)
            if is_challenge_page(source):
                return Answer(challenge=True)
            status = self.driver.execute_script(_STATUS_SCRIPT)
            if status is None or status < 400:
                return Answer(body=source)  # a page of another shape: the parser says what is missing
            if status in (408, 425, 429) or status >= 500:
                return Answer(retry_reason=f"HTTP {status}", status=status)  # no Retry-After in a browser
            raise ExternalServiceError(f"MixesDB answered HTTP {status} for {url}.", status=status)

        return self.persistence.fetch(url, attempt)

    def category_members(self, category: str, cursor: str | None) -> tuple[list[str], str | None]:
        """Mix titles of one category page and the URL of the next one ('next 200'), or None at the end."""
        url = cursor or f"{self.base_url}/w/{quote('Category:' + category.replace(' ', '_'), safe=':/')}"
        source = self._load(url, expect=lambda page: "catMixesList" in page or 'id="mw-pages"' in page)
        return parse_category_html(source, page_url=self.driver.current_url)

    def fetch_pages(self, titles: list[str]) -> dict[str, RawPage | None]:
        found: dict[str, RawPage | None] = {}
        for title in titles:
            url = page_url(self.base_url, title)
            source = self._load(url, expect=lambda page: page_title_of(page) is not None)
            found[title] = RawPage(title=title, form="html", text=source, url=url)
        return found

    def close(self) -> None:
        if self._driver is not None:
            try:
                self._driver.quit()
            finally:
                self._driver = None
                if self._profile:
                    shutil.rmtree(self._profile, ignore_errors=True)
