"""Spotify's authorization-code flow for the dashboard (and the command line).

`register_spotify_routes(flask_server, settings)` adds to the Dash app's Flask server:

* `GET /spotify/login[?next=/path]` → redirect to Spotify's authorize page with a fresh random `state`
  kept in the (signed) Flask session;
* `GET /spotify/callback` → refuses a missing or wrong `state` (400, a clear page), exchanges the code,
  and keeps the token in a cache file of this browser session only:
  `settings.data_dir/tokens/session-<hash>.json`, mode 0600 (never one shared file);
* `GET /spotify/logout` → forgets this browser session's token; `GET /spotify/status` → `{"logged_in": …}`.

Scopes: `playlist-modify-private playlist-modify-public`. Nothing here logs a token, code or state.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from spotipy.cache_handler import CacheHandler

from errors import ConfigError
from spotify.client import DEFAULT_TIMEOUT, SpotifyClient, build_spotipy, configure_auth_manager
from spotify.logsafe import install_log_redaction

logger = logging.getLogger(__name__)

SCOPES = "playlist-modify-private playlist-modify-public"
SESSION_KEY = "spotify_session"
STATE_KEY = "spotify_oauth_state"
NEXT_KEY = "spotify_next"


class TokenFileCache(CacheHandler):
    """A spotipy cache handler writing one JSON token file with mode 0600 (atomically, never world-readable)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def get_cached_token(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_token_to_cache(self, token_info: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(token_info, handle)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def token_dir(settings: Any) -> Path:
    path = Path(settings.data_dir) / "tokens"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def session_cache(settings: Any, session_id: str) -> TokenFileCache:
    """The token cache of one browser session (the file name is a hash, not the session id)."""
    digest = hashlib.sha256(session_id.encode()).hexdigest()[:32]
    return TokenFileCache(token_dir(settings) / f"session-{digest}.json")


def cli_cache(settings: Any) -> TokenFileCache:
    """The command line's own token cache (one per data folder, i.e. per user)."""
    return TokenFileCache(token_dir(settings) / "cli.json")


def session_secret(settings: Any) -> str:
    """The key signing the dashboard's session cookies: `tokens/session-secret` (0600), made on first use."""
    path = token_dir(settings) / "session-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker was first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


def prune_session_tokens(settings: Any, *, max_age_days: float = 30.0) -> int:
    """Delete browser-session token files unused for `max_age_days`; returns how many."""
    import time

    cutoff = time.time() - max_age_days * 86400
    removed = 0
    for path in token_dir(settings).glob("session-*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def oauth_manager(settings: Any, cache_handler: CacheHandler, *, open_browser: bool = False, state: str | None = None):
    """A `SpotifyOAuth` for our scopes, redirect URI and (configurable) accounts service."""
    from spotipy.oauth2 import SpotifyOAuth

    if not settings.has_spotify_credentials:
        raise ConfigError(
            "Exporting to Spotify needs your own Spotify app: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET "
            f"(and register the redirect URI {settings.spotify_redirect} in the app's settings). "
            "CSV, M3U8 and rekordbox exports work without it."
        )
    install_log_redaction()
    manager = SpotifyOAuth(
        client_id=settings.spotify_client_id,
        client_secret=settings.spotify_client_secret,
        redirect_uri=settings.spotify_redirect,
        scope=SCOPES,
        cache_handler=cache_handler,
        open_browser=open_browser,
        state=state,
        requests_timeout=DEFAULT_TIMEOUT,
    )
    return configure_auth_manager(manager, settings)


def user_client(settings: Any, cache_handler: CacheHandler, **kwargs: Any) -> SpotifyClient | None:
    """A client acting for the user whose token is in `cache_handler`, or None when not logged in."""
    if not settings.has_spotify_credentials or not cache_handler.get_cached_token():
        return None
    return SpotifyClient(build_spotipy(settings, oauth_manager(settings, cache_handler)), **kwargs)


def _page(title: str, message: str, status: int, link: str | None = None):
    from flask import make_response

    extra = f'<p><a id="spotify-back" href="{html.escape(link)}">Back to Cratedigger</a></p>' if link else ""
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body><h1 id='spotify-result'>{html.escape(title)}</h1><p id='spotify-message'>{html.escape(message)}</p>"
            f"{extra}</body></html>")
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(value: str | None) -> str:
    """Only local paths are allowed as the page to return to (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    parsed = urlparse(value)
    return "/" if parsed.scheme or parsed.netloc else value


def browser_session_id(create: bool = False) -> str | None:
    """This browser's session id (kept in the signed Flask session cookie)."""
    from flask import session

    if SESSION_KEY not in session and create:
        session[SESSION_KEY] = secrets.token_urlsafe(24)
    return session.get(SESSION_KEY)


def current_user_client(settings: Any, **kwargs: Any) -> SpotifyClient | None:
    """Inside a request: the client of this browser session's Spotify login, or None."""
    session_id = browser_session_id()
    return None if session_id is None else user_client(settings, session_cache(settings, session_id), **kwargs)


def register_spotify_routes(flask_server: Any, settings: Any) -> None:
    """Add `/spotify/login`, `/spotify/callback`, `/spotify/logout`, `/spotify/status` to a Flask app."""
    from flask import jsonify, redirect, request, session

    install_log_redaction()
    if not flask_server.secret_key:
        flask_server.secret_key = session_secret(settings)  # signs the session cookie; shared by workers
    flask_server.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    flask_server.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")

    def login():
        try:
            manager = oauth_manager(settings, session_cache(settings, browser_session_id(create=True)))
        except ConfigError as error:
            return _page("Spotify is not set up", str(error), 503, "/")
        prune_session_tokens(settings)
        state = secrets.token_urlsafe(24)
        session[STATE_KEY] = state
        session[NEXT_KEY] = _safe_next(request.args.get("next"))
        logger.info("Sending a browser to Spotify's authorize page")
        return redirect(manager.get_authorize_url(state=state), code=302)

    def callback():
        expected = session.pop(STATE_KEY, None)
        back = session.pop(NEXT_KEY, "/")
        given = request.args.get("state")
        if not expected or not given or not secrets.compare_digest(str(expected), str(given)):
            logger.warning("Refused a Spotify callback whose state did not match this browser session")
            return _page(
                "Spotify login refused",
                "The answer from Spotify does not belong to a login started in this browser (the state "
                "parameter did not match), so it was ignored. Start the login again from Cratedigger.",
                400,
                "/spotify/login",
            )
        if request.args.get("error"):
            reason = request.args.get("error", "")[:100]
            return _page("Spotify login cancelled", f"Spotify answered: {reason}. Nothing was changed.", 400, back)
        code = request.args.get("code")
        if not code:
            return _page("Spotify login failed", "Spotify sent no authorization code. Try logging in again.", 400,
                         "/spotify/login")
        session_id = browser_session_id(create=True)
        from spotipy.exceptions import SpotifyOauthError

        try:
            manager = oauth_manager(settings, session_cache(settings, session_id))
            manager.get_access_token(code=code, as_dict=False, check_cache=False)
        except ConfigError as error:
            return _page("Spotify is not set up", str(error), 503, "/")
        except SpotifyOauthError as error:
            return _page(
                "Spotify login failed",
                f"Spotify's accounts service refused the login ({error.error or 'error'}). Check that the "
                f"redirect URI {settings.spotify_redirect} is registered for your app, then try again.",
                502,
                "/spotify/login",
            )
        except Exception as error:  # network: say so, never show a traceback
            import requests

            if isinstance(error, requests.RequestException):
                return _page("Spotify login failed", "Could not reach Spotify's accounts service. Try again.", 502,
                             "/spotify/login")
            raise
        logger.info("Spotify login completed for a browser session")
        return redirect(back, code=302)

    def logout():
        session_id = browser_session_id()
        if session_id:
            session_cache(settings, session_id).clear()
        return redirect(_safe_next(request.args.get("next")), code=302)

    def status():
        session_id = browser_session_id()
        logged_in = bool(session_id and session_cache(settings, session_id).get_cached_token())
        return jsonify({"logged_in": logged_in, "configured": settings.has_spotify_credentials})

    flask_server.add_url_rule("/spotify/login", "spotify_login", login)
    flask_server.add_url_rule("/spotify/callback", "spotify_callback", callback)
    flask_server.add_url_rule("/spotify/logout", "spotify_logout", logout)
    flask_server.add_url_rule("/spotify/status", "spotify_status", status)


def cli_login(settings: Any, *, open_browser: bool = True, timeout: float = 300.0, out: Any = None) -> None:
    """Log in for the command line: open Spotify's authorize page, catch the redirect on the redirect
    URI's loopback port (one request, `timeout` seconds), check `state`, keep the token in `cli_cache`.

    Raises `ConfigError` when the redirect URI is not `http://127.0.0.1:PORT/…` or the port is busy, and
    `ExternalServiceError` when the login is refused, mismatched or not finished in time.
    """
    import sys
    import webbrowser
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qs

    from spotipy.exceptions import SpotifyOauthError

    from errors import ExternalServiceError

    out = out or sys.stderr
    manager = oauth_manager(settings, cli_cache(settings))
    redirect = urlparse(settings.spotify_redirect)
    if redirect.scheme != "http" or redirect.hostname != "127.0.0.1" or not redirect.port:
        raise ConfigError(
            f"The command-line login needs a loopback redirect URI like http://127.0.0.1:8050/spotify/callback "
            f"(SPOTIPY_REDIRECT_URI is {settings.spotify_redirect})."
        )
    state = secrets.token_urlsafe(24)
    answer: dict = {}

    class Catch(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            if url.path != redirect.path:
                self.send_response(404)
                self.end_headers()
                return
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            answer.update(query)
            ok = secrets.compare_digest(query.get("state", ""), state) and "code" in query
            text = ("Logged in to Spotify: you can close this tab and return to the terminal." if ok else
                    "Spotify login refused or cancelled: see the terminal.")
            body = f"<!doctype html><html><body><h1>{html.escape(text)}</h1></body></html>".encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - the URL carries the code
            pass

    try:
        server = HTTPServer(("127.0.0.1", redirect.port), Catch)
    except OSError:
        raise ConfigError(
            f"Port {redirect.port} of the redirect URI is busy (is the dashboard running?). Stop it and try again, "
            "or export from the dashboard."
        ) from None
    server.timeout = timeout
    url = manager.get_authorize_url(state=state)
    print(f"Log in to Spotify in your browser; if none opens, visit:\n  {url}", file=out, flush=True)
    try:
        if open_browser:
            webbrowser.open(url)
        server.handle_request()
    finally:
        server.server_close()
    if not answer:
        raise ExternalServiceError(f"No answer from Spotify's login page within {timeout:.0f} s; run the command again.")
    if not secrets.compare_digest(answer.get("state", ""), state):
        raise ExternalServiceError("Spotify login refused: the answer did not belong to this login (state mismatch).")
    if "code" not in answer:
        raise ExternalServiceError(f"Spotify login cancelled ({answer.get('error', 'no code')}). Nothing was changed.")
    try:
        manager.get_access_token(code=answer["code"], as_dict=False, check_cache=False)
    except SpotifyOauthError as error:
        raise ExternalServiceError(
            f"Spotify's accounts service refused the login ({error.error or 'error'}); check the app's redirect URI "
            f"({settings.spotify_redirect}) and credentials."
        ) from None
