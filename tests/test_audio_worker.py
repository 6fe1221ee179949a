"""The warm sound worker answers like the in-process path, refuses bad audio with a sentence, and is optional."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from audio.worker import WorkerUnavailable, ask_worker, socket_path, start_worker
from config import load_settings

pytestmark = pytest.mark.slow


def _wav_bytes() -> bytes:
    import io

    import soundfile

    from audio.synth import synthesize_clip

    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(synthesize_clip("Drum & Bass", 174.0, "F minor", seed=5, seconds=6.0)),
                    22050, format="WAV")
    return buffer.getvalue()


_WORKER_PID: dict = {}


@pytest.fixture(scope="module")
def worker(sound_data_dir):
    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(sound_data_dir)}, dotenv_path=sound_data_dir / "no.env")
    deadline = time.monotonic() + 120
    process = start_worker(settings)
    while process is None and time.monotonic() < deadline:  # another test's worker is still winding down
        time.sleep(0.5)
        process = start_worker(settings)
    while not socket_path(settings).exists() and time.monotonic() < deadline:
        assert process.poll() is None, "the worker exited while warming up"
        time.sleep(0.2)
    _WORKER_PID[settings.data_dir] = process.pid  # for the process checks below
    yield settings
    process.terminate()
    process.wait(10)


def _maps_tensorflow(pid: int) -> bool:
    from pathlib import Path

    return "tensorflow" in Path(f"/proc/{pid}/maps").read_text()


def _children(pid: int) -> list[int]:
    from pathlib import Path

    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_the_worker_answers_without_tensorflow(worker):
    """The sound model runs in numpy (`models.numpy_sound`): the worker never loads TensorFlow, nor a child."""
    ask_worker(worker, _wav_bytes(), filename="clip.wav", k=5)
    pid = _WORKER_PID[worker.data_dir]
    assert not _maps_tensorflow(pid)
    assert _children(pid) == []


def test_the_worker_answers_like_the_in_process_path(worker):
    from ui.sound import analyse_here

    data = _wav_bytes()
    remote = ask_worker(worker, data, filename="clip.wav", k=20)
    local = analyse_here(worker, data, "clip.wav")
    assert remote["ids"] == local["ids"][:20]
    assert np.allclose(remote["scores"], local["scores"][:20], atol=1e-5)
    assert abs(remote["analysis"]["tempo"] - 174) <= 174 * 0.02
    assert remote["spectrogram"] and isinstance(remote["spectrogram"][0][0], int)


def test_bad_audio_comes_back_as_a_sentence(worker):
    reply = ask_worker(worker, b"definitely not audio", filename="song.mp3", k=5)
    assert reply["exit_code"] == 2 and "error" in reply and "Traceback" not in reply["error"]


def test_a_second_start_reuses_the_live_worker(worker):
    assert start_worker(worker) is None


def test_without_a_worker_the_caller_is_told(tmp_path):
    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "no.env")
    with pytest.raises(WorkerUnavailable):
        ask_worker(settings, b"x", filename="clip.wav", k=5)


def test_a_request_sent_during_the_warm_up_is_answered_after_it(tmp_path, monkeypatch):
    """The socket listens before the warm-up: an early upload waits for the worker, not for a second TF load."""
    import os
    import threading

    import audio.warmup
    import audio.worker as worker_module

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "no.env")
    warming, answered = threading.Event(), []
    monkeypatch.setattr(audio.warmup, "warm_up", lambda cache_dir, *args, **kwargs: warming.wait(30))
    monkeypatch.setattr(worker_module, "answer", lambda settings, header, data, *more: answered.append(data) or {"ok": 1})
    parent = os.getppid()
    server = threading.Thread(target=worker_module.serve, args=(settings, parent), daemon=True)
    server.start()
    deadline = time.monotonic() + 30
    while not socket_path(settings).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    reply = []
    client = threading.Thread(target=lambda: reply.append(ask_worker(settings, b"early", filename="clip.wav", k=1)))
    client.start()
    client.join(0.5)
    assert not answered  # queued while the worker warms up
    warming.set()
    client.join(30)
    assert reply == [{"ok": 1}] and answered == [b"early"]
    monkeypatch.setattr(worker_module.os, "getppid", lambda: -1)  # the parent is "gone": the loop ends
    server.join(10)
    assert not server.is_alive() and not socket_path(settings).exists()


def test_an_unexpected_failure_is_a_sentence_and_the_worker_goes_on(sound_data_dir, monkeypatch):
    """A bug or a damaged model used to end the worker (every later upload then failed): now it is one reply."""
    import audio.coldstart
    from audio.worker import answer, log_path

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(sound_data_dir)}, dotenv_path=sound_data_dir / "no.env")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(audio.coldstart, "cold_start_neighbours", broken)
    reply = answer(settings, {"filename": "set opener.wav", "k": 5}, _wav_bytes())
    assert reply["exit_code"] == 3 and reply["error"].startswith("set opener.wav could not be analysed")
    assert str(log_path(settings)) in reply["error"]


def test_without_a_sound_model_an_upload_still_gets_its_tempo_and_key(tmp_path):
    """QA: on a catalog with no sound model yet an upload got one sentence naming the models folder, and no
    tempo or key, which need no model."""
    from audio.worker import answer

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "no.env")
    reply = answer(settings, {"filename": "set opener.wav", "k": 5}, _wav_bytes())
    assert "error" not in reply and reply["ids"] == [] and reply["analysis"]["tempo"] > 0
    assert reply["note"].startswith("There is no sound model to compare with yet") and str(tmp_path) not in reply["note"]


def test_regression_a_killed_worker_is_started_again(worker, caplog):
    """QA bug: once the warm worker died (killed, crashed, OOM) every upload was analysed in-process, ~3× slower,
    until the dashboard restarted. Now the current upload is still answered in-process, and the dashboard's
    next look starts a new worker (one, with a warning) that answers the next upload."""
    import base64
    import logging
    import os
    import signal
    import threading
    from pathlib import Path

    from audio.worker import SoundWorkerKeeper, worker_alive
    from ui.sound import analyse_upload

    keeper = SoundWorkerKeeper(worker, every=0.0)
    assert keeper.check() is None  # the fixture's worker runs
    os.kill(_WORKER_PID[worker.data_dir], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while worker_alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    data = _wav_bytes()
    with pytest.raises(WorkerUnavailable):
        ask_worker(worker, data, filename="clip.wav", k=5)
    contents = "data:audio/wav;base64," + base64.b64encode(data).decode()
    assert analyse_upload(worker, contents, "clip.wav")["neighbours"]  # answered in-process meanwhile

    started = {}
    others = [SoundWorkerKeeper(worker, every=0.0) for _ in range(3)]  # several server processes at once
    with caplog.at_level(logging.WARNING, logger="audio.worker"):
        threads = [threading.Thread(target=lambda k=k: started.__setitem__(k, k.check())) for k in [keeper, *others]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    processes = [p for p in started.values() if p is not None]
    try:
        assert processes
        warnings = [r for r in caplog.records if "had stopped" in r.message]
        # only `keeper` had seen the old worker, so only it warns, when it is one of those that started a new one
        # (under load a new worker may already hold the lock when its thread looks: then it starts none)
        assert len(warnings) == (1 if started[keeper] is not None else 0)
        deadline = time.monotonic() + 120
        while not socket_path(worker).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        reply = ask_worker(worker, data, filename="clip.wav", k=5)
        assert reply["ids"]
        while len([p for p in processes if p.poll() is None]) > 1 and time.monotonic() < deadline:
            time.sleep(0.2)  # the others find the lock taken and exit
        serving = [p for p in processes if p.poll() is None]
        assert len(serving) == 1
        argv = Path(f"/proc/{serving[0].pid}/cmdline").read_bytes().split(b"\0")
        assert str(worker.data_dir).encode() in argv  # `ps` tells data folders apart
        assert keeper.check() is None and worker_alive(worker)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


def test_a_worker_that_keeps_dying_young_is_restarted_less_and_less_often(sound_data_dir, monkeypatch):
    """A worker that crashes at every start must not be started every 5 s for ever."""
    import audio.worker
    from audio.worker import MAX_RESTART_WAIT, SoundWorkerKeeper

    class DeadOnArrival:
        pid = 4242

        def poll(self):
            return 1

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(sound_data_dir)}, dotenv_path=sound_data_dir / "no.env")
    monkeypatch.setattr(audio.worker, "worker_alive", lambda settings: False)
    monkeypatch.setattr(audio.worker, "start_worker", lambda settings: DeadOnArrival())
    keeper = SoundWorkerKeeper(settings, every=5.0)
    waits = []
    for _ in range(10):
        keeper._start_if_gone()
        waits.append(keeper._wait)
    assert waits[:4] == [5.0, 10.0, 20.0, 40.0] and waits[-1] == MAX_RESTART_WAIT
    keeper._started_at -= 120  # the last one lived two minutes: back to the usual look
    keeper._start_if_gone()
    assert keeper._wait == 5.0


def test_a_cache_folder_it_may_not_write_is_said_once_not_every_5_s(sound_data_dir, monkeypatch, caplog):
    import audio.worker
    from audio.worker import MAX_RESTART_WAIT, SoundWorkerKeeper

    def denied(settings, **kwargs):
        raise PermissionError(13, "Permission denied", str(settings.cache_dir))

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(sound_data_dir)}, dotenv_path=sound_data_dir / "no.env")
    monkeypatch.setattr(audio.worker, "worker_alive", denied)
    keeper = SoundWorkerKeeper(settings, every=0.0)
    with caplog.at_level(logging.WARNING, logger="audio.worker"):
        assert keeper.check() is None and keeper.check() is None
    assert len(caplog.records) == 1 and "Permission denied" in caplog.records[0].getMessage()
    assert keeper._wait == MAX_RESTART_WAIT


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def _process_state(pid: int) -> str:
    """The `State:` line of /proc/<pid>/status ("Z (zombie)" for <defunct>), or "gone" once reaped."""
    from pathlib import Path

    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return "gone"
    return next(line for line in status.splitlines() if line.startswith("State:")).split(":", 1)[1].strip()


def test_regression_a_worker_that_stood_down_is_reaped_and_not_reported_as_a_crash(tmp_path, monkeypatch, caplog):
    """Bug: with several server processes (`gunicorn -w 2`) each may start a worker; the one that finds another
    serving exits at once, but no one waited on it, so it stayed <defunct> until its server restarted; and when
    the serving worker died later, that server's keeper named the stood-down worker's exit code as the dead
    worker's and counted it as dying young (restarting ever less often)."""
    import os
    import signal

    import audio.training
    import audio.worker
    from audio.worker import STOOD_DOWN, SoundWorkerKeeper, worker_alive

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(tmp_path)}, dotenv_path=tmp_path / "no.env")
    monkeypatch.setattr(audio.training, "newest_sound_run", lambda settings, need="": tmp_path)  # "a sound model"
    first, second = SoundWorkerKeeper(settings, every=5.0), SoundWorkerKeeper(settings, every=5.0)
    processes = [first._start_if_gone()]
    try:
        assert _wait_for(lambda: worker_alive(settings))
        with monkeypatch.context() as patch:  # the second server process looked just before the first worker served
            patch.setattr(audio.worker, "worker_alive", lambda settings, **kwargs: False)
            processes.append(second._start_if_gone())
        stood_down = processes[-1]
        assert _wait_for(lambda: _process_state(stood_down.pid) in ("Z (zombie)", "gone"), 30)  # it exited
        assert _wait_for(lambda: _process_state(stood_down.pid) == "gone", 5), _process_state(stood_down.pid)
        assert stood_down.returncode == STOOD_DOWN

        os.kill(processes[0].pid, signal.SIGKILL)  # the serving worker dies
        assert _wait_for(lambda: not worker_alive(settings), 10)
        with caplog.at_level(logging.WARNING, logger="audio.worker"):
            processes.append(second._start_if_gone())
        assert processes[-1] is not None
        [warning] = [r.getMessage() for r in caplog.records if "had stopped" in r.getMessage()]
        assert "exit code" not in warning  # the dead worker was the other server's: its exit code is not known here
        assert second._wait == 5.0  # a worker that stood down did not die young
        assert _wait_for(lambda: _process_state(processes[0].pid) == "gone", 5)  # the killed one is reaped too
    finally:
        for process in processes:
            if process is not None:
                process.kill()
                process.wait(10)


def test_the_keeper_names_the_exit_code_of_its_own_worker_that_died(sound_data_dir, monkeypatch, caplog):
    import audio.worker
    from audio.worker import SoundWorkerKeeper

    class Killed:
        pid = 4242

        def poll(self):
            return -9

    class Started:
        pid = 4243

        def poll(self):
            return None

    settings = load_settings({"CRATEDIGGER_DATA_DIR": str(sound_data_dir)}, dotenv_path=sound_data_dir / "no.env")
    monkeypatch.setattr(audio.worker, "worker_alive", lambda settings: False)
    monkeypatch.setattr(audio.worker, "start_worker", lambda settings: Started())
    keeper = SoundWorkerKeeper(settings, every=5.0)
    keeper._had_worker, keeper._process, keeper._started_at = True, Killed(), time.monotonic()
    with caplog.at_level(logging.WARNING, logger="audio.worker"):
        keeper._start_if_gone()
    [warning] = [r.getMessage() for r in caplog.records if "had stopped" in r.getMessage()]
    assert "(exit code -9)" in warning and "pid 4243" in warning
    assert keeper._wait == 10.0  # it died within a minute of its start
