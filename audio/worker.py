"""A warm sound worker: the analysis warmed once, the sound model loaded once.

The dashboard's upload job runs in a fresh process (Dash background callbacks), so without this every
upload paid for librosa's JIT and loading the model again (~4 s when that meant TensorFlow). The dashboard
starts `python -m audio.worker` next to itself; upload jobs send it the file over a Unix socket and get
neighbours back in a few hundred milliseconds. The worker exits when the process that started it does; the
dashboard's `SoundWorkerKeeper` starts a new one when it finds none (killed, crashed, out of memory). A worker
started while another of its data folder serves (several server processes) exits at once with `STOOD_DOWN`.

Wire format, both ways: 4-byte big-endian length + JSON; a request is followed by a second frame
with the audio bytes. A reply is `{"ids", "scores", "analysis", "spectrogram"}` (plus `"note"` saying why
there are no neighbours: no sound model yet) or
`{"error": sentence, "exit_code": n}`.
"""

from __future__ import annotations

import fcntl
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
STOOD_DOWN = 4  # a worker's exit code when another worker of its data folder serves: normal, not a crash
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


def lock_path(settings) -> Path:
    """The file a running worker keeps locked (`flock`): the kernel frees it when the worker dies, even killed."""
    return socket_path(settings).with_suffix(".lock")


def worker_alive(settings, *, clear_dead_socket: bool = False) -> bool:
    """Whether a worker of this data folder runs (holds `lock_path`); asks no socket, so no worker log noise.

    clear_dead_socket: when none runs, delete the socket file a dead one left, while holding its lock (so no
    worker started meanwhile by another server process can be between binding it and holding the lock):
    an upload then finds no socket and is answered in its job, instead of being refused by a dead one's.
    """
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        if clear_dead_socket:
            socket_path(settings).unlink(missing_ok=True)
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def start_worker(settings) -> subprocess.Popen | None:
    """Start `python -m audio.worker <this pid> <data folder>` unless one runs already; None if not started.

    Several server processes may start one at the same moment: the worker that gets `lock_path` serves,
    the others exit at once (`STOOD_DOWN`). A thread waits on the process, so whenever it exits it is reaped
    (no <defunct> left while the server runs) and its `returncode` is set. The data folder in its argv is for
    `ps` (the environment carries it).
    """
    if worker_alive(settings, clear_dead_socket=True):
        return None  # this or another server process's worker is alive
    env = {**os.environ, "CRATEDIGGER_DATA_DIR": str(settings.data_dir)}
    log_path(settings).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path(settings), "ab") as log_file:  # its warnings and errors; the child keeps its own handle
        process = subprocess.Popen([sys.executable, "-m", "audio.worker", str(os.getpid()), str(settings.data_dir)],
                                   cwd=Path(__file__).resolve().parent.parent, env=env,
                                   stdout=subprocess.DEVNULL, stderr=log_file)
    threading.Thread(target=process.wait, name=f"reap audio worker {process.pid}", daemon=True).start()
    return process


def log_path(settings) -> Path:
    """Where the worker writes its warnings and errors (the dashboard's console stays for the dashboard)."""
    return settings.cache_dir / "audio-worker.log"


RESTART_EVERY = 5.0  # seconds between a server process's looks for its worker
MAX_RESTART_WAIT = 300.0  # a worker that keeps dying young is started again at most this often


