"""A loopback stand-in for www.mixesdb.com (threaded `http.server` on 127.0.0.1, random port).

Serves, from wikitext pages given to it (and optional verbatim HTML pages):
- `/robots.txt`;
- `/w/<Title>` mix pages in the real markup (see `mixesdb_render`), `/w/Category:<Name>` and
  `/db/index.php?title=Category:<Name>&pagefrom=<Title>` category pages, 200 titles a page;
- `/w/index.php?title=<Title>&action=raw` raw wikitext;
- `/w/api.php`: `action=query` with `list=categorymembers` (`cmcontinue`), `prop=revisions&rvprop=content&rvslots=main`
  by `titles=` or with `generator=categorymembers` (`gcmcontinue`), in `formatversion=1` or `2` JSON.
On demand (`add_fault`): a Cloudflare "Just a moment..." page (403 + `cf-mitigated: challenge`), 429 with
`Retry-After`, 500, or a slow answer, for the next N requests whose path contains a string.
Every request is logged in `requests` (path, User-Agent, time) for assertions.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.loopback import LoopbackFake
from tests.fakes.mixesdb_render import CHALLENGE_PAGE, render_category_page, render_mix_page

DEFAULT_ROBOTS = """User-agent: *
Disallow: /w/Special:
Disallow: /w/MixesDB:Private
Disallow: /db/index.php?title=Special:

