"""The sound model in a process of its own, beside the warm worker's analysis.

On 2 cores the worker's warm-up was TensorFlow's import and kernel set-up (~2.3 s) *after* the analysis
warm-up (~0.7 s of numba), one after the other: two threads only contend for the GIL. `python -m
audio.embedder` does the TensorFlow half in a second process, so both halves warm at once on both cores,
and each query's embedding runs beside its tempo and key without sharing the GIL.

The parent talks to it over a socket pair (the child's stdin), in the worker's frames (`audio.worker`):
a request is the model input (`audio.mel.model_input`) as `.npy` bytes, the reply the unit embedding
[shape=(EMBEDDING_DIM,)] as `.npy` bytes, or JSON `{"error": sentence}`. The child exits when the parent's
end closes.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class EmbedderUnavailable(Exception):
    """The embedding process is gone or refused; the caller embeds in its own process."""


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, np.float32), allow_pickle=False)
    return buffer.getvalue()


def _npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


class EmbedderProcess:
    """`python -m audio.embedder RUN_DIR CACHE_DIR`, started at once; `embed` waits for its warm-up on first use."""

    def __init__(self, run_dir: Path, cache_dir: Path):
        self.run_dir = Path(run_dir)
        parent, child = socket.socketpair()
        self._conn, self._lock = parent, threading.Lock()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.process = subprocess.Popen([sys.executable, "-m", "audio.embedder", str(run_dir), str(cache_dir)],
                                        stdin=child, cwd=Path(__file__).resolve().parent.parent, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        child.close()

    def embed(self, model_input: np.ndarray, *, timeout: float = 60.0) -> np.ndarray:
        """The unit embedding [shape=(EMBEDDING_DIM,)] of one model input [shape=(MODEL_N_MELS, t)]."""
        from audio.worker import receive_frame, send_frame

        with self._lock:
            try:
                self._conn.settimeout(timeout)
                send_frame(self._conn, _npy_bytes(model_input))
                reply = receive_frame(self._conn)
            except (OSError, ConnectionError) as error:
                raise EmbedderUnavailable(str(error)) from error
        if reply[:1] == b"{":
            raise EmbedderUnavailable(json.loads(reply)["error"])
        return _npy(reply)

    def close(self) -> None:
        self._conn.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class SoundModelProcess:
    """One `EmbedderProcess` for the newest sound run: a newer run replaces it, a dead one is started again."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = Path(cache_dir)
        self.current: EmbedderProcess | None = None

    def embed_for(self, run_dir: Path):
        """The `embed` function of `run_dir`'s process, started (in the background) if it is not running."""
        if self.current is not None and (self.current.run_dir != Path(run_dir) or self.current.process.poll() is not None):
            self.close()
        if self.current is None:
            self.current = EmbedderProcess(run_dir, self.cache_dir)
        return self.current.embed

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


def serve(conn: socket.socket, run_dir: Path, cache_dir: Path) -> None:
    """Load the run's sound model, warm it on the warm-up clip, then embed requests until the parent closes."""
    from audio.warmup import warm_up_input
    from audio.worker import receive_frame, send_frame
    from models.cnn import load_cnn

    cnn = load_cnn(run_dir)
    cnn.embed([warm_up_input(cache_dir)])  # the kernels for a query's batch shape, built now
    while True:
        try:
            request = receive_frame(conn)
        except ConnectionError:
            return  # the parent is gone
        try:
            reply = _npy_bytes(cnn.embed([_npy(request)])[0])
        except Exception as error:  # one bad request must not end the process  # noqa: BLE001
            reply = json.dumps({"error": f"the sound model failed on this clip: {error}"}).encode()
        send_frame(conn, reply)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    run_dir, cache_dir = Path(argv[0]), Path(argv[1])
    with socket.socket(fileno=os.dup(0)) as conn:
        serve(conn, run_dir, cache_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