class SoundWorkerKeeper:
    """Keeps this data folder's warm worker running while the dashboard runs; `check()` never raises.

    Only the dashboard's server process calls `check()` (`python app.py` once the dashboard is built, so
    the worker warms while the page loads, then before requests): the worker exits when the process that
    started it does, so an upload job (a short-lived process of Dash's background callbacks) must not
    start it. A look costs one `flock` and happens at most every `every` seconds per process (the
    requests polling a running upload job bring it soon after a worker died); a worker is started only
    when a sound model exists and none runs. An upload that finds no worker meanwhile is analysed in its
    job, as before, only slower. Not in the dashboard's process: librosa's JIT and the model stay out of
    the server.
    """

    def __init__(self, settings, *, every: float = RESTART_EVERY):
        self.settings = settings
        self.every = every
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._had_worker = False
        self._process: subprocess.Popen | None = None
        self._started_at = float("-inf")
        self._wait = every  # doubles while each new worker dies within a minute (a crash loop), up to MAX_RESTART_WAIT

    def check(self) -> subprocess.Popen | None:
        """Start a worker if none runs and a sound model exists; the started process, else None."""
        if not self._lock.acquire(blocking=False):
            return None  # another thread is looking
        try:
            if time.monotonic() - self._checked_at < self._wait:  # `every`, longer while workers die young
                return None
            self._checked_at = time.monotonic()
            return self._start_if_gone()
        except OSError as error:  # e.g. a cache folder this process may not write: say it once, look rarely
            if self._wait < MAX_RESTART_WAIT:
                log.warning("could not look after the warm sound worker (%s); uploads are analysed in their job, "
                            "a few times slower. Checking again every %.0f s.", error, MAX_RESTART_WAIT)
            self._wait = MAX_RESTART_WAIT
            return None
        except Exception:  # never a failed page for it: uploads are analysed in their job  # noqa: BLE001
            log.exception("could not start the warm sound worker")
            return None
        finally:
            self._lock.release()

    def _start_if_gone(self) -> subprocess.Popen | None:
        from audio.training import newest_sound_run
        from errors import ArtifactMissingError

        if worker_alive(self.settings):
            self._had_worker = True
            return None
        try:
            newest_sound_run(self.settings, need="embeddings.npy")
        except ArtifactMissingError:
            return None
        gone = self._process.poll() if self._process is not None else None
        if gone == STOOD_DOWN:  # this process's last worker found another serving: the dead one was not ours
            gone = None  # its exit code is not known here; nor is its age, so the wait stays as it is
        else:
            died_young = self._process is not None and time.monotonic() - self._started_at < 60.0
            self._wait = min(max(2 * self._wait, self.every), MAX_RESTART_WAIT) if died_young else self.every
        process = start_worker(self.settings)
        if process is None:
            return None
        if self._had_worker:
            how = f" (exit code {gone})" if gone is not None else ""
            log.warning("the warm sound worker for %s had stopped%s; started a new one (pid %d). Uploads until "
                        "it is warm are analysed in the dashboard's job, a few times slower.",
                        self.settings.data_dir, how, process.pid)
        self._had_worker, self._process, self._started_at = True, process, time.monotonic()
        return process


def answer(settings, header: dict, data: bytes) -> dict:
    """The reply to one request: neighbours, analysis and spectrogram, or an error sentence."""
    from audio.analysis import analyze
    from audio.coldstart import cold_start_neighbours, query_samples
    from audio.mel import small_spectrogram
    from audio.training import newest_sound_run
    from errors import ArtifactMissingError, CratediggerError

    filename, note = str(header.get("filename", "")), None
    try:
        try:
            run_dir = newest_sound_run(settings, need="embeddings.npy")
        except ArtifactMissingError as missing:  # no sound model yet: tempo and key still answer
            ids, scores, note = [], [], str(missing)
            analysis = analyze(query_samples(data, filename=filename))
        else:
            ids, scores, analysis = cold_start_neighbours(data, run_dir, k=int(header.get("k", 150)),
                                                          filename=filename)
    except CratediggerError as error:
        return {"error": str(error), "exit_code": error.exit_code}
    except Exception:  # a bug or a damaged model must not end the worker: every later upload would fail  # noqa: BLE001
        log.exception("audio worker: a request failed")
        name = header.get("filename") or "The file"
        return {"error": f"{name} could not be analysed (an unexpected error, logged in {log_path(settings)}). "
                         "Try another copy or another format.", "exit_code": 3}
    return {"ids": [int(t) for t in ids], "scores": [float(s) for s in scores], "analysis": analysis.as_dict(),
            "spectrogram": small_spectrogram(analysis.mel), **({"note": note} if note else {})}


def serve(settings, parent_pid: int) -> bool:
    """Listen, warm up, then answer requests until the parent process is gone; False if it never served.

    The socket listens before the warm-up, so an upload arriving meanwhile waits in the queue for the
    warm-up's remaining second instead of doing all of it again in the dashboard's job. Returns False at
    once when another worker of this data folder holds `lock_path`.
    """
    from audio.training import newest_sound_run
    from errors import ArtifactMissingError

    try:
        run_dir = newest_sound_run(settings, need="embeddings.npy")
    except ArtifactMissingError:
        run_dir = None
    path = socket_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(settings), "a") as lock:
        if not _hold(lock):
            log.info("audio worker: another worker serves %s", settings.data_dir)
            return False
        _listen(settings, run_dir, parent_pid)
        return True


def _hold(lock, tries: int = 20) -> bool:
    """Take `lock` for this worker's lifetime; False when another worker holds it (a server's `worker_alive`
    holds it for microseconds, hence the tries)."""
    for _ in range(tries):
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.05)
    return False


def _listen(settings, run_dir, parent_pid: int) -> None:
    from audio.warmup import warm_up

    path = socket_path(settings)
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
    if not serve(settings, parent):
        return STOOD_DOWN
    log.info("audio worker stopped after %.0f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
