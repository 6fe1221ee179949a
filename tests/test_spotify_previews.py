"""Preview lookups (Spotify preview_url, Deezer by ISRC) and the guarded download."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config import load_settings
from errors import BadInputError, ExternalServiceError, NotFoundError
from spotify.previews import download_preview, normalise_isrc, preview_urls
from tests.fakes.deezer_server import FakeDeezer

MP3 = b"ID3" + bytes(range(256)) * 40


@pytest.fixture
def deezer():
    with FakeDeezer({"GBDUW0000059": MP3, "USAT20000001": None}) as server:
        yield server


@pytest.fixture
def settings(tmp_path, deezer):
    base = load_settings(environ={"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "none.env")
    return replace(base, deezer_api_url=deezer.api_url)


def test_spotify_preview_first_then_deezer(settings, deezer):
    track = {"preview_url": "https://p.scdn.co/mp3-preview/abc", "external_ids": {"isrc": "GBDUW0000059"}}
    found = preview_urls(settings, track=track)
    assert [c.source for c in found] == ["spotify", "deezer"]
    assert found[1].url == f"{deezer.api_url}preview/GBDUW0000059.mp3"
    assert deezer.requests == ["/track/isrc:GBDUW0000059"]


def test_null_preview_url_uses_deezer_only(settings):
    found = preview_urls(settings, track={"preview_url": None, "external_ids": {"isrc": "gb-duw-00-00059"}})
    assert [c.source for c in found] == ["deezer"]


@pytest.mark.parametrize("status", [404, 200])
def test_unknown_isrc_gives_nothing(settings, deezer, status):
    deezer.error_status = status  # older recordings send the error body with HTTP 200
    assert preview_urls(settings, isrc="FRZ039800212") == []


def test_track_without_preview_gives_nothing(settings):
    assert preview_urls(settings, isrc="USAT20000001") == []


def test_deezer_can_be_turned_off(tmp_path, deezer):
    off = load_settings(environ={"CRATEDIGGER_DATA_DIR": str(tmp_path), "CRATEDIGGER_DEEZER_PREVIEWS": "0",
                                 "CRATEDIGGER_DEEZER_API_URL": deezer.api_url}, dotenv_path=tmp_path / "none.env")
    assert off.deezer_previews is False
    assert preview_urls(off, isrc="GBDUW0000059") == []
    assert deezer.requests == []


def test_deezer_failure_is_skipped_not_fatal(settings, deezer, caplog):
    deezer.fail_with = 500
    assert preview_urls(settings, isrc="GBDUW0000059") == []
    assert "Deezer" in caplog.text


def test_download_with_cache(settings, deezer, tmp_path):
    url = preview_urls(settings, isrc="GBDUW0000059")[0].url
    dest = download_preview(url, tmp_path / "a.mp3")
    assert dest.read_bytes() == MP3
    before = len(deezer.requests)
    download_preview(url, dest)
    assert len(deezer.requests) == before  # served from the cache


def test_download_size_limit(settings, tmp_path):
    url = preview_urls(settings, isrc="GBDUW0000059")[0].url
    with pytest.raises(ExternalServiceError, match="limit"):
        download_preview(url, tmp_path / "b.mp3", max_bytes=1000)
    assert not (tmp_path / "b.mp3").exists() and not list(tmp_path.glob(".*part"))


def test_download_refuses_non_audio(settings, deezer, tmp_path):
    deezer.preview_content_type = "text/html"
    url = preview_urls(settings, isrc="GBDUW0000059")[0].url
    with pytest.raises(ExternalServiceError, match="did not return audio"):
        download_preview(url, tmp_path / "c.mp3")


def test_download_gone_and_timeout(settings, deezer, tmp_path):
    with pytest.raises(NotFoundError):
        download_preview(f"{deezer.api_url}preview/NOPE.mp3", tmp_path / "d.mp3")
    deezer.delay = 0.5
    with pytest.raises(ExternalServiceError, match="timeout"):
        download_preview(f"{deezer.api_url}preview/GBDUW0000059.mp3", tmp_path / "e.mp3", timeout=(1, 0.1))
    with pytest.raises(BadInputError):
        download_preview("file:///etc/passwd", tmp_path / "f.mp3")


def test_isrc_normalisation():
    assert normalise_isrc("GB-DUW-00-00059") == "GBDUW0000059"
    assert normalise_isrc("nope") is None
