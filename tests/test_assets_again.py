"""assets/again.js: an answer asked again is applied only over the answer it was asked for (run with node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

AGAIN_JS = Path(__file__).resolve().parent.parent / "assets" / "again.js"


def _apply_again(again: dict | None, current: dict | None):
    """What `applyAgain` returns: [results-store, alert], or 'skip' for Dash's no_update."""
    if shutil.which("node") is None:
        pytest.skip("needs node")
    script = (f"global.window = {{dash_clientside: {{no_update: 'skip'}}}};\n{AGAIN_JS.read_text(encoding='utf-8')}\n"
              f"console.log(JSON.stringify(window.dash_clientside.cratedigger.applyAgain("
              f"{json.dumps(again)}, {json.dumps(current)})));")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True).stdout
    return json.loads(out)


def test_an_answer_asked_again_replaces_the_answer_it_was_asked_for_only():
    again = {"replaces": "a1", "store": {"answer_id": "a2"}, "alert": "said"}
    assert _apply_again(again, {"answer_id": "a1"}) == [{"answer_id": "a2"}, "said"]
    assert _apply_again(again, {"answer_id": "b1"}) == ["skip", "skip"]  # a Dig answered meanwhile
    assert _apply_again({**again, "replaces": None}, {"answer_id": "b1"}) == ["skip", "skip"]
    assert _apply_again(again, None) == ["skip", "skip"]


def test_regression_an_answer_restored_from_before_answer_ids_is_asked_again():
    """Review: an answer restored from the session from before answers carried an `answer_id` was never replaced by
    the query asked again for a new destination playlist (the table kept counting its candidates before leaving
    out the playlist's tracks, and the alert kept its old sentence), until the next Dig."""
    again = {"replaces": None, "store": {"answer_id": "a2"}, "alert": "said"}
    assert _apply_again(again, {"query": {"title": "T"}, "text": "A - T"}) == [{"answer_id": "a2"}, "said"]
