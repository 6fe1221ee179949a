"""A loopback stand-in for the Spotify Web API and accounts service (2026 behaviour).

Follows `../shared/fixtures/spotify/spotify-web-api-openapi-2026-05.yml` and the recorded bodies
(copies in `tests/fixtures/spotify/`). One threaded HTTP server on 127.0.0.1 (random port) serves:

accounts (`/accounts/`):  GET authorize (redirect straight back, or a consent page with an
                          "Agree" link), POST api/token (client_credentials, authorization_code, refresh_token)
Web API (`/v1/`):         GET tracks/{id}, GET search (limit ≤ 10, else 400), GET me, POST me/playlists,
                          POST playlists/{id}/items (≤ 100 URIs), GET playlists/{id}/items
removed (403 Forbidden):  POST users/{id}/playlists, playlists/{id}/tracks, GET tracks?ids=,
                          audio-features, audio-analysis, recommendations

Errors on demand: `fail_next(...)` queues a response (status, body, headers, content type) for the
next matching request; helpers give the shapes seen in the wild (plain-text 403 "Active premium
subscription required…", 429 with `retry-after` lower case / `0` / missing / `QUOTA_EXCEEDED`,
401 expired token, 5xx). The server never logs.

    with FakeSpotify(tracks) as fake:
        settings = replace(settings, spotify_api_url=fake.api_url, spotify_accounts_url=fake.accounts_url)
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from tests.fakes.loopback import LoopbackFake, QuickHandler

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spotify"
PREMIUM_TEXT = (
    "Active premium subscription required for the owner of the app. When the subscription status changes, "
    "it can take a few hours before requests are allowed again."
)
_URI = re.compile(r"^spotify:(track|episode):[0-9A-Za-z]{22}$")
_FIELD = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)')
_WORD = re.compile(r"[a-z0-9]+")
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def fold_words(text: str) -> list[str]:
    """Search tokens: accents stripped, lower case, letters and digits only."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().replace("'", "").replace("’", "")
    return _WORD.findall(text.replace("ø", "o").replace("ł", "l").replace("ß", "ss"))


def error_body(status: int, message: str, **extra: str) -> dict:
    return {"error": {"status": status, "message": message, **extra}}


@dataclass
class Injected:
    """A canned response for the next request whose `METHOD path` matches `pattern`."""

    pattern: re.Pattern
    status: int
    body: bytes
    content_type: str
    headers: dict
    times: int = 1


@dataclass
class Playlist:
    id: str
    owner: str
    name: str
    public: bool
    description: str
    uris: list = field(default_factory=list)


