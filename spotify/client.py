"""A thin, safe layer over spotipy ≥ 2.26 for the 2026 Web API.

* Timeouts on every request; spotipy's own urllib3 retry is off (it would silently sleep out
  `Retry-After`); `SpotifyClient.call` is the one choke point that retries a little and turns every
  failure into a `CratediggerError` whose message says what happened and what to do.
* Base URLs come from settings (`spotify_api_url`, `spotify_accounts_url`) so the product can be
  pointed at a stand-in.
* Tracks are looked up one at a time (`GET /tracks/{id}`; `GET /tracks?ids=` is gone) and cached in
  the catalog table `spotify_lookups`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import requests

from errors import BadInputError, ConfigError, CratediggerError, ExternalServiceError, NotFoundError
from spotify.ids import parse_spotify_ref
from spotify.logsafe import install_log_redaction

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 15.0)  # (connect, read) seconds
MAX_RETRY_WAIT = 5.0  # seconds we are willing to wait on our own before telling the user
SEARCH_LIMIT_MAX = 10  # Feb 2026: search limit max 10 (default 5)
PREMIUM_REQUIRED = "active premium subscription required"

DEV_MODE_HELP = (
    "Spotify refused the request because the app is in Development Mode and its owner has no active "
    "Spotify Premium subscription (Spotify's rule since Feb 2026). The owner of the Client ID must have "
    "Premium, and every user must be added (at most 5) under User Management in the developer dashboard; "
    "after the subscription changes it can take a few hours before requests are allowed again. "
    "Exports to CSV, M3U8 or rekordbox work without Spotify."
)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def configure_auth_manager(auth_manager: Any, settings: Any) -> Any:
    """Point a spotipy auth manager's token/authorize URLs at `settings.spotify_accounts_url`."""
    accounts = _with_slash(settings.spotify_accounts_url)
    auth_manager.OAUTH_TOKEN_URL = accounts + "api/token"
    if hasattr(auth_manager, "OAUTH_AUTHORIZE_URL"):
        auth_manager.OAUTH_AUTHORIZE_URL = accounts + "authorize"
    return auth_manager


