"""Is Spotify's player reachable from here? Probed in the background, never on a request's path.

The dashboard embeds `open.spotify.com/embed/track/ID` only when it is, so an offline machine shows no
broken player and its browser console stays clean. `CRATEDIGGER_OFFLINE=1` skips the probe.
"""

from __future__ import annotations

import socket
import threading
import time

RECHECK_SECONDS = 600.0
PROBE_TIMEOUT_SECONDS = 2.0
SPOTIFY_PLAYER = ("open.spotify.com", 443)


class Reachability:
    """The last probe's answer (False until a probe succeeds); `check()` starts a new probe when stale."""

    def __init__(self, address: tuple[str, int] = SPOTIFY_PLAYER):
        self.address = address
        self.reachable = False
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def check(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked > RECHECK_SECONDS:
                self._checked = time.monotonic()
                threading.Thread(target=self._probe, daemon=True, name="spotify-probe").start()
        return self.reachable

    def _probe(self) -> None:
        try:
            socket.create_connection(self.address, timeout=PROBE_TIMEOUT_SECONDS).close()
            self.reachable = True
        except OSError:
            self.reachable = False


_SPOTIFY = Reachability()


def spotify_player_available(settings) -> bool:
    """True when real tracks may get Spotify's embedded player."""
    return not settings.offline and _SPOTIFY.check()
