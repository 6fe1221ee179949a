"""Run a slow catalog scan for the newest request only: the autocomplete's typo scans.

The search box sends every keystroke, and a misspelt name makes each one a typo-tolerant scan (~0.5 s at
1.5M tracks, `catalog.fuzzy`). Run side by side they held both cores: typing 28 letters queued 3.8 s of
scans before the last keystroke's suggestions, and a Dig sent meanwhile took 1.1 s instead of 0.1 s
(`bench/scale_typing.py`). Only the newest keystroke's suggestions are ever shown, so a tab's newer request
interrupts that tab's scan under way (`sqlite3.Connection.interrupt`) and its requests waiting give up; other
tabs' scans wait their turn.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
G = TypeVar("G")


class NewestOnly:
    """One scan at a time, for each caller's newest call; a caller's older call gets `given_up` instead of its
    answer.

    A caller is a browser tab (`tab-id`): one process serves every tab, and a DJ typing in one tab must not cut
    short the suggestions of another typing at the same moment, whose scan waits its turn instead.
    """

    def __init__(self) -> None:
        self._state = threading.Lock()  # guards the fields below
        self._one_scan = threading.Lock()
        self._calls = 0
        self._newest: dict[Hashable, int] = {}  # caller -> the ticket of its newest call, while it has calls running
        self._running: Counter[Hashable] = Counter()  # caller -> its calls not yet returned
        self._scanning: tuple[Hashable, sqlite3.Connection] | None = None

    @property
    def calls(self) -> int:
        """How many calls `run` has had so far (each takes its turn number on entering)."""
        return self._calls

    def run(self, conn: sqlite3.Connection, scan: Callable[[], T], given_up: G, caller: Hashable = None) -> T | G:
        """`scan()` (which reads through `conn`), unless a newer call of the same `caller` came before it finished."""
        with self._state:
            self._calls += 1
            ticket = self._newest[caller] = self._calls
            self._running[caller] += 1
            if self._scanning is not None and self._scanning[0] == caller:
                self._scanning[1].interrupt()
        try:
            with self._one_scan:
                with self._state:
                    if ticket != self._newest[caller]:
                        return given_up
                    self._scanning = (caller, conn)
                try:
                    return scan()
                except sqlite3.OperationalError as error:
                    if "interrupt" not in str(error):
                        raise
                    return given_up
                finally:
                    with self._state:
                        self._scanning = None
        finally:
            with self._state:
                self._running[caller] -= 1
                if not self._running[caller]:  # forget a tab once it has nothing running
                    del self._running[caller], self._newest[caller]
