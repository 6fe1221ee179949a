"""Native libraries that write to file descriptor 2 themselves (libmpg123 inside libsndfile, TensorFlow before
absl's logging starts): their lines go to the debug log instead of in front of the product's own sentences.

>>> with lines_to_log(re.compile(rb"\\[src/libmpg123/|Note: "), log, "song.mp3: libmpg123"):
...     soundfile.info("song.mp3")

File descriptor 2 belongs to the whole process, so one block runs at a time (a lock) and other threads'
output meanwhile is held back until it ends, then written. Keep the blocks short. Limits: a crash inside a
block (a segfault) takes what was written during it with it; a process forked inside one gets its stderr back.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from contextlib import contextmanager

_SWAP = threading.Lock()
_saved_fd: int | None = None  # the real stderr while a block has fd 2


def _after_fork_in_child() -> None:
    """A child forked inside a block: its own lock, and its stderr back (the parent restores its own)."""
    global _SWAP, _saved_fd
    _SWAP = threading.Lock()
    if _saved_fd is not None:
        os.dup2(_saved_fd, 2)
        os.close(_saved_fd)
        _saved_fd = None


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def lines_to_log(pattern: re.Pattern[bytes], log: logging.Logger, what: str):
    """While inside, fd 2 goes to a temporary file; afterwards its lines matching `pattern` are logged at debug
    level (as `what: …`) and every other line (another thread's output meanwhile) is written back to fd 2."""
    global _saved_fd
    with _SWAP, tempfile.TemporaryFile() as sink:
        _saved_fd = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(_saved_fd, 2)
            os.close(_saved_fd)
            _saved_fd = None
            sink.seek(0)
            lines = sink.read().splitlines(keepends=True)
            if theirs := [line for line in lines if pattern.match(line)]:
                log.debug("%s: %s", what, b"".join(theirs).decode("utf-8", "replace").strip())
            if others := b"".join(line for line in lines if not pattern.match(line)):
                try:
                    os.write(2, others)
                except OSError:  # stderr closed or full: nothing better to do with it
                    pass
