"""Politeness shared by both fetchers: spacing between requests, robots.txt, back-off and challenges.

- `Pacer` keeps at least `delay` seconds (plus up to `jitter` × delay at random) between requests.
- `Robots` reads `/robots.txt` once (a 404 allows everything) and answers `allowed(url)`.
- `backoff_seconds` turns a 429/5xx answer into a wait: `Retry-After` (seconds or HTTP date) capped at
  `cap`, else exponential from 2 s.
- A Cloudflare "Just a moment..." page is a `ChallengeError`: the crawl waits, retries, and if the
  challenge stays, stops with a message saying what happened and what to do.
"""

from __future__ import annotations

import logging
import random
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from errors import ExternalServiceError

log = logging.getLogger(__name__)

DEFAULT_DELAY = 1.0  # seconds between requests
DEFAULT_JITTER = 0.3  # extra random fraction of the delay
MAX_BACKOFF = 300.0  # never sleep longer than this on one Retry-After
RETRIES = 4  # attempts after the first on 429/5xx
CHALLENGE_WAITS = (30.0, 120.0)  # pauses before retrying a challenged page


class ChallengeError(ExternalServiceError):
    """MixesDB (Cloudflare) answered with a 'Just a moment...' browser check instead of the page."""


class Pacer:
    """Spaces requests: `wait()` blocks until `delay` (+ jitter) has passed since the previous request."""

    def __init__(
        self,
        delay: float = DEFAULT_DELAY,
        *,
        jitter: float = DEFAULT_JITTER,
        sleep=time.sleep,
        clock=time.monotonic,
        rng: random.Random | None = None,
    ):
        if delay < 0:
            from errors import BadInputError

            raise BadInputError(f"--delay {delay} must be 0 or more seconds")
        self.delay, self.jitter = delay, jitter
        self._sleep, self._clock = sleep, clock
        self._rng = rng or random.Random()
        self._last: float | None = None

    def wait(self) -> float:
        """Sleep as needed; returns the seconds slept."""
        slept = 0.0
        if self._last is not None and self.delay > 0:
            gap = self.delay * (1.0 + self.jitter * self._rng.random())
            slept = max(0.0, self._last + gap - self._clock())
            if slept:
                self._sleep(slept)
        self._last = self._clock()
        return slept


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds: `"120"` → 120.0, an HTTP date → seconds from now, garbage → None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_seconds(attempt: int, retry_after: float | None, *, cap: float = MAX_BACKOFF) -> float:
    """Wait before retry number `attempt` (1-based): Retry-After when given, else 2, 4, 8 … s; at most `cap`."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return min(2.0**attempt, cap)


class Robots:
    """robots.txt rules of one site, fetched once through `fetch_text(url) -> (status, text)`."""

    def __init__(self, base_url: str, user_agent: str, fetch_text: Callable[[str], tuple[int, str]]):
        self.base_url = base_url.rstrip("/")
        self.user_agent = user_agent
        self._fetch_text = fetch_text
        self._parser: urllib.robotparser.RobotFileParser | None = None

    def _load(self) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser()
        try:
            status, text = self._fetch_text(self.base_url + "/robots.txt")
        except ExternalServiceError as error:
            log.warning("robots.txt could not be read (%s); going on as if it allowed everything", error)
            status, text = 404, ""
        if status >= 400 or not text:
            parser.parse([])
        else:
            parser.parse(text.splitlines())
        return parser

    def allowed(self, url: str) -> bool:
        if self._parser is None:
            self._parser = self._load()
        return self._parser.can_fetch(self.user_agent, url)

    def crawl_delay(self) -> float | None:
        if self._parser is None:
            self._parser = self._load()
        delay = self._parser.crawl_delay(self.user_agent)
        return float(delay) if delay is not None else None

    def apply_crawl_delay(self, pacer: Pacer) -> None:
        """Raise `pacer`'s delay to robots.txt's `Crawl-delay` when that asks for more."""
        delay = self.crawl_delay()
        if delay is not None and delay > pacer.delay:
            log.info("robots.txt asks for %.1f s between requests; using it", delay)
            pacer.delay = delay


@dataclass
class Answer:
    """What one attempt at a page got: the page (`body`), a challenge, or a passing failure to retry."""

    body: str | None = None
    challenge: bool = False
    retry_reason: str | None = None  # 'HTTP 429', 'HTTP 503', 'network error: …'
    status: int | None = None
    retry_after: float | None = None


class Persistence:
    """The one retry loop of both fetchers: paced attempts, back-off on passing failures, pauses on challenges.

    `fetch(url, attempt)` calls `attempt()` (which may raise for a failure not worth retrying) until it gets
    the page; after `retries` passing failures it raises `ExternalServiceError`, after `len(challenge_waits)`
    pauses for a challenge a `ChallengeError` telling the user the crawl is paused.
    """

    def __init__(
        self,
        pacer: Pacer,
        *,
        retries: int = RETRIES,
        max_backoff: float = MAX_BACKOFF,
        challenge_waits: tuple[float, ...] = CHALLENGE_WAITS,
        sleep=time.sleep,
        notify: Callable[[str], None] | None = None,
    ):
        self.pacer = pacer
        self.retries, self.max_backoff, self.challenge_waits = retries, max_backoff, challenge_waits
        self._sleep = sleep
        self.notify = notify or (lambda message: log.warning("%s", message))
        self.attempts = 0  # requests made, for the summary

    def fetch(self, url: str, attempt: Callable[[], Answer]) -> str:
        failures = challenges = 0
        while True:
            self.pacer.wait()
            self.attempts += 1
            answer = attempt()
            if answer.challenge:
                if challenges >= len(self.challenge_waits):
                    raise ChallengeError(
                        f"MixesDB answered with a Cloudflare 'Just a moment...' browser check {challenges + 1} "
                        "times in a row. The crawl is paused and everything fetched so far is saved: wait a while "
                        "(or try the other --via), then run the same command again.",
                        status=answer.status,
                    )
                wait = self.challenge_waits[challenges]
                challenges += 1
                self.notify(
                    f"MixesDB showed a Cloudflare challenge page; pausing {wait:.0f} s before retrying."
                )
                self._sleep(wait)
                continue
            if answer.retry_reason is None:
                return answer.body or ""
            failures += 1
            if failures > self.retries:
                raise ExternalServiceError(
                    f"MixesDB kept failing for {url} ({answer.retry_reason}) after {self.retries} retries.",
                    status=answer.status,
                    retry_after=answer.retry_after,
                )
            wait = backoff_seconds(failures, answer.retry_after, cap=self.max_backoff)
            self.notify(
                f"MixesDB answered {answer.retry_reason}; waiting {wait:.1f} s (retry {failures} of {self.retries})."
            )
            self._sleep(wait)
