"""Run a slow catalog scan for the newest request only: the autocomplete's typo scans.

The search box sends every keystroke, and a misspelt name makes each one a typo-tolerant scan (~0.5 s at
1.5M tracks, `catalog.fuzzy`). Run side by side they held both cores: typing 28 letters queued 3.8 s of
scans before the last keystroke's suggestions, and a Dig sent meanwhile took 1.1 s instead of 0.1 s
(`bench/scale_typing.py`). Only the newest keystroke's suggestions are ever shown, so a newer request
interrupts the scan under way (`sqlite3.Connection.interrupt`) and the ones waiting give up.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
G = TypeVar("G")


class NewestOnly:
    """One scan at a time, for the newest caller; an older one gets `given_up` instead of its answer.

    Requests of every browser tab share it (one process serves them), so a DJ typing in one tab can cut
    short the suggestions of another typing at the same moment: they come back with the next keystroke.
    """

    def __init__(self) -> None:
        self._state = threading.Lock()  # guards the two fields below
        self._one_scan = threading.Lock()
        self._newest = 0
        self._scanning: sqlite3.Connection | None = None

    @property
    def calls(self) -> int:
        """How many calls `run` has had so far (each takes its turn number on entering)."""
        return self._newest

    def run(self, conn: sqlite3.Connection, scan: Callable[[], T], given_up: G) -> T | G:
        """`scan()` (which reads through `conn`), unless a newer call came before it finished."""
        with self._state:
            self._newest += 1
            ticket = self._newest
            if self._scanning is not None:
                self._scanning.interrupt()
        with self._one_scan:
            with self._state:
                if ticket != self._newest:
                    return given_up
                self._scanning = conn
            try:
                return scan()
            except sqlite3.OperationalError as error:
                if "interrupt" not in str(error):
                    raise
                return given_up
            finally:
                with self._state:
                    self._scanning = None
