"""A loopback stand-in for Deezer's public API (`GET /track/isrc:{ISRC}`) and its preview CDN.

Built from the real recorded responses in `tests/fixtures/deezer/` (copied from
`../shared/fixtures/deezer/`): the track object (with `isrc`, `preview`, `bpm`) and the
`DataException` error body for an unknown id (HTTP 404; `error_status=200` reproduces the older
recordings that sent the same error with HTTP 200). Preview URLs point back at this server
(`/preview/{isrc}.mp3`, `audio/mpeg`). Error/edge responses on demand via attributes.
"""

from __future__ import annotations

import copy
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.fakes.loopback import LoopbackFake, QuickHandler

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deezer"


class FakeDeezer(LoopbackFake):
    """`tracks` maps ISRC → preview bytes (None: Deezer knows the track but has no preview)."""

    def __init__(self, tracks: dict[str, bytes | None] | None = None):
        self.template = json.loads((FIXTURES / "track-by-id-200.json").read_text(encoding="utf-8"))
        self.not_found = (FIXTURES / "not-found-404.json").read_bytes()
        self.tracks = dict(tracks or {})
        self.error_status = 404
        self.preview_content_type = "audio/mpeg"
        self.fail_with: int | None = None  # answer every request with this status
        self.delay = 0.0
        self.requests: list[str] = []

    @property
    def api_url(self) -> str:
        return self.base_url + "/"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    def track_body(self, isrc: str) -> dict:
        body = copy.deepcopy(self.template)
        body["isrc"] = isrc
        body["preview"] = f"{self.api_url}preview/{isrc}.mp3" if self.tracks.get(isrc) is not None else ""
        return body


def _handler(fake: FakeDeezer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuickHandler):
        def _send(self, status: int, raw: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):  # noqa: N802
            fake.requests.append(self.path)
            if fake.delay:
                import time

                time.sleep(fake.delay)
            if fake.fail_with:
                return self._send(fake.fail_with, b'{"error":{"type":"Exception","message":"Quota limit exceeded","code":4}}',
                                  "application/json")
            if self.path.startswith("/track/isrc:"):
                isrc = self.path.split(":", 1)[1]
                if isrc not in fake.tracks:
                    return self._send(fake.error_status, fake.not_found, "application/json; charset=utf-8")
                return self._send(200, json.dumps(fake.track_body(isrc)).encode(), "application/json; charset=utf-8")
            if self.path.startswith("/preview/") and self.path.endswith(".mp3"):
                isrc = self.path[len("/preview/"):-4]
                audio = fake.tracks.get(isrc)
                if audio is None:
                    return self._send(404, b"", "text/plain")
                return self._send(200, audio, fake.preview_content_type)
            self._send(404, fake.not_found, "application/json; charset=utf-8")

    return Handler