class FakeSpotify(LoopbackFake):
    """The stand-in; `tracks` is a list of track objects (see `spotify_catalogue.track_object`)."""

    def __init__(
        self,
        tracks: list[dict] | None = None,
        *,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",
        consent: str = "redirect",  # 'redirect' straight back, or 'page' with an Agree link
        token_lifetime: int = 3600,
        user_id: str = "1112264649",
        redirect_uris: list[str] | None = None,  # registered redirect URIs; None accepts any loopback one
    ):
        self.client_id, self.client_secret = client_id, client_secret
        self.consent = consent
        self.redirect_uris = redirect_uris
        self.token_lifetime = token_lifetime
        self.user = json.loads((FIXTURES / "current_user.json").read_text(encoding="utf-8"))
        self.user.update(id=user_id, account_id=user_id, uri=f"spotify:user:{user_id}")
        self.tracks: dict[str, dict] = {}
        self.index: dict[str, dict[str, set]] = {"track": defaultdict(set), "artist": defaultdict(set)}
        self.rank: dict[str, int] = {}
        for track in tracks or []:
            self.add_track(track)
        self.tokens: dict[str, dict] = {}  # access token -> {user, scope, expires}
        self.refresh_tokens: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.playlists: dict[str, Playlist] = {}
        self.injected: list[Injected] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, no query, no headers
        self.issued_secrets: list[str] = [client_secret]  # everything a log must never contain
        self.lock = threading.Lock()

    @classmethod
    def with_real_catalogue(cls, *, distractors: bool = True, **kwargs) -> FakeSpotify:
        """A fake whose catalogue is the real track entries (set CSVs when present, else the committed
        excerpt), with look-alike distractors unless `distractors=False`."""
        from tests.fakes.spotify_catalogue import load_entries, track_object, with_distractors

        entries = load_entries()
        if distractors:
            entries = with_distractors(entries)
        return cls([track_object(e) for e in entries], **kwargs)

    # ---- catalogue -----------------------------------------------------------------------
    def add_track(self, track: dict) -> None:
        self.tracks[track["id"]] = track
        self.rank[track["id"]] = int.from_bytes(track["id"].encode()[:6], "big") % 1000  # stable 'popularity'
        for word in set(fold_words(track["name"])):
            self.index["track"][word].add(track["id"])
        for artist in track["artists"]:
            for word in set(fold_words(artist["name"])):
                self.index["artist"][word].add(track["id"])

    def search(self, q: str, limit: int, offset: int) -> tuple[list[dict], int]:
        """Tracks whose fields contain every word of the query (field filters `track:`/`artist:`)."""
        wanted: dict[str, list[str]] = {"track": [], "artist": [], "any": []}
        rest = q
        for match in _FIELD.finditer(q):
            name = (match.group(1) or match.group(3)).lower()
            value = match.group(2) if match.group(1) else match.group(4)
            if name in ("track", "artist"):
                wanted[name] += fold_words(value)
                rest = rest.replace(match.group(0), " ")
        wanted["any"] = fold_words(rest)
        candidates: set | None = None
        for fieldname in ("track", "artist"):
            for word in wanted[fieldname]:
                ids = self.index[fieldname].get(word, set())
                candidates = set(ids) if candidates is None else candidates & ids
        for word in wanted["any"]:
            ids = self.index["track"].get(word, set()) | self.index["artist"].get(word, set())
            candidates = set(ids) if candidates is None else candidates & ids
        asked = set(wanted["track"] + wanted["any"])

        def relevance(track_id: str) -> tuple:  # like Spotify: closest names first, then popularity
            extra = len(set(fold_words(self.tracks[track_id]["name"])) - asked)
            return (extra, -self.rank[track_id], track_id)

        found = sorted(candidates or (), key=relevance)
        return [self.tracks[i] for i in found[offset : offset + limit]], len(found)

    # ---- errors on demand ----------------------------------------------------------------
    def fail_next(
        self,
        pattern: str,
        status: int,
        body: dict | str | None = None,
        *,
        headers: dict | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests whose `"METHOD /path"` matches `pattern` with this response."""
        if isinstance(body, dict):
            raw, ctype = json.dumps(body).encode(), "application/json; charset=utf-8"
        elif body is None:
            raw, ctype = b"", "application/json; charset=utf-8"
        else:
            raw, ctype = body.encode(), "text/plain; charset=utf-8"
        with self.lock:
            self.injected.append(Injected(re.compile(pattern), status, raw, ctype, dict(headers or {}), times))

    def premium_required(self, pattern: str = ".", times: int = 1) -> None:
        self.fail_next(pattern, 403, PREMIUM_TEXT, times=times)

    def rate_limited(self, pattern: str = ".", *, retry_after: str | None = "1", header_name: str = "retry-after",
                     quota: bool = False, times: int = 1) -> None:
        body = error_body(429, "Too many requests", reason="QUOTA_EXCEEDED") if quota else error_body(
            429, "API rate limit exceeded")
        headers = {} if retry_after is None else {header_name: retry_after}
        self.fail_next(pattern, 429, body, headers=headers, times=times)

    def expire_tokens(self) -> None:
        """Make every issued access token expired (the next API call gets 401 'The access token expired')."""
        with self.lock:
            for info in self.tokens.values():
                info["expires"] = 0

    def _take_injected(self, method: str, path: str) -> Injected | None:
        with self.lock:
            for item in self.injected:
                if item.pattern.search(f"{method} {path}"):
                    item.times -= 1
                    if item.times <= 0:
                        self.injected.remove(item)
                    return item
        return None

    # ---- server ---------------------------------------------------------------------------
    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    @property
    def api_url(self) -> str:
        return self.base_url + "/v1/"

    @property
    def accounts_url(self) -> str:
        return self.base_url + "/accounts/"

    def new_secret(self, prefix: str) -> str:
        value = prefix + secrets.token_urlsafe(24)
        self.issued_secrets.append(value)
        return value

    def issue_token(self, user: str | None, scope: str, *, refresh: bool) -> dict:
        access = self.new_secret("AQ")
        self.tokens[access] = {"user": user, "scope": scope, "expires": time.time() + self.token_lifetime}
        body = {"access_token": access, "token_type": "Bearer", "expires_in": self.token_lifetime}
        if user is not None:
            body["scope"] = scope
        if refresh:
            refresh_token = self.new_secret("RT")
            self.refresh_tokens[refresh_token] = {"user": user, "scope": scope}
            body["refresh_token"] = refresh_token
        return body


_REMOVED = [
    ("POST", re.compile(r"^/v1/users/[^/]+/playlists$")),
    (None, re.compile(r"^/v1/playlists/[^/]+/tracks$")),
    ("GET", re.compile(r"^/v1/tracks$")),
    (None, re.compile(r"^/v1/audio-features(/.*)?$")),
    (None, re.compile(r"^/v1/audio-analysis(/.*)?$")),
    (None, re.compile(r"^/v1/recommendations(/.*)?$")),
]


def _handler(fake: FakeSpotify) -> type[BaseHTTPRequestHandler]:
    class Handler(QuickHandler):
        # -- plumbing --
        def _send(self, status: int, body: dict | bytes | str | None = None, *, ctype: str | None = None,
                  headers: dict | None = None) -> None:
            if isinstance(body, dict | list):
                raw, ctype = json.dumps(body).encode(), ctype or "application/json; charset=utf-8"
            elif isinstance(body, str):
                raw, ctype = body.encode(), ctype or "text/html; charset=utf-8"
            else:
                raw, ctype = body or b"", ctype or "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _dispatch(self, method: str) -> None:
            url = urlparse(self.path)
            path = url.path.rstrip("/") or "/"
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            raw = self._body() if method in ("POST", "PUT", "DELETE") else b""
            with fake.lock:
                fake.requests.append((method, path))
            injected = fake._take_injected(method, path)
            if injected is not None:
                self._send(injected.status, injected.body, ctype=injected.content_type, headers=injected.headers)
                return
            if path.startswith("/accounts/"):
                return self._accounts(method, path[len("/accounts"):], query, raw)
            if path.startswith("/v1/"):
                return self._api(method, path, query, raw)
            self._send(404, error_body(404, "Service not found"))

        def do_GET(self):  # noqa: N802
            self._dispatch("GET")

        def do_POST(self):  # noqa: N802
            self._dispatch("POST")

        def do_PUT(self):  # noqa: N802
            self._dispatch("PUT")

        def do_DELETE(self):  # noqa: N802
            self._dispatch("DELETE")

        # -- accounts service --
        def _accounts(self, method: str, path: str, query: dict, raw: bytes) -> None:
            if path == "/authorize" and method == "GET":
                return self._authorize(query)
            if path == "/api/token" and method == "POST":
                return self._token(raw)
            self._send(404, error_body(404, "Not found"))

        def _authorize(self, query: dict) -> None:
            redirect = query.get("redirect_uri", "")
            if query.get("client_id") != fake.client_id:
                return self._send(400, "<h1>INVALID_CLIENT: Invalid client</h1>")
            if not redirect.startswith("http://127.0.0.1:") and not redirect.startswith("https://"):
                return self._send(400, "<h1>INVALID_CLIENT: Insecure redirect URI</h1>")
            if fake.redirect_uris is not None and redirect not in fake.redirect_uris:
                return self._send(400, "<h1>INVALID_CLIENT: Invalid redirect URI</h1>")
            if query.get("response_type") != "code":
                return self._send(400, "<h1>unsupported_response_type</h1>")
            code = fake.new_secret("AC")
            with fake.lock:
                fake.codes[code] = {"redirect_uri": redirect, "scope": query.get("scope", ""), "used": False}
            params = {"code": code}
            if "state" in query:
                params["state"] = query["state"]
            target = redirect + ("&" if "?" in redirect else "?") + urlencode(params)
            if fake.consent == "page":
                page = (
                    "<!doctype html><html><head><title>Spotify – Authorize</title><link rel=\"icon\" href=\"data:,\"></head><body>"
                    f"<h1>Cratedigger wants to access your account</h1><p>Scopes: {query.get('scope', '')}</p>"
                    f'<a id="auth-accept" href="{target}">Agree</a></body></html>'
                )
                return self._send(200, page)
            self._send(302, b"", headers={"Location": target})

        def _token(self, raw: bytes) -> None:
            form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    client_id, client_secret = base64.b64decode(auth[6:]).decode().split(":", 1)
                except ValueError:
                    pass
            if client_id != fake.client_id or client_secret != fake.client_secret:
                return self._send(400, {"error": "invalid_client", "error_description": "Invalid client"})
            grant = form.get("grant_type")
            with fake.lock:
                if grant == "client_credentials":
                    return self._send(200, fake.issue_token(None, "", refresh=False))
                if grant == "authorization_code":
                    info = fake.codes.get(form.get("code", ""))
                    if info is None or info["used"]:
                        return self._send(400, {"error": "invalid_grant", "error_description": "Invalid authorization code"})
                    if info["redirect_uri"] != form.get("redirect_uri"):
                        return self._send(400, {"error": "invalid_grant", "error_description": "Invalid redirect URI"})
                    info["used"] = True
                    return self._send(200, fake.issue_token(fake.user["id"], info["scope"], refresh=True))
                if grant == "refresh_token":
                    info = fake.refresh_tokens.get(form.get("refresh_token", ""))
                    if info is None:
                        return self._send(400, {"error": "invalid_grant", "error_description": "Invalid refresh token"})
                    body = fake.issue_token(info["user"], info["scope"], refresh=False)
                    return self._send(200, body)
            self._send(400, {"error": "unsupported_grant_type",
                             "error_description": "grant_type must be client_credentials, authorization_code or refresh_token"})

        # -- Web API --
        def _api(self, method: str, path: str, query: dict, raw: bytes) -> None:
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                return self._send(401, error_body(401, "No token provided"))
            info = fake.tokens.get(auth[7:])
            if info is None:
                return self._send(401, error_body(401, "Invalid access token"))
            if info["expires"] < time.time():
                return self._send(401, error_body(401, "The access token expired"),
                                  headers={"WWW-Authenticate": 'Bearer realm="spotify", error="invalid_token", '
                                           'error_description="The access token expired"'})
            for verb, pattern in _REMOVED:
                if (verb is None or verb == method) and pattern.match(path):
                    return self._send(403, error_body(403, "Forbidden"))
            parts = path.split("/")[2:]
            if method == "GET" and len(parts) == 2 and parts[0] == "tracks":
                return self._track(parts[1])
            if method == "GET" and parts == ["search"]:
                return self._search(query)
            if parts[:1] == ["me"] and info["user"] is None:
                return self._send(401, error_body(401, "Only valid bearer authentication supported"))
            if method == "GET" and parts == ["me"]:
                return self._send(200, fake.user)
            if method == "POST" and parts == ["me", "playlists"]:
                return self._create_playlist(info, raw)
            if len(parts) == 3 and parts[0] == "playlists" and parts[2] == "items":
                if method == "POST":
                    return self._add_items(info, parts[1], query, raw)
                if method == "GET":
                    return self._list_items(parts[1], query)
            self._send(404, error_body(404, "Service not found"))

        def _track(self, track_id: str) -> None:
            if not re.fullmatch(r"[0-9A-Za-z]{22}", track_id):
                return self._send(400, error_body(400, "Invalid base62 id"))
            track = fake.tracks.get(track_id)
            if track is None:
                return self._send(404, error_body(404, "Resource not found"))
            self._send(200, track)

        def _search(self, query: dict) -> None:
            q = query.get("q", "").strip()
            if not q:
                return self._send(400, error_body(400, "No search query"))
            types = query.get("type", "")
            if not types:
                return self._send(400, error_body(400, "Missing parameter type"))
            try:
                limit = int(query.get("limit", "5"))
                offset = int(query.get("offset", "0"))
            except ValueError:
                return self._send(400, error_body(400, "Invalid limit"))
            if not 0 <= limit <= 10:
                return self._send(400, error_body(400, "Invalid limit"))
            if not 0 <= offset <= 1000:
                return self._send(400, error_body(400, "Invalid offset"))
            items, total = fake.search(q, limit, offset) if "track" in types.split(",") else ([], 0)
            base = f"https://api.spotify.com/v1/search?{urlencode({'query': q, 'type': types})}"
            self._send(200, {"tracks": {
                "href": f"{base}&offset={offset}&limit={limit}",
                "items": items,
                "limit": limit,
                "next": f"{base}&offset={offset + limit}&limit={limit}" if offset + limit < total else None,
                "offset": offset,
                "previous": None if offset == 0 else f"{base}&offset={max(0, offset - limit)}&limit={limit}",
                "total": total,
            }})

        def _create_playlist(self, info: dict, raw: bytes) -> None:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self._send(400, error_body(400, "Error parsing JSON."))
            if not isinstance(body, dict) or not str(body.get("name") or "").strip():
                return self._send(400, error_body(400, "Missing required field: name"))
            public = body.get("public", True) is not False
            needed = "playlist-modify-public" if public else "playlist-modify-private"
            if needed not in info["scope"].split():
                return self._send(403, error_body(403, "Insufficient client scope"))
            playlist_id = "".join(secrets.choice(_B62) for _ in range(22))
            with fake.lock:
                fake.playlists[playlist_id] = Playlist(playlist_id, info["user"], body["name"], public,
                                                       str(body.get("description") or ""))
            answer = json.loads((FIXTURES / "new_playlist.json").read_text(encoding="utf-8"))
            answer.update(
                id=playlist_id, name=body["name"], public=public, description=str(body.get("description") or ""),
                uri=f"spotify:playlist:{playlist_id}", href=f"https://api.spotify.com/v1/playlists/{playlist_id}",
                external_urls={"spotify": f"https://open.spotify.com/playlist/{playlist_id}"},
            )
            answer.pop("tracks", None)
            answer["items"] = {"href": f"https://api.spotify.com/v1/playlists/{playlist_id}/items", "total": 0}
            answer["owner"].update(id=info["user"], uri=f"spotify:user:{info['user']}")
            self._send(201, answer)

        def _add_items(self, info: dict, playlist_id: str, query: dict, raw: bytes) -> None:
            playlist = fake.playlists.get(playlist_id)
            if playlist is None:
                return self._send(404, error_body(404, "Resource not found"))
            if playlist.owner != info["user"]:
                return self._send(403, error_body(403, "You cannot add items to a playlist you don't own."))
            position = query.get("position")
            if "uris" in query:
                uris = [u for u in query["uris"].split(",") if u]
            else:
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._send(400, error_body(400, "Error parsing JSON."))
                if isinstance(body, list):  # spotipy posts a bare JSON array
                    uris = body
                else:
                    uris = body.get("uris") or []
                    position = body.get("position", position)
            if not uris:
                return self._send(400, error_body(400, "No uris provided"))
            if len(uris) > 100:
                return self._send(400, error_body(400, "Too many ids requested"))
            bad = [u for u in uris if not isinstance(u, str) or not _URI.match(u)]
            if bad:
                return self._send(400, error_body(400, f"Invalid track uri: {bad[0]}"))
            with fake.lock:
                if position is None:
                    playlist.uris.extend(uris)
                else:
                    index = int(position)
                    playlist.uris[index:index] = uris
            self._send(201, {"snapshot_id": secrets.token_urlsafe(24)})

        def _list_items(self, playlist_id: str, query: dict) -> None:
            playlist = fake.playlists.get(playlist_id)
            if playlist is None:
                return self._send(404, error_body(404, "Resource not found"))
            limit, offset = int(query.get("limit", "100")), int(query.get("offset", "0"))
            chunk = playlist.uris[offset : offset + limit]
            self._send(200, {"items": [{"item": {"uri": u, "id": u.rsplit(":", 1)[-1]}} for u in chunk],
                             "total": len(playlist.uris), "limit": limit, "offset": offset})

    return Handler


def main() -> None:
    """`python -m tests.fakes.spotify_server`: serve the real catalogue until Ctrl-C (for manual checks)."""
    import sys

    fake = FakeSpotify.with_real_catalogue(consent="page").start()
    print(f"CRATEDIGGER_SPOTIFY_API_URL={fake.api_url}\nCRATEDIGGER_SPOTIFY_ACCOUNTS_URL={fake.accounts_url}\n"
          f"SPOTIPY_CLIENT_ID={fake.client_id}\nSPOTIPY_CLIENT_SECRET={fake.client_secret}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
