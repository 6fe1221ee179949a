"""TensorFlow, imported once, quietly: the lines it prints before absl's logging starts ("WARNING: All log
messages before absl::InitializeLog() …", "I0000 … oneDNN custom operations are on") go to the debug log,
which no environment variable can do for them. Its later warnings and errors still print."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading

from native_stderr import lines_to_log

log = logging.getLogger(__name__)
_START_UP_LINE = re.compile(rb"WARNING: All log messages before absl::InitializeLog\(\)|I\d{4} [\d:.]+ +\d+ ")


_IMPORTING = threading.Lock()


def tensorflow():
    """The `tensorflow` module (~1.5 s the first time; Keras imports it too, so call this before `import keras`).

    Another thread asking meanwhile waits for the whole import (`sys.modules` has the module half-made)."""
    with _IMPORTING:
        if "tensorflow" not in sys.modules:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            with lines_to_log(_START_UP_LINE, log, "TensorFlow's start-up"):
                import tensorflow  # noqa: F401
    return sys.modules["tensorflow"]
