"""Audio sources: preview URLs (a loopback server), the DJ's library folder, uploads; first good source wins."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from audio.library import LibraryIndex, read_tags
from audio.sources import download, fetch_audio
from errors import BadInputError

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def _mp3(path: Path, seconds: float = 2.0, tags: dict | None = None) -> Path:
    meta = [x for k, v in (tags or {}).items() for x in ("-metadata", f"{k}={v}")]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=330:duration={seconds}", *meta, str(path)], check=True, timeout=60)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    mp3 = _mp3(tmp_path_factory.mktemp("srv") / "p.mp3").read_bytes()
    routes = {
        "/preview.mp3": (200, "audio/mpeg", mp3),
        "/page.html": (200, "text/html", b"<html>not audio</html>"),
        "/gone.mp3": (404, "text/plain", b"no"),
        "/huge.mp3": (200, "audio/mpeg", mp3 * 40),
        "/junk.mp3": (200, "audio/mpeg", b"\x00garbage" * 500),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            status, ctype, body = routes.get(self.path, (404, "text/plain", b""))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_a_preview(server, tmp_path):
    path = download(f"{server}/preview.mp3", tmp_path / "t1")
    assert path.suffix == ".mp3" and path.stat().st_size > 1000


@pytest.mark.parametrize("route, message", [("/page.html", "not audio"), ("/gone.mp3", "404"),
                                            ("/junk.mp3", "audio")])
def test_bad_previews_are_refused(server, tmp_path, route, message):
    with pytest.raises(BadInputError, match=message):
        download(f"{server}{route}", tmp_path / "t")
    assert not list(tmp_path.iterdir())  # nothing half-written stays behind


def test_oversize_preview_is_cut_off(server, tmp_path):
    with pytest.raises(BadInputError, match="limit"):
        download(f"{server}/huge.mp3", tmp_path / "t", max_bytes=50_000)


def test_source_chain_falls_through_to_library_file(server, tmp_path):
    local = _mp3(tmp_path / "mine.mp3")
    result = fetch_audio(7, [f"{server}/gone.mp3", f"{server}/page.html", local], tmp_path / "cache")
    assert result.path == local and result.source == "file"
    assert len(result.failures) == 2
    first = fetch_audio(8, [f"{server}/preview.mp3", local], tmp_path / "cache")
    assert first.source == "url" and first.path.parent == tmp_path / "cache"
    assert fetch_audio(8, [], tmp_path / "cache").source == "cache"


def test_upload_source(tmp_path):
    data = _mp3(tmp_path / "u.mp3").read_bytes()
    result = fetch_audio(9, [b"not audio at all", data], tmp_path / "cache")
    assert result.source == "upload" and result.failures


def test_nothing_works(tmp_path):
    result = fetch_audio(10, [tmp_path / "missing.mp3"], tmp_path / "cache")
    assert result.path is None and "no such file" in result.failures[0]


def test_library_matches_by_tags_then_file_name(tmp_path):
    _mp3(tmp_path / "01 - x.mp3", tags={"artist": "Âme", "title": "Rej (Original Mix)"})
    (tmp_path / "sub").mkdir()
    _mp3(tmp_path / "sub" / "02 - Dixon - Dreaming Of.mp3")
    (tmp_path / "notes.txt").write_text("hi")
    assert read_tags(tmp_path / "01 - x.mp3") == ("Âme", "Rej (Original Mix)")
    library = LibraryIndex.scan(tmp_path)
    assert len(library.files) == 2
    assert library.find("Ame", "Rej") == tmp_path / "01 - x.mp3"
    assert library.find("Dixon", "Dreamin Of") == tmp_path / "sub" / "02 - Dixon - Dreaming Of.mp3"  # fuzzy
    assert library.find("Someone", "Else") is None


def test_library_file_names_count_when_the_tags_are_wrong(tmp_path):
    """DJ folders are full of rips tagged 'Unknown Artist - Track 01' whose file names are right."""
    _mp3(tmp_path / "Dixon - Dreaming Of (Extended Mix).mp3", tags={"artist": "Unknown Artist", "title": "Track 01"})
    _mp3(tmp_path / "track01.mp3", tags={"artist": "Âme", "title": "Rej"})
    library = LibraryIndex.scan(tmp_path)
    assert library.find("Dixon", "Dreaming Of", "Extended Mix") == tmp_path / "Dixon - Dreaming Of (Extended Mix).mp3"
    assert library.find("Ame", "Rej") == tmp_path / "track01.mp3"
    assert {f.path for f in library.files} == {tmp_path / "Dixon - Dreaming Of (Extended Mix).mp3",
                                               tmp_path / "track01.mp3"}
