"""Where a 30-second preview of a track can be fetched: URLs for the audio sources (audio/ downloads them).

`preview_urls(...)` returns candidate URLs, best first:

1. Spotify's `preview_url` when the track object has one (null for almost every new app since Nov 2024);
2. Deezer's public API by ISRC, `GET {deezer_api_url}track/isrc:{ISRC}` → its `preview` MP3
   (setting `deezer_previews`, on by default; `CRATEDIGGER_DEEZER_PREVIEWS=0` turns it off).

`download_preview(url, dest, ...)` fetches one with a size limit, a content-type check, a timeout and a
cache (an existing non-empty `dest` is reused).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from errors import BadInputError, ExternalServiceError, NotFoundError

logger = logging.getLogger(__name__)

ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
AUDIO_TYPES = ("audio/", "application/octet-stream", "binary/octet-stream")
DEFAULT_MAX_BYTES = 5_000_000  # a 30-s 320 kbit/s MP3 is ~1.2 MB
DEFAULT_TIMEOUT = (5.0, 20.0)


@dataclass(frozen=True)
class PreviewCandidate:
    """A preview URL and where it came from ('spotify' or 'deezer')."""

    url: str
    source: str


def normalise_isrc(isrc: str | None) -> str | None:
    """`'gb-duw-00-00059'` → `'GBDUW0000059'`; None when it is not an ISRC."""
    if not isrc:
        return None
    text = re.sub(r"[\s-]", "", str(isrc)).upper()
    return text if ISRC.match(text) else None


def deezer_preview_url(isrc: str, settings: Any, *, session: requests.Session | None = None,
                       timeout: Any = DEFAULT_TIMEOUT) -> str | None:
    """Deezer's preview MP3 URL for an ISRC, or None when Deezer has no such track or no preview.

    Deezer answers an unknown ISRC with an `error` object (HTTP 404, or 200 in older recordings).
    Raises `ExternalServiceError` when Deezer cannot be reached or fails (5xx, quota).
    """
    code = normalise_isrc(isrc)
    if code is None:
        raise BadInputError(f"{isrc!r} is not an ISRC (two letters, three letters/digits, seven digits).")
    base = settings.deezer_api_url if settings.deezer_api_url.endswith("/") else settings.deezer_api_url + "/"
    http = session or requests
    try:
        response = http.get(f"{base}track/isrc:{code}", timeout=timeout,
                            headers={"User-Agent": settings.http_user_agent, "Accept": "application/json"})
    except requests.RequestException:
        raise ExternalServiceError("Deezer could not be reached to find a preview; try again later, or set "
                                   "CRATEDIGGER_DEEZER_PREVIEWS=0 to skip Deezer.") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code == 404 or (isinstance(error, dict) and error.get("code") == 800):
        return None
    if response.status_code >= 400 or error or not isinstance(body, dict):
        message = error.get("message") if isinstance(error, dict) else f"HTTP {response.status_code}"
        raise ExternalServiceError(f"Deezer refused the preview lookup ({message}); try again later, or set "
                                   "CRATEDIGGER_DEEZER_PREVIEWS=0 to skip Deezer.", status=response.status_code)
    preview = body.get("preview")
    return preview or None


def preview_urls(settings: Any, *, track: dict | None = None, isrc: str | None = None,
                 session: requests.Session | None = None) -> list[PreviewCandidate]:
    """Candidate preview URLs for a Spotify track object and/or an ISRC, best first (may be empty).

    A Deezer failure is logged and skipped: other sources may still have the track.
    """
    out: list[PreviewCandidate] = []
    if track and track.get("preview_url"):
        out.append(PreviewCandidate(track["preview_url"], "spotify"))
    code = normalise_isrc(isrc or ((track or {}).get("external_ids") or {}).get("isrc"))
    if code and settings.deezer_previews:
        try:
            url = deezer_preview_url(code, settings, session=session)
        except ExternalServiceError as error:
            logger.warning("Deezer preview lookup skipped: %s", error)
            url = None
        if url and all(c.url != url for c in out):
            out.append(PreviewCandidate(url, "deezer"))
    return out


def download_preview(url: str, dest: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                     timeout: Any = DEFAULT_TIMEOUT, session: requests.Session | None = None,
                     user_agent: str | None = None) -> Path:
    """Download `url` to `dest` (atomically) unless `dest` already holds it; returns `dest`.

    Refuses non-HTTP(S) URLs, answers that are not audio (`Content-Type`), and bodies over `max_bytes`
    (declared or actual). Raises `NotFoundError` for 403/404/410 (expired signed preview URLs) and
    `ExternalServiceError` for other failures.
    """
    dest = Path(dest)
    if dest.is_file() and dest.stat().st_size > 0:
        return dest  # the cache
    if not re.match(r"^https?://", url or ""):
        raise BadInputError(f"{url!r} is not an http(s) URL of a preview.")
    http = session or requests
    headers = {"User-Agent": user_agent} if user_agent else {}
    try:
        response = http.get(url, stream=True, timeout=timeout, headers=headers)
    except requests.RequestException:
        raise ExternalServiceError("The preview could not be downloaded (network error or timeout); try again.") from None
    with response:
        if response.status_code in (403, 404, 410):
            raise NotFoundError(f"The preview link is gone (HTTP {response.status_code}); previews expire, look it up again.")
        if response.status_code >= 400:
            raise ExternalServiceError(f"The preview server answered HTTP {response.status_code}; try again later.",
                                       status=response.status_code)
        ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not ctype.startswith(AUDIO_TYPES):
            raise ExternalServiceError(f"The preview link did not return audio (Content-Type {ctype or 'missing'}).")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise ExternalServiceError(f"The preview is {int(declared)} bytes, over the limit of {max_bytes}.")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        size = 0
        try:
            with tmp.open("wb") as handle:
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ExternalServiceError(f"The preview is larger than the limit of {max_bytes} bytes.")
                    handle.write(chunk)
            if size == 0:
                raise ExternalServiceError("The preview download was empty.")
            os.replace(tmp, dest)
        except requests.RequestException:
            raise ExternalServiceError("The preview download broke off (timeout or network); try again.") from None
        finally:
            tmp.unlink(missing_ok=True)
    return dest
