"""A warm sound worker: the analysis warmed once, the sound model loaded once.

The dashboard's upload job runs in a fresh process (Dash background callbacks), so without this every
upload paid for librosa's JIT and loading the model again (~4 s when that meant TensorFlow). The dashboard
starts `python -m audio.worker` next to itself; upload jobs send it the file over a Unix socket and get
neighbours back in a few hundred milliseconds. The worker exits when the process that started it does.

Wire format, both ways: 4-byte big-endian length + JSON; a request is followed by a second frame
with the audio bytes. A reply is `{"ids", "scores", "analysis", "spectrogram"}` or
`{"error": sentence, "exit_code": n}`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024 * 1024
_HEADER = struct.Struct(">I")


class WorkerUnavailable(Exception):
    """No warm worker answered; the caller does the work itself."""


def socket_path(settings) -> Path:
    """Where this data folder's worker listens (a short path: Unix sockets allow ~100 bytes)."""
    path = settings.cache_dir / "audio-worker.sock"
    if len(str(path)) < 100:
        return path
    digest = hashlib.sha1(str(settings.cache_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cratedigger-{digest}.sock"


def send_frame(conn: socket.socket, payload: bytes) -> None:
    """One frame of the wire format: 4-byte big-endian length, then `payload`."""
    conn.sendall(_HEADER.pack(len(payload)) + payload)


def receive_frame(conn: socket.socket) -> bytes:
    def exactly(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = conn.recv(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("the other side closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    (size,) = _HEADER.unpack(exactly(_HEADER.size))
    if size > MAX_FRAME:
        raise ConnectionError(f"frame of {size} bytes is over the {MAX_FRAME}-byte limit")
    return exactly(size)


def ask_worker(settings, data: bytes, *, filename: str, k: int, timeout: float = 60.0) -> dict:
    """Neighbours of uploaded `data` from the warm worker; `WorkerUnavailable` when none answers."""
    path = socket_path(settings)
    if not path.exists():
        raise WorkerUnavailable(f"no worker socket at {path}")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            send_frame(conn, json.dumps({"filename": filename, "k": k}).encode())
            send_frame(conn, data)
            return json.loads(receive_frame(conn))
    except (OSError, ConnectionError, ValueError) as error:
        raise WorkerUnavailable(str(error)) from error


def start_worker(settings) -> subprocess.Popen | None:
    """Start `python -m audio.worker` for this data folder unless one already answers; None if not started."""
    path = socket_path(settings)
    if path.exists():
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(1.0)
                probe.connect(str(path))
            return None  # another server process's worker is alive
        except OSError:
            path.unlink(missing_ok=True)  # left over from a worker that died
    env = {**os.environ, "CRATEDIGGER_DATA_DIR": str(settings.data_dir)}
    log_path(settings).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path(settings), "ab") as log_file:  # its warnings and errors; the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "audio.worker", str(os.getpid())],
                                cwd=Path(__file__).resolve().parent.parent, env=env,
                                stdout=subprocess.DEVNULL, stderr=log_file)


def log_path(settings) -> Path:
    """Where the worker writes its warnings and errors (the dashboard's console stays for the dashboard)."""
    return settings.cache_dir / "audio-worker.log"


def start_sound_worker(settings) -> None:
    """Start this data folder's warm worker if a sound model exists; once per process, never raises.

    Not in the dashboard's process: librosa's JIT and the model stay out of the server. `python app.py` calls it once the
    dashboard is built, so the worker warms while the page loads (started before the dashboard's own imports it
    was not ready sooner on 2 cores, and the page answered ~0.6 s later); a server importing `app:server` calls
    it on its first request.
    """
    with _STARTED_LOCK:
        if _STARTED:
            return
        _STARTED.append(True)
    from audio.training import newest_sound_run
    from errors import ArtifactMissingError

    try:
        newest_sound_run(settings, need="embeddings.npy")
    except ArtifactMissingError:
        return
    start_worker(settings)


_STARTED: list[bool] = []
_STARTED_LOCK = threading.Lock()


def answer(settings, header: dict, data: bytes) -> dict:
    """The reply to one request: neighbours, analysis and spectrogram, or an error sentence."""
    from audio.coldstart import cold_start_neighbours
    from audio.mel import small_spectrogram
    from audio.training import newest_sound_run
    from errors import CratediggerError

    try:
        run_dir = newest_sound_run(settings, need="embeddings.npy")
        ids, scores, analysis = cold_start_neighbours(data, run_dir, k=int(header.get("k", 150)),
                                                      filename=str(header.get("filename", "")))
    except CratediggerError as error:
        return {"error": str(error), "exit_code": error.exit_code}
    except Exception:  # a bug or a damaged model must not end the worker: every later upload would fail  # noqa: BLE001
        log.exception("audio worker: a request failed")
        name = header.get("filename") or "The file"
        return {"error": f"{name} could not be analysed (an unexpected error, logged in {log_path(settings)}). "
                         "Try another copy or another format.", "exit_code": 3}
    return {"ids": [int(t) for t in ids], "scores": [float(s) for s in scores], "analysis": analysis.as_dict(),
            "spectrogram": small_spectrogram(analysis.mel)}


def serve(settings, parent_pid: int) -> None:
    """Listen, warm up, then answer requests until the parent process is gone.

    The socket listens before the warm-up, so an upload arriving meanwhile waits in the queue for the
    warm-up's remaining second instead of doing all of it again in the dashboard's job.
    """
    from audio.training import newest_sound_run
    from audio.warmup import warm_up
    from errors import ArtifactMissingError

    try:
        run_dir = newest_sound_run(settings, need="embeddings.npy")
    except ArtifactMissingError:
        run_dir = None
    path = socket_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        os.chmod(path, 0o600)
        listener.listen(8)
        try:
            try:
                warm_up(settings.cache_dir, run_dir)
            except Exception:  # only the first upload is slower for it  # noqa: BLE001
                log.exception("audio worker: the warm-up failed")
            listener.settimeout(2.0)
            while os.getppid() == parent_pid:
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(60.0)
                    try:
                        header = json.loads(receive_frame(conn))
                        reply = answer(settings, header, receive_frame(conn))
                        send_frame(conn, json.dumps(reply).encode())
                    except (OSError, ConnectionError, ValueError) as error:
                        log.warning("audio worker: dropped a request: %s", error)
        finally:
            path.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    from config import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parent = int(argv[0]) if argv else os.getppid()
    started = time.monotonic()
    settings = load_settings()
    log.info("audio worker for %s starting", settings.data_dir)
    serve(settings, parent)
    log.info("audio worker stopped after %.0f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
