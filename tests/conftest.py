"""Shared fixtures: a throw-away data folder and settings pointing at it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CRATEDIGGER_OFFLINE"] = "1"  # tests never probe outside services
os.environ.setdefault("SE_AVOID_STATS", "true")
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared; tests that need it skip cleanly when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is only on development machines)")
    return path


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty data folder selected through CRATEDIGGER_DATA_DIR."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("CRATEDIGGER_DATA_DIR", str(folder))
    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "SPOTIPY_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def settings(data_dir):
    from config import load_settings

    return load_settings(dotenv_path=data_dir / "no.env")


@pytest.fixture
def conn(settings):
    from catalog.db import connect

    connection = connect(settings.catalog_path)
    yield connection
    connection.close()


def build_data(folder: Path, *commands: list[str]) -> Path:
    """Run `cli.py` verbs (each a list of arguments) against the data folder `folder`; each must succeed."""
    from cli import main

    old = os.environ.get("CRATEDIGGER_DATA_DIR")
    os.environ["CRATEDIGGER_DATA_DIR"] = str(folder)
    try:
        for argv in commands:
            assert main(argv) == 0, f"cli.py {' '.join(argv)} failed"
    finally:
        if old is None:
            os.environ.pop("CRATEDIGGER_DATA_DIR", None)
        else:
            os.environ["CRATEDIGGER_DATA_DIR"] = old
    return folder


@pytest.fixture(scope="session")
def sound_data_dir(tmp_path_factory) -> Path:
    """A small demo crate with a published model and a small sound model (synthesised clips, 3 epochs)."""
    return build_data(
        tmp_path_factory.mktemp("sound-data"),
        ["demo", "--sets", "300"],
        ["train-als", "--publish", "--factors", "16", "--iterations", "5"],
        ["demo-audio", "--per-style", "5", "--seconds", "6", "--epochs", "3"],
    )