class _SaidInOurWords(logging.Filter):
    """spotipy logs each failed request at ERROR (`HTTP Error for GET to …/playlists/…/items … returned 404`)
    before raising; `SpotifyClient.call` turns the error into one sentence, so spotipy's line is kept only when
    INFO is logged (`cli.py -v`) or DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("HTTP Error for"):
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


_SPOTIPY_ERRORS = _SaidInOurWords()


def build_spotipy(settings: Any, auth_manager: Any, *, timeout: Any = DEFAULT_TIMEOUT) -> Any:
    """A `spotipy.Spotify` with our base URL, timeout, and no hidden retries."""
    import spotipy

    install_log_redaction()
    if _SPOTIPY_ERRORS not in logging.getLogger("spotipy.client").filters:
        logging.getLogger("spotipy.client").addFilter(_SPOTIPY_ERRORS)
    configure_auth_manager(auth_manager, settings)
    sp = spotipy.Spotify(
        auth_manager=auth_manager,
        requests_session=requests.Session(),  # a plain session: no urllib3 status retries, no Retry-After sleeps
        requests_timeout=timeout,
        retries=0,
        status_retries=0,
    )
    sp.prefix = _with_slash(settings.spotify_api_url)
    return sp


def client_credentials_manager(settings: Any, *, timeout: Any = DEFAULT_TIMEOUT) -> Any:
    """An app-only auth manager (search and track lookups); tokens stay in memory."""
    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyClientCredentials

    if not settings.has_spotify_credentials:
        raise ConfigError(
            "No Spotify credentials: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET in the environment or in "
            ".env (create an app at developer.spotify.com/dashboard). File exports work without them."
        )
    manager = SpotifyClientCredentials(
        client_id=settings.spotify_client_id,
        client_secret=settings.spotify_client_secret,
        cache_handler=MemoryCacheHandler(),
        requests_timeout=timeout,
    )
    return configure_auth_manager(manager, settings)


def header(headers: Any, name: str) -> str | None:
    """Case-insensitive header lookup on any mapping (Spotify sends `retry-after` in lower case too)."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in dict(headers).items():
        if str(key).lower() == wanted:
            return value
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` value; None when missing or unreadable (HTTP dates are rare here)."""
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


def _error_text(error: Any) -> str:
    """The server's message from a SpotifyException (`msg` is `'<url>:\\n <message>'`)."""
    msg = str(getattr(error, "msg", "") or "")
    return msg.split(":\n", 1)[-1].strip()


def _wait_phrase(seconds: float | None) -> str:
    if seconds is None or seconds <= 0:
        return "a minute"
    if seconds < 90:
        return f"{int(round(seconds))} seconds"
    if seconds < 5400:
        return f"{int(round(seconds / 60))} minutes"
    return f"{seconds / 3600:.1f} hours"


class SpotifyClient:
    """Spotify calls through one choke point (`call`), with the catalog as a lookup cache.

    Parameters
    ----------
    sp : spotipy.Spotify, built by `build_spotipy` (or any object with the same methods)
    conn : optional catalog connection; `track()` then reads/writes `spotify_lookups`
    max_retry_wait : seconds we will sleep on our own for a 429/5xx before raising instead
    sleep : injectable for tests
    """

    def __init__(
        self,
        sp: Any,
        *,
        conn: sqlite3.Connection | None = None,
        max_retry_wait: float = MAX_RETRY_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.sp = sp
        self.conn = conn
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
        self.requests_made = 0

    @classmethod
    def from_settings(cls, settings: Any, *, conn: sqlite3.Connection | None = None, **kwargs: Any) -> SpotifyClient:
        """An app-only client (client-credentials flow) for lookups and search."""
        return cls(build_spotipy(settings, client_credentials_manager(settings)), conn=conn, **kwargs)

    # ---- the choke point -------------------------------------------------------------------
    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `fn(*args, **kwargs)` (a spotipy method); `what` names the action in messages.

        Retries: a 401 once after refreshing the token; a 429 once when Spotify asks for at most
        `max_retry_wait` seconds (or says 0 / nothing); a 5xx or a dropped connection twice with a short
        backoff. Everything else raises at once.
        """
        from spotipy.exceptions import SpotifyException, SpotifyOauthError

        refreshed = rate_limited = must_refresh = False
        transient = 0
        while True:
            try:
                if must_refresh:  # inside the try: a refused refresh is translated like any other error
                    must_refresh = False
                    self._refresh_token()
                self.requests_made += 1
                return fn(*args, **kwargs)
            except SpotifyException as error:
                status = error.http_status
                if status == 401 and not refreshed:
                    refreshed = must_refresh = True
                    continue
                if status == 429 and not rate_limited and str(error.reason or "").upper() != "QUOTA_EXCEEDED":
                    wait = parse_retry_after(header(error.headers, "Retry-After"))
                    wait = 1.0 if wait is None or wait == 0 else wait
                    if wait <= self.max_retry_wait:
                        rate_limited = True
                        logger.info("Spotify rate limit while trying to %s: waiting %.1f s once", what, wait)
                        self.sleep(wait)
                        continue
                if status is not None and 500 <= status < 600 and transient < 2:
                    transient += 1
                    self.sleep(0.5 * transient)
                    continue
                raise self.translate(error, what) from None
            except SpotifyOauthError as error:
                detail = f"{error.error or 'error'}: {error.error_description or 'no detail'}"
                if error.error == "invalid_client":  # the app's id or secret: the settings are wrong
                    raise ConfigError(
                        f"Spotify's accounts service refused the app's credentials while trying to {what} ({detail}). "
                        "Check SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET against the app at "
                        "developer.spotify.com/dashboard."
                    ) from None
                raise ExternalServiceError(
                    f"Spotify's accounts service refused the login while trying to {what} ({detail}); log in "
                    "again (and check the redirect URI registered for the app).",
                    status=400,
                ) from None
            except (requests.Timeout, requests.ConnectionError) as error:
                if transient < 2:
                    transient += 1
                    self.sleep(0.5 * transient)
                    continue
                host = urlparse(getattr(self.sp, "prefix", "") or "").netloc or "Spotify"
                kind = "timed out" if isinstance(error, requests.Timeout) else "could not connect"
                raise ExternalServiceError(
                    f"Spotify ({host}) {kind} while trying to {what}, three times. Check the network "
                    "(and CRATEDIGGER_SPOTIFY_API_URL if you changed it) and try again.",
                ) from None

    def _refresh_token(self) -> None:
        """Get a fresh access token from the auth manager (refresh token, or a new client-credentials token)."""
        manager = getattr(self.sp, "auth_manager", None)
        if manager is None:
            return
        cache = getattr(manager, "cache_handler", None)
        cached = cache.get_cached_token() if cache is not None else None
        if cached and cached.get("refresh_token") and hasattr(manager, "refresh_access_token"):
            manager.refresh_access_token(cached["refresh_token"])
        elif not hasattr(manager, "refresh_access_token"):  # client credentials: just ask for a new token
            manager.get_access_token(as_dict=False, check_cache=False)

    @staticmethod
    def translate(error: Any, what: str) -> CratediggerError:
        """One clear `CratediggerError` for a `SpotifyException` raised while trying to `what`."""
        status = error.http_status
        text = _error_text(error)
        reason = str(error.reason or "").upper()
        if status == 401:
            return ExternalServiceError(
                f"Spotify rejected the access token while trying to {what}, even after refreshing it. "
                "Log in to Spotify again (or check SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET).",
                status=401,
            )
        if status == 403:
            if PREMIUM_REQUIRED in text.lower():
                return ExternalServiceError(DEV_MODE_HELP, status=403)
            return ExternalServiceError(
                f"Spotify refused to {what} (403 Forbidden: {text or 'no detail'}). Development Mode apps may only "
                "use the current endpoints, and only for users added under User Management in the developer "
                "dashboard (at most 5); log in with an allowed account or ask the app's owner to add you.",
                status=403,
            )
        if status == 404:
            return NotFoundError(f"Spotify has nothing for that while trying to {what} (404: {text or 'not found'}).")
        if status == 400:
            return BadInputError(f"Spotify rejected the request to {what} as malformed (400: {text or 'bad request'}).")
        if status == 429:
            wait = parse_retry_after(header(error.headers, "Retry-After"))
            if reason == "QUOTA_EXCEEDED":
                return ExternalServiceError(
                    f"Spotify says this app's request quota is used up (429 QUOTA_EXCEEDED) while trying to {what}. "
                    f"Wait {_wait_phrase(wait) if wait else 'a few hours'} before trying again; the quota is "
                    "counted per developer account.",
                    status=429,
                    retry_after=wait,
                )
            return ExternalServiceError(
                f"Spotify is rate limiting requests (429) while trying to {what}. Wait {_wait_phrase(wait)} "
                "and run the same command again; finished work is kept.",
                status=429,
                retry_after=wait,
            )
        if status is not None and status >= 500:
            return ExternalServiceError(
                f"Spotify had a server error ({status}) while trying to {what}, three times. "
                "Try again in a few minutes.",
                status=status,
            )
        return ExternalServiceError(f"Spotify answered {status} while trying to {what}: {text or 'no detail'}.",
                                    status=status)

    # ---- API calls -------------------------------------------------------------------------
    def track(self, ref: str, *, use_cache: bool = True) -> dict:
        """The track object for an ID, URI or link: from `spotify_lookups` when cached, else `GET /tracks/{id}`."""
        spotify_id = parse_spotify_ref(ref).spotify_id
        if use_cache and self.conn is not None:
            row = self.conn.execute("SELECT body FROM spotify_lookups WHERE spotify_id = ?", (spotify_id,)).fetchone()
            if row is not None:
                return json.loads(row[0])
        body = self.call(f"look up track {spotify_id}", self.sp.track, spotify_id)
        if not isinstance(body, dict) or not body.get("id"):
            raise ExternalServiceError(f"Spotify sent no track object for {spotify_id}; try again later.")
        if self.conn is not None:
            self.conn.execute(
                "INSERT OR REPLACE INTO spotify_lookups (spotify_id, body, fetched_at) VALUES (?, ?, datetime('now'))",
                (spotify_id, json.dumps(body)),
            )
        return body

    def tracks(self, refs: list[str], *, use_cache: bool = True) -> list[dict]:
        """Several tracks, looked up one by one (the multi-get endpoint is gone for new apps)."""
        return [self.track(ref, use_cache=use_cache) for ref in refs]

    def search_tracks(self, query: str, *, limit: int = SEARCH_LIMIT_MAX) -> list[dict]:
        """Track objects for a search query (`limit` ≤ 10, the 2026 maximum)."""
        if not 1 <= limit <= SEARCH_LIMIT_MAX:
            raise BadInputError(f"limit={limit} must be between 1 and {SEARCH_LIMIT_MAX} (Spotify's 2026 search maximum).")
        body = self.call(f"search for {query!r}", self.sp.search, q=query, limit=limit, type="track")
        return list(((body or {}).get("tracks") or {}).get("items") or [])

    def me(self) -> dict:
        return self.call("read your Spotify profile", self.sp.current_user)

    def create_playlist(self, name: str, *, public: bool = False, description: str = "") -> dict:
        """`POST /me/playlists` (the per-user endpoint is removed)."""
        return self.call(
            f"create the playlist {name!r}",
            self.sp.current_user_playlist_create,
            name,
            public=public,
            description=description,
        )

    def add_items(self, playlist_id: str, uris: list[str]) -> dict:
        """`POST /playlists/{id}/items` with at most 100 URIs."""
        if len(uris) > 100:
            raise BadInputError(f"{len(uris)} items in one request; Spotify accepts at most 100.")
        return self.call(f"add {len(uris)} tracks to the playlist", self.sp.playlist_add_items, playlist_id, uris)

    def playlist_track_ids(self, ref: str, *, limit: int) -> list[str]:
        """Spotify IDs of a playlist's tracks in order (`GET /playlists/{id}/items`; `/tracks` is removed).

        `ref` is a playlist ID, URI or link; local files and episodes are skipped; at most `limit` IDs.
        """
        from spotify.ids import parse_spotify_ref

        playlist_id = parse_spotify_ref(ref, allow=("playlist",)).spotify_id
        ids: list[str] = []
        offset = 0
        while len(ids) < limit:
            page = self.call("read the playlist", self.sp._get, f"playlists/{playlist_id}/items",
                             limit=100, offset=offset) or {}
            items = page.get("items") or []
            for entry in items:
                track = (entry or {}).get("item") or (entry or {}).get("track") or {}
                if track.get("id") and track.get("type", "track") == "track" and not entry.get("is_local"):
                    ids.append(track["id"])
            offset += len(items)
            if not items or offset >= int(page.get("total") or 0):
                break
        return ids[:limit]


def read_playlist_track_ids(settings: Any, link: str, *, limit: int, user: SpotifyClient | None = None,
                            advice: str = "check the link") -> list[str]:
    """Spotify IDs of the tracks of the playlist at `link`, in order, at most `limit`: read as `user` when given
    (private playlists too), else with the app's own credentials from `settings` (public ones).

    The one reader of playlists (the dig box's pasted link, a destination playlist, `--exclude-playlist`):
    `BadInputError` for a link that is not a playlist's or for no credentials; for a playlist Spotify does not
    let this app read, `NotFoundError`: 'Spotify has no playlist at that link that this app can read: `advice`.'
    """
    parse_spotify_ref(link, allow=("playlist",))
    if user is None and not settings.has_spotify_credentials:
        raise BadInputError("Reading a Spotify playlist needs your own Spotify app: set SPOTIPY_CLIENT_ID and "
                            "SPOTIPY_CLIENT_SECRET (see the README).")
    try:
        return (user or SpotifyClient.from_settings(settings)).playlist_track_ids(link, limit=limit)
    except NotFoundError:
        raise NotFoundError(f"Spotify has no playlist at that link that this app can read: {advice}.") from None
