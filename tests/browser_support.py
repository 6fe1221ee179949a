"""Real-browser test support: a headless Chromium driven by Selenium 4, and the app served on 127.0.0.1.

Never imported by product code. The browser is Debian's chromium + chromedriver; tests that need
it skip with a clear reason where they are missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMEDRIVER = os.environ.get("SE_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--window-size=1440,1000",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_browser(download_dir: Path | None = None):
    """A headless Chromium with console logging on; skips the test if chromium is missing."""
    if not Path(CHROMEDRIVER).exists() or not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        pytest.skip("chromium and chromium-driver are not installed (bash dev.sh test installs them as root)")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="cratedigger-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if download_dir is not None:
        options.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                                  "download.prompt_for_download": False})
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    quit_browser = driver.quit

    def quit_and_remove_profile() -> None:  # QA: 868 profile folders were left in /tmp
        try:
            quit_browser()
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    driver.quit = quit_and_remove_profile
    return driver


def drop_files(driver, element, paths) -> None:
    """Drag `paths` (files or folders on disk) from outside the browser and drop them on `element`, as a DJ does
    from a file manager (Chromium's DevTools `Input.dispatchDragEvent`: the page sees real files and folders)."""
    box = driver.execute_script("arguments[0].scrollIntoView({block: 'center'});"
                                "const r = arguments[0].getBoundingClientRect();"
                                "return [r.left + r.width / 2, r.top + r.height / 2];", element)
    data = {"items": [], "files": [str(path) for path in paths], "dragOperationsMask": 1}  # 1: copy
    for kind in ("dragEnter", "dragOver", "drop"):
        driver.execute_cdp_cmd("Input.dispatchDragEvent", {"type": kind, "x": box[0], "y": box[1], "data": data})


def console_errors(driver) -> list[str]:
    """Browser console entries at SEVERE level (errors) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


class ServedApp:
    """`python app.py` in a subprocess on a free loopback port, with its own data folder."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTIPY_")}  # no real credentials
        env.update({"CRATEDIGGER_DATA_DIR": str(data_dir), "CRATEDIGGER_PORT": str(self.port),
                    "CRATEDIGGER_HOST": "127.0.0.1", "CRATEDIGGER_OFFLINE": "1", **(extra_env or {})})
        self.log_path = data_dir / "app.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        self.ready_seconds = self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url, timeout=1).status_code == 200:
                    return time.monotonic() - start
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"app.py did not answer within {timeout} s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