User-agent: BadBot
Disallow: /
"""
_CATEGORY = re.compile(r"\[\[\s*Category\s*:\s*([^\]|]+)(?:\|[^\]]*)?\]\]", re.IGNORECASE)
CATEGORY_PAGE_SIZE = 200


@dataclass
class Fault:
    """Answer the next `times` requests whose path contains `path_contains` with this instead."""

    path_contains: str
    times: int = 1
    status: int = 500
    retry_after: str | None = None
    challenge: bool = False
    delay: float = 0.0  # seconds to wait before answering normally (a slow response) when status == 200


class FakeMixesDB(LoopbackFake):
    """The fake site; use as a context manager or call `start()`/`stop()`. `base_url` once started."""

    def __init__(
        self,
        pages: dict[str, str],
        *,
        html_pages: dict[str, str] | None = None,
        robots: str = DEFAULT_ROBOTS,
        api_cap: int = 500,
        response_delay: float = 0.0,
        formatversion: str | None = None,
        revisions_by_titles: bool = True,
    ):
        self.pages = dict(pages)  # title → wikitext
        self.html_pages = dict(html_pages or {})  # title → verbatim HTML (categories from its wgCategories)
        self.robots = robots
        self.api_cap = api_cap
        self.response_delay = response_delay
        self.formatversion = formatversion  # '1' or '2' forces that answer shape whatever is asked
        self.revisions_by_titles = revisions_by_titles  # False: refuse prop=revisions&titles= (raw fallback)
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()
        self._page_ids: dict[str, int] = {}

    # ---- content -------------------------------------------------------------------------------------

    def categories(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for title, text in self.pages.items():
            for name in _CATEGORY.findall(text):
                found.setdefault(name.strip().replace("_", " "), []).append(title)
        for title, page in self.html_pages.items():
            match = re.search(r'"wgCategories"\s*:\s*(\[[^\]]*\])', page)
            for name in json.loads(match.group(1)) if match else []:
                found.setdefault(name, []).append(title)
        return {name: sorted(set(titles), key=str.upper) for name, titles in found.items()}

    def members(self, category: str) -> list[str]:
        return self.categories().get(category.replace("_", " ").strip(), [])

    def page_id(self, title: str) -> int:
        """A stable page id for `title` (given on first use, as pages may be added while serving)."""
        with self._lock:
            return self._page_ids.setdefault(title, len(self._page_ids) + 1)

    # ---- faults --------------------------------------------------------------------------------------

    def add_fault(self, path_contains: str = "", **kwargs) -> Fault:
        fault = Fault(path_contains=path_contains, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path_contains in path:
                    fault.times -= 1
                    return fault
        return None

    # ---- server --------------------------------------------------------------------------------------

    def handler_class(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                site._handle(self)

        return Handler

    def start(self) -> str:
        """Serve on a free loopback port; returns the base URL."""
        super().start()
        return self.base_url

    def __enter__(self) -> FakeMixesDB:
        super().start()
        return self

    # ---- request handling ------------------------------------------------------------------------------

    def _send(
        self,
        handler,
        status: int,
        body: str,
        content_type: str = "text/html; charset=UTF-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler) -> None:
        self.requests.append((handler.path, handler.headers.get("User-Agent", ""), time.monotonic()))
        if self.response_delay:
            time.sleep(self.response_delay)
        fault = self._take_fault(handler.path)
        if fault is not None:
            if fault.challenge:
                return self._send(handler, 403, CHALLENGE_PAGE, headers={"cf-mitigated": "challenge"})
            if fault.status == 200:
                time.sleep(fault.delay)
            else:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                reason = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
                text = reason.get(fault.status, "Error")
                return self._send(
                    handler,
                    fault.status,
                    f"<html><head><title>{fault.status} {text}</title></head>"
                    f"<body><h1>{text}</h1></body></html>",
                    headers=headers,
                )
        url = urlsplit(handler.path)
        query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        path = unquote(url.path)
        if path == "/robots.txt":
            return self._send(handler, 200, self.robots, "text/plain; charset=UTF-8")
        if path == "/w/api.php":
            status, data = self._api(query)
            return self._send(
                handler, status, json.dumps(data, ensure_ascii=False), "application/json; charset=utf-8"
            )
        if path in ("/w/index.php", "/db/index.php"):
            title = query.get("title", "").replace("_", " ")
            if query.get("action") == "raw":
                if title in self.pages:
                    return self._send(handler, 200, self.pages[title], "text/x-wiki; charset=UTF-8")
                return self._send(handler, 404, "", "text/x-wiki; charset=UTF-8")
            if title.startswith("Category:"):
                return self._category_page(handler, title.removeprefix("Category:"), query.get("pagefrom"))
            return self._mix_page(handler, title)
        if path.startswith("/w/"):
            title = path.removeprefix("/w/").replace("_", " ")
            if title.startswith("Category:"):
                return self._category_page(handler, title.removeprefix("Category:"), None)
            return self._mix_page(handler, title)
        return self._send(
            handler, 404, "<html><head><title>Not Found</title></head><body>Not Found</body></html>"
        )

    def _mix_page(self, handler, title: str) -> None:
        if title in self.html_pages:
            return self._send(handler, 200, self.html_pages[title])
        if title not in self.pages:
            body = render_mix_page(title, "There is currently no text in this page.")
            return self._send(handler, 404, body)
        related = [t for t in sorted(self.pages) if t != title][:3]
        return self._send(handler, 200, render_mix_page(title, self.pages[title], related=related))

    def _category_page(self, handler, category: str, pagefrom: str | None) -> None:
        category = category.replace("_", " ")
        titles = self.members(category)
        if pagefrom:
            titles = [t for t in titles if t.upper() >= pagefrom.replace("_", " ").upper()]
        page, rest = titles[:CATEGORY_PAGE_SIZE], titles[CATEGORY_PAGE_SIZE:]
        return self._send(handler, 200, render_category_page(category, page, rest[0] if rest else None))

    # ---- api.php ---------------------------------------------------------------------------------------

    def _api(self, query: dict[str, str]) -> tuple[int, dict]:
        v2 = (self.formatversion or query.get("formatversion")) == "2"
        if query.get("action") != "query":
            return 200, {"error": {"code": "badvalue", "info": 'Unrecognized value for parameter "action".'}}
        result: dict = {"batchcomplete": True if v2 else ""}
        if query.get("list") == "categorymembers":
            titles, next_cursor = self._members_batch(query, "cm")
            result["query"] = {
                "categorymembers": [{"pageid": self.page_id(t), "ns": 0, "title": t} for t in titles]
            }
            if next_cursor:
                result["continue"] = {"cmcontinue": next_cursor, "continue": "-||"}
            return 200, result
        if query.get("prop") == "revisions":
            if "content" not in query.get("rvprop", "").split("|"):
                return 200, {"error": {"code": "nocontent", "info": "this fake only answers rvprop=content"}}
            if query.get("generator") == "categorymembers":
                titles, next_cursor = self._members_batch(query, "gcm", cap=50)
                if next_cursor:
                    result["continue"] = {"gcmcontinue": next_cursor, "continue": "gcmcontinue||"}
            else:
                if not self.revisions_by_titles:
                    return 200, {
                        "error": {"code": "disabled", "info": "prop=revisions by titles is off here"}
                    }
                titles = [t for t in query.get("titles", "").split("|") if t]
                if len(titles) > 50:
                    return 200, {
                        "error": {
                            "code": "toomanyvalues",
                            "info": 'Too many values supplied for parameter "titles". The limit is 50.',
                        }
                    }
            result["query"] = self._revisions(titles, v2, normalize=query.get("generator") is None)
            return 200, result
        return 200, {
            "error": {"code": "unsupported", "info": "this fake answers categorymembers and revisions"}
        }

    def _members_batch(
        self, query: dict[str, str], prefix: str, cap: int | None = None
    ) -> tuple[list[str], str | None]:
        category = query.get(f"{prefix}title", "").removeprefix("Category:")
        titles = self.members(category)
        limit_text = query.get(f"{prefix}limit", "10")
        limit = min(cap or self.api_cap, self.api_cap if limit_text == "max" else int(limit_text))
        cursor = query.get(f"{prefix}continue")
        if cursor:  # 'page|<HEX SORTKEY>|<pageid>' as MediaWiki gives it
            start_key = bytes.fromhex(cursor.split("|")[1]).decode("utf-8")
            titles = [t for t in titles if t.upper() >= start_key]
        batch, rest = titles[:limit], titles[limit:]
        next_cursor = None
        if rest:
            next_cursor = f"page|{rest[0].upper().encode('utf-8').hex().upper()}|{self.page_id(rest[0])}"
        return batch, next_cursor

    def _revisions(self, titles: list[str], v2: bool, *, normalize: bool) -> dict:
        normalized = []
        pages = []
        for requested in titles:
            title = requested.replace("_", " ").strip()
            if title and title[0].islower():
                title = title[0].upper() + title[1:]
            if normalize and title != requested:
                normalized.append(
                    {"fromencoded": False, "from": requested, "to": title}
                    if v2
                    else {"from": requested, "to": title}
                )
            text = self.pages.get(title)
            if text is None:
                pages.append({"ns": 0, "title": title, "missing": True if v2 else ""})
                continue
            slot = {
                "contentmodel": "wikitext",
                "contentformat": "text/x-wiki",
                ("content" if v2 else "*"): text,
            }
            pages.append(
                {
                    "pageid": self.page_id(title),
                    "ns": 0,
                    "title": title,
                    "revisions": [{"slots": {"main": slot}}],
                }
            )
        body: dict = {}
        if normalized:
            body["normalized"] = normalized
        if v2:
            body["pages"] = pages
        else:
            body["pages"] = {str(p.get("pageid", -(i + 1))): p for i, p in enumerate(pages)}
        return body


def fixture_pages(limit: int | None = None) -> dict[str, str]:
    """Title → wikitext of the Essential Mix fixture pages in tests/fixtures/mixesdb."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "fixtures" / "mixesdb" / "essential-mix-wikitext-12.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    pages = {
        unquote(key.removeprefix("/w/")).replace("_", " "): value["tracklist"] for key, value in raw.items()
    }
    return dict(list(pages.items())[:limit]) if limit else pages


def synthetic_pages(count: int, *, category: str = "Techno") -> dict[str, str]:
    """`count` distinct mix pages in `category`, built from the fixture tracklists with new titles."""
    bases = [text for text in fixture_pages().values() if "== Tracklist ==" in text]
    pages = {}
    for index in range(count):
        title = f"2020-{1 + index % 12:02d}-{1 + index % 28:02d} - DJ {index:04d} @ Club {index % 7}, Berlin"
        text = _CATEGORY.sub("", bases[index % len(bases)])
        pages[title] = text + f"\n[[Category:{category}]]\n[[Category:Tracklist: complete]]\n"
    return pages
