"""Fetching MixesDB through its MediaWiki API (`/w/api.php`) with `requests`: the fast path for bulk.

- category members: `action=query&list=categorymembers&cmtitle=Category:X&cmlimit=500`, continued
  with `cmcontinue`;
- pages: `action=query&prop=revisions&rvprop=content&rvslots=main&titles=A|B|…` (≤ 50 titles a request),
  both answered in `formatversion=2` JSON (the `formatversion=1` shape, content under `"*"`, is read too).

Every request goes through `HttpClient.get`: paced, robots.txt-checked, backed off on 429/5xx
(honouring `Retry-After`), and challenge pages raise `ChallengeError` after the configured waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from errors import ExternalServiceError
from scraping.html_page import is_challenge_page
from scraping.page import page_url
from scraping.polite import (
    CHALLENGE_WAITS,
    MAX_BACKOFF,
    RETRIES,
    Answer,
    Pacer,
    Persistence,
    Robots,
    parse_retry_after,
)
from scraping.rawcache import RawPage

log = logging.getLogger(__name__)

MAX_TITLES = 50  # MediaWiki's limit of titles per query for ordinary clients


class ApiRefusedError(ExternalServiceError):
    """api.php answered with an `error` object (an unsupported or refused query)."""


class HttpClient:
    """GET with politeness; `notify(message)` tells the user about waits (the crawl prints it)."""

    def __init__(
        self,
        base_url: str,
        *,
        user_agent: str,
        delay: float,
        timeout: float = 30.0,
        retries: int = RETRIES,
        max_backoff: float = MAX_BACKOFF,
        challenge_waits: tuple[float, ...] = CHALLENGE_WAITS,
        session=None,
        sleep: Callable[[float], None] = time.sleep,
        notify: Callable[[str], None] | None = None,
    ):
        import requests

        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.timeout = timeout
        self.pacer = Pacer(delay, sleep=sleep)
        self.persistence = Persistence(
            self.pacer,
            retries=retries,
            max_backoff=max_backoff,
            challenge_waits=challenge_waits,
            sleep=sleep,
            notify=notify,
        )
        self.robots = Robots(self.base_url, user_agent, self._get_plain)

    def _get_plain(self, url: str) -> tuple[int, str]:
        import requests

        self.pacer.wait()
        self.persistence.attempts += 1
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.RequestException as error:
            raise ExternalServiceError(f"MixesDB could not be reached at {url}: {error}") from error
        return response.status_code, response.text

    def get(self, url: str, params: dict | None = None) -> str:
        """The body of `url`; raises `ExternalServiceError` (status set) or `ChallengeError` when it gives up."""
        import requests

        if not self.robots.allowed(url):
            raise ExternalServiceError(f"robots.txt of {self.base_url} disallows {url}; not fetched.")
        self.robots.apply_crawl_delay(self.pacer)

        def attempt() -> Answer:
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as error:
                return Answer(retry_reason=f"network error: {type(error).__name__}")
            status, body = response.status_code, response.text
            if response.headers.get("cf-mitigated") == "challenge" or (
                status in (403, 429, 503) and is_challenge_page(body)
            ):
                return Answer(challenge=True, status=status)
            if status < 400:
                return Answer(body=body)
            if status in (408, 425, 429) or status >= 500:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                return Answer(retry_reason=f"HTTP {status}", status=status, retry_after=retry_after)
            raise ExternalServiceError(f"MixesDB answered HTTP {status} for {url}.", status=status)

        return self.persistence.fetch(url, attempt)

    @property
    def requests(self) -> int:
        return self.persistence.attempts

    def get_json(self, url: str, params: dict) -> dict:
        import json

        body = self.get(url, params)
        try:
            data = json.loads(body)
        except ValueError as error:
            from errors import MarkupChangedError

            raise MarkupChangedError(
                f"MixesDB's api.php answered something that is not JSON ({body[:80]!r})."
            ) from error
        if "error" in data:
            raise ApiRefusedError(f"MixesDB's api.php refused the query: {data['error']}")
        return data

    def close(self) -> None:
        self.session.close()


def _content_of(page: dict) -> str | None:
    revisions = page.get("revisions") or []
    if not revisions:
        return None
    revision = revisions[0]
    slot = (revision.get("slots") or {}).get("main") or revision
    return slot.get("content", slot.get("*"))


class ApiFetcher:
    """Category members and page wikitext through `api.php`; produces `RawPage`s of form 'wikitext'."""

    form = "wikitext"

    def __init__(self, client: HttpClient, *, batch_size: int = MAX_TITLES):
        self.client = client
        self.batch_size = max(1, min(batch_size, MAX_TITLES))
        self.api_url = client.base_url + "/w/api.php"

    def category_members(self, category: str, cursor: str | None) -> tuple[list[str], str | None]:
        """One batch of mix titles (namespace 0) of `category` and the cursor of the next batch (None at the end)."""
        params = {
            "action": "query",
            "list": "categorymembers",
            "cmtitle": f"Category:{category}",
            "cmlimit": "500",
            "cmnamespace": "0",
            "cmtype": "page",
            "format": "json",
            "formatversion": "2",
        }
        if cursor:
            params["cmcontinue"] = cursor
        data = self.client.get_json(self.api_url, params)
        members = (data.get("query") or {}).get("categorymembers")
        if members is None:
            from errors import MarkupChangedError

            raise MarkupChangedError(
                f"api.php categorymembers for Category:{category} has no 'query.categorymembers'."
            )
        titles = [member["title"] for member in members if member.get("ns", 0) == 0]
        legacy = ((data.get("query-continue") or {}).get("categorymembers") or {}).get("cmcontinue")
        return titles, (data.get("continue") or {}).get("cmcontinue") or legacy

    def fetch_pages(self, titles: list[str]) -> dict[str, RawPage | None]:
        """Wikitext of up to `batch_size` titles in one request; a missing page maps to None.

        Pages the answer leaves without content (or all of them, if api.php refuses the query) are read
        one by one from `index.php?action=raw` instead.
        """
        try:
            found, missing = self._revisions(titles)
        except ApiRefusedError as error:
            log.warning("%s; reading the pages through action=raw instead", error)
            found, missing = dict.fromkeys(titles), set()
        for title in titles:
            if found[title] is None and title not in missing:
                found[title] = self._raw(title)
        return found

    def _raw(self, title: str) -> RawPage | None:
        """One page's wikitext from `/w/index.php?title=…&action=raw`; None when the page does not exist."""
        try:
            text = self.client.get(self.client.base_url + "/w/index.php", {"title": title, "action": "raw"})
        except ExternalServiceError as error:
            if error.status == 404:
                return None
            raise
        return RawPage(title=title, form="wikitext", text=text, url=page_url(self.client.base_url, title))

    def _revisions(self, titles: list[str]) -> tuple[dict[str, RawPage | None], set[str]]:
        params = {
            "action": "query",
            "prop": "revisions",
            "rvprop": "content",
            "rvslots": "main",
            "titles": "|".join(titles),
            "format": "json",
            "formatversion": "2",
        }
        data = self.client.get_json(self.api_url, params)
        query = data.get("query") or {}
        renamed = {item["to"]: item["from"] for item in query.get("normalized", [])}
        pages = query.get("pages") or []
        if isinstance(pages, dict):  # formatversion=1
            pages = list(pages.values())
        found: dict[str, RawPage | None] = dict.fromkeys(titles)
        missing: set[str] = set()
        for page in pages:
            title = renamed.get(page.get("title"), page.get("title"))
            if title not in found:
                continue
            if "missing" in page or "invalid" in page:
                missing.add(title)
                continue
            content = _content_of(page)
            if content is not None:
                found[title] = RawPage(
                    title=title, form="wikitext", text=content, url=page_url(self.client.base_url, title)
                )
        return found, missing

    @property
    def requests(self) -> int:
        return self.client.requests

    def close(self) -> None:
        self.client.close()
