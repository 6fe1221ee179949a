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


def test_a_child_forked_inside_a_block_has_its_stderr_and_can_block_again(capfd):
    """Review: a child forked while a block held fd 2 inherited the held lock (its first decode hung) and wrote
    its stderr into the parent's deleted temporary file."""
    import signal

    quiet = logging.getLogger("t")
    with lines_to_log(re.compile(rb"noise"), quiet, "parent"):
        pid = os.fork()
        if pid == 0:  # the child
            signal.alarm(10)
            with lines_to_log(re.compile(rb"noise"), quiet, "child"):
                os.write(2, b"noise\n")
            os.write(2, b"child's own line\n")
            os._exit(0)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert capfd.readouterr().err == "child's own line\n"


def test_threads_asking_for_tensorflow_meanwhile_get_the_whole_module(monkeypatch, tmp_path):
    """Review: a second thread saw `tensorflow` in sys.modules while the first was still importing it."""
    import threading

    from models import tensorflow_import

    (tmp_path / "tf_signals.py").write_text("import threading\nstarted, go = threading.Event(), threading.Event()\n")
    (tmp_path / "tensorflow").mkdir()  # a stand-in whose import is under way until the test says go
    (tmp_path / "tensorflow" / "__init__.py").write_text(
        "import tf_signals\ntf_signals.started.set()\ntf_signals.go.wait(10)\nready = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.delitem(sys.modules, "tf_signals", raising=False)
    import tf_signals

    got = {}
    first = threading.Thread(target=lambda: got.setdefault("a", tensorflow_import.tensorflow()))
    first.start()
    assert tf_signals.started.wait(10)  # the first import is under way
    second = threading.Thread(target=lambda: got.setdefault("b", hasattr(tensorflow_import.tensorflow(), "ready")))
    second.start()
    second.join(1.0)  # a half-made module would come back at once; the whole one only after `go`
    tf_signals.go.set()
    first.join()
    second.join()
    assert got["b"] is True and got["a"].ready
