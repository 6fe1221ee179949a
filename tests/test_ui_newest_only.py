"""The autocomplete searches for the newest keystroke only (`ui.newest_only.NewestOnly`)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from ui.newest_only import NewestOnly

SLOW = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"  # never ends


def test_a_newer_request_interrupts_the_scan_under_way():
    """Each keystroke of a misspelt name ran its own ~0.5 s scan at 1.5M tracks, side by side: the last
    keystroke's suggestions came 3.8 s late and a Dig sent meanwhile took 10× longer (bench/scale_typing.py)."""
    newest, answers = NewestOnly(), {}
    first = sqlite3.connect(":memory:", check_same_thread=False)
    started = threading.Event()

    first.set_progress_handler(lambda: started.set() or 0, 1000)  # called while the query runs

    thread = threading.Thread(target=lambda: answers.setdefault("first", newest.run(
        first, lambda: first.execute(SLOW).fetchone(), None)), daemon=True)
    thread.start()
    assert started.wait(5)
    began = time.perf_counter()
    second = sqlite3.connect(":memory:", check_same_thread=False)
    newer = threading.Thread(target=lambda: answers.setdefault("second", newest.run(
        second, lambda: second.execute("SELECT 42").fetchone()[0], None)), daemon=True)
    newer.start()
    newer.join(5)
    thread.join(5)
    assert answers == {"first": None, "second": 42} and time.perf_counter() - began < 2


def test_a_request_overtaken_while_waiting_gives_up_without_scanning():
    newest, scanned, answers = NewestOnly(), [], {}
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    release, in_first = threading.Event(), threading.Event()

    def first_scan():  # not SQLite: an interrupt cannot stop it, so the second one has to wait
        in_first.set()
        release.wait(5)
        scanned.append("first")
        return "first"

    def later(name: str):
        answers[name] = newest.run(conn, lambda: scanned.append(name) or name, None)

    one = threading.Thread(target=lambda: answers.setdefault("first", newest.run(conn, first_scan, None)), daemon=True)
    one.start()
    assert in_first.wait(5)
    two = threading.Thread(target=later, args=("second",))
    two.start()
    assert _waited_for(lambda: newest.calls == 2)  # the second has its turn and waits for the first
    three = threading.Thread(target=later, args=("third",))
    three.start()
    assert _waited_for(lambda: newest.calls == 3)
    release.set()
    for thread in (one, two, three):
        thread.join(5)
    assert answers == {"first": "first", "second": None, "third": "third"} and scanned == ["first", "third"]


def test_an_error_other_than_an_interrupt_is_not_swallowed():
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        NewestOnly().run(conn, lambda: conn.execute("SELECT * FROM nowhere"), None)


def _waited_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_another_tabs_scan_waits_its_turn_instead_of_giving_up():
    """Review: every tab shared one newest keystroke, so two DJs typing at the same moment cut each other's
    suggestions short. A tab's newer call now overtakes only that tab's calls; another tab's waits its turn."""
    newest, answers = NewestOnly(), {}
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    release, in_first = threading.Event(), threading.Event()

    def first_scan():
        in_first.set()
        release.wait(5)
        return "a1"

    def call(name: str, tab: str):
        answers[name] = newest.run(conn, lambda: name, None, caller=tab)

    one = threading.Thread(target=lambda: answers.setdefault("a1", newest.run(conn, first_scan, None, caller="a")))
    one.start()
    assert in_first.wait(5)
    threads = []
    for n, (name, tab) in enumerate([("b1", "b"), ("a2", "a"), ("b2", "b"), ("c1", "c")], start=2):
        threads.append(threading.Thread(target=call, args=(name, tab)))
        threads[-1].start()
        assert _waited_for(lambda n=n: newest.calls == n)
    release.set()
    for thread in (one, *threads):
        thread.join(5)
    assert answers == {"a1": "a1", "b1": None, "a2": "a2", "b2": "b2", "c1": "c1"}
    assert not newest._running and not newest._newest  # tabs are forgotten once they have nothing running
