"""Native libraries that write to file descriptor 2 themselves (libmpg123 inside libsndfile, TensorFlow before
absl's logging starts): their lines go to the debug log instead of in front of the product's own sentences.

>>> with lines_to_log((b"[src/libmpg123/",), log, "song.mp3"):
...     soundfile.info("song.mp3")
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from contextlib import contextmanager

_SWAP = threading.Lock()


@contextmanager
def lines_to_log(pattern: re.Pattern[bytes], log: logging.Logger, what: str):
    """While inside, fd 2 goes to a temporary file; afterwards its lines matching `pattern` are logged at debug
    level (as `what: …`) and every other line (another thread's output meanwhile) is written back to fd 2."""
    with _SWAP, tempfile.TemporaryFile() as sink:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to keep quiet
            yield
            return
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines = sink.read().splitlines(keepends=True)
            if theirs := [line for line in lines if pattern.match(line)]:
                log.debug("%s: %s", what, b"".join(theirs).decode("utf-8", "replace").strip())
            if others := b"".join(line for line in lines if not pattern.match(line)):
                os.write(2, others)
