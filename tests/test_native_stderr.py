"""Native start-up noise on stderr goes to the debug log; everything else written meanwhile is kept."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from native_stderr import lines_to_log

ROOT = Path(__file__).resolve().parents[1]


def test_matching_lines_are_logged_and_the_rest_written_back(capfd, caplog):
    with caplog.at_level(logging.DEBUG, logger="t"), lines_to_log(re.compile(rb"noise"), logging.getLogger("t"), "x"):
        os.write(2, b"noise one\nkept\nnoise two\n")
    assert capfd.readouterr().err == "kept\n"
    assert "x: noise one\nnoise two" in caplog.text


def test_importing_tensorflow_prints_nothing():
    """QA: `train-cnn`, `embed`, `evaluate-audio` and `demo-audio` began with TensorFlow's 'WARNING: All log
    messages before absl::InitializeLog() is called…' and 'I0000 … oneDNN custom operations are on' lines."""
    code = "from models.tensorflow_import import tensorflow; tf = tensorflow(); print(tf.reduce_sum(tf.ones(3)).numpy())"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3.0"
    assert done.stderr == ""
