"""Getting a track's audio from an ordered chain of sources into the audio cache.

A source is a preview URL (Spotify `preview_url`, a Deezer preview found by ISRC), a
local file (the DJ's library, matched by `audio.library`), or uploaded bytes. The first
source that yields a decodable file wins; what failed is reported, not raised.
URLs are fetched with requests: timeout, an audio content type, and a size limit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from audio.decode import MB, check_file, refuse_if_too_big
from errors import BadInputError

log = logging.getLogger(__name__)

MAX_PREVIEW_BYTES = 10 * MB  # a 30 s preview is ~0.5-1 MB
HTTP_TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
_AUDIO_TYPES = ("audio/", "application/octet-stream", "binary/octet-stream")
_SUFFIX_OF_TYPE = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".m4a",
                   "audio/x-m4a": ".m4a", "audio/ogg": ".ogg", "audio/wav": ".wav", "audio/x-wav": ".wav",
                   "audio/flac": ".flac", "audio/aiff": ".aiff", "audio/x-aiff": ".aiff"}


@dataclass
class FetchResult:
    """Where a track's audio ended up (None if no source worked) and why each tried source failed."""

    path: Path | None
    source: str | None = None
    failures: list[str] = field(default_factory=list)


def download(url: str, dest_stem: Path, *, session=None, user_agent: str | None = None,
             max_bytes: int = MAX_PREVIEW_BYTES, timeout=HTTP_TIMEOUT) -> Path:
    """Stream `url` to `dest_stem` + a suffix from its content type; raises BadInputError on refusal."""
    import requests

    session = session or requests.Session()
    headers = {"User-Agent": user_agent} if user_agent else {}
    try:
        with session.get(url, stream=True, timeout=timeout, headers=headers) as response:
            if response.status_code != 200:
                raise BadInputError(f"preview answered HTTP {response.status_code}")
            ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not ctype.startswith(_AUDIO_TYPES):
                raise BadInputError(f"preview is '{ctype or 'untyped'}', not audio")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise BadInputError(f"preview is {int(length) / MB:.1f} MB, over the {max_bytes / MB:.0f} MB limit")
            suffix = _SUFFIX_OF_TYPE.get(ctype) or Path(url.split("?")[0]).suffix.lower() or ".mp3"
            dest = dest_stem.with_suffix(suffix)
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
            size = 0
            with tmp.open("wb") as handle:
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        handle.close()
                        tmp.unlink(missing_ok=True)
                        raise BadInputError(f"preview is over the {max_bytes / MB:.0f} MB limit")
                    handle.write(chunk)
    except requests.RequestException as error:
        raise BadInputError(f"preview download failed ({type(error).__name__})") from error
    try:
        check_file(tmp)
    except BadInputError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, dest)
    return dest


def fetch_audio(track_id: int | str, sources: Sequence[str | Path | bytes], cache_dir: Path, *, session=None,
                user_agent: str | None = None) -> FetchResult:
    """Try `sources` in order (http(s) URL, local path, or uploaded bytes); the first good one wins.

    Downloads and uploads are saved as `cache_dir/<track_id>.<ext>`; local files are used where
    they are (not copied). An already cached file for `track_id` is returned without fetching.
    """
    cache_dir = Path(cache_dir)
    stem = cache_dir / str(track_id)
    cached = sorted(cache_dir.glob(f"{track_id}.*")) if cache_dir.is_dir() else []
    cached = [p for p in cached if not p.name.endswith(".part")]
    if cached:
        return FetchResult(path=cached[0], source="cache")
    result = FetchResult(path=None)
    for source in sources:
        try:
            if isinstance(source, bytes):
                label = "upload"
                path = _save_upload(source, stem)
            elif isinstance(source, str) and source.startswith(("http://", "https://")):
                label = "url"
                path = download(source, stem, session=session, user_agent=user_agent)
            else:
                label = "file"
                path = Path(source)
                check_file(path)
            result.path, result.source = path, label
            return result
        except BadInputError as error:
            result.failures.append(f"{label}: {error}")
            log.info("track %s: %s source failed: %s", track_id, label, error)
    return result


def _save_upload(data: bytes, stem: Path) -> Path:
    refuse_if_too_big("upload", len(data))
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.with_suffix(".upload")
    path.write_bytes(data)
    try:
        check_file(path)
    except BadInputError:
        path.unlink(missing_ok=True)
        raise
    return path
