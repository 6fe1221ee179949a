"""The first cold-start query after the dashboard starts: an upload sent `delay` seconds after the page is up.

    .venv/bin/python bench/audio_first_upload.py [--data-dir DIR] [--delays 0 1 2] [--clip FILE]

Each delay gets a fresh `python app.py` (and so a fresh warm sound worker) on DIR, which needs a sound
model (default: a temporary folder where the demo crate, its model and its sound model are built, a few
minutes). Headless Chromium opens the page, waits `delay` s, uploads the clip (default: 30 s of
synthetic techno as WAV) and times until the query card names it; then uploads another clip (worker warm).
Target (issue 6): the first such query ≤ 2 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ensure_sound_crate(data_dir: Path) -> None:
    from cli import main

    os.environ["CRATEDIGGER_DATA_DIR"] = str(data_dir)
    for argv in (["demo", "--if-missing"], ["train-als", "--if-missing", "--publish"], ["demo-audio", "--if-missing"]):
        if main(argv) != 0:
            raise SystemExit(f"cli.py {' '.join(argv)} failed")


def synthetic_clip(folder: Path, name: str, seed: int) -> Path:
    """30 s of synthetic techno as WAV [22,050 Hz] in `folder`."""
    import numpy as np
    import soundfile

    from audio.synth import synthesize_clip

    path = folder / name
    soundfile.write(path, np.asarray(synthesize_clip("techno", 132.0, "A minor", seed=seed, seconds=30.0)), 22_050)
    return path


def wait_for_old_worker(data_dir: Path, timeout: float = 15.0) -> None:
    """A worker outlives its server by up to ~2 s; a new server would reuse it, warm, and spoil the figure."""
    import socket

    from audio.worker import socket_path
    from config import load_settings

    os.environ["CRATEDIGGER_DATA_DIR"] = str(data_dir)
    path = socket_path(load_settings())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(1.0)
                probe.connect(str(path))
        except OSError:
            return  # no socket, or one left by a dead worker (the new server removes it)
        time.sleep(0.2)
    raise SystemExit(f"an earlier sound worker still answers at {path}; stop it first")


def one_start(data_dir: Path, clip: Path, second: Path, delay: float) -> dict[str, float]:
    """Seconds from `python app.py` to HTTP 200, and from each of two uploads to its answer on the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser_support import ServedApp, start_browser

    wait_for_old_worker(data_dir)
    driver = start_browser()  # before the server, so Chromium's own start-up is not in the figures
    start = time.monotonic()
    app = ServedApp(data_dir)
    figures = {"ready": time.monotonic() - start}
    try:
        driver.get(app.url)
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#upload-audio input[type='file']"))
        figures["page"] = time.monotonic() - start
        time.sleep(delay)
        for name, upload in (("first", clip), ("second", second)):
            sent = time.monotonic()
            driver.find_element(By.CSS_SELECTOR, "#upload-audio input[type='file']").send_keys(str(upload))
            WebDriverWait(driver, 120, poll_frequency=0.02).until(
                lambda d, u=upload: u.name in d.find_element(By.ID, "query-card").text)
            figures[name] = time.monotonic() - sent
            time.sleep(0.5)
    finally:
        driver.quit()
        app.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--delays", type=float, nargs="+", default=[0.0, 1.0, 2.0])
    parser.add_argument("--clip", type=Path, default=None, help="an audio file (default: 30 s of synthetic techno)")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cratedigger-bench-"))
    ensure_sound_crate(data_dir)
    folder = Path(tempfile.mkdtemp(prefix="cratedigger-clip-"))
    clip = (args.clip or synthetic_clip(folder, "first-upload-techno.wav", seed=1)).resolve()
    second = synthetic_clip(folder, "second-upload-techno.wav", seed=2)  # other bytes: the page ignores a repeat
    load = os.getloadavg()[0]
    print(f"First upload after `python app.py` ({data_dir}, clip {clip.name}); {os.cpu_count()} cores, "
          f"load average {load:.1f} at the start")
    print("| upload sent after the page is up | app.py → HTTP 200 | page drawn | first upload answered | "
          "second upload |\n| --- | --- | --- | --- | --- |")
    for delay in args.delays:
        f = one_start(data_dir, clip, second, delay)
        print(f"| {delay:.1f} s | {f['ready']:.2f} s | {f['page']:.2f} s | **{f['first']:.2f} s** | {f['second']:.2f} s |",
              flush=True)


if __name__ == "__main__":
    main()
