"""Model runs on disk: `models_dir/<run-id>/` with `.npy` arrays and `metadata.json`, and `current`.

A run is written into a hidden staging folder and renamed into place only once complete, so a
run folder that exists is whole. `publish` points the `current` symlink at a run by creating a
new symlink and `os.replace`-ing it over the old one: a reader sees the old run or the new one,
never a mix. Arrays load with `allow_pickle=False`; nothing here unpickles.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from config import user_path
from errors import ArtifactMissingError, BadInputError, NotFoundError
from npyio import load_npy

METADATA = "metadata.json"
CURRENT = "current"
_RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


@dataclass(frozen=True)
class Run:
    """A complete run folder and its metadata."""

    path: Path
    metadata: dict

    @property
    def run_id(self) -> str:
        return self.path.name

    def array(self, name: str, *, mmap: bool = True) -> np.ndarray:
        """The array saved as `name`; memory-mapped read-only unless `mmap=False`."""
        file = self.path / f"{name}.npy"
        if not file.is_file():
            raise ArtifactMissingError(
                f"Run {self.run_id} has no {name}.npy: train a new run (python cli.py train-als)."
            )
        return load_npy(file, mmap=mmap)

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.npy").is_file()


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_run(
    models_dir: Path, arrays: dict[str, np.ndarray], metadata: dict, *, run_id: str | None = None
) -> Run:
    """Write a complete run folder (arrays + metadata) and return it; it is not published."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    staging = models_dir / f".staging-{run_id}"
    final = models_dir / run_id
    if final.exists():
        raise BadInputError(f"Run {run_id} already exists in {models_dir}.")
    staging.mkdir()
    try:
        for name, values in arrays.items():
            values = np.asarray(values)
            if values.dtype == object:
                raise TypeError(
                    f"array {name!r} has dtype object; save ids as numbers or fixed-width strings"
                )
            with open(staging / f"{name}.npy", "wb") as handle:
                np.save(handle, values, allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
        metadata = {**metadata, "run_id": run_id, "arrays": sorted(arrays)}
        with open(staging / METADATA, "w", encoding="utf-8") as handle:
            json.dump(metadata, handle, indent=2, sort_keys=True, default=_json_default)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_dir(staging)
        os.rename(staging, final)
        _fsync_dir(models_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Run(path=final, metadata=metadata)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def update_metadata(run: Run, **fields) -> Run:
    """Merge `fields` into the run's metadata.json (atomically replaced)."""
    metadata = {**run.metadata, **fields}
    tmp = run.path / f".{METADATA}.{secrets.token_hex(3)}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(metadata, handle, indent=2, sort_keys=True, default=_json_default)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, run.path / METADATA)
    return Run(path=run.path, metadata=metadata)


def load_run(path: Path) -> Run:
    """The run in folder `path`; `ArtifactMissingError` if it is not a complete run."""
    path = Path(path)
    meta_file = path / METADATA
    if not meta_file.is_file():
        raise ArtifactMissingError(f"{path} is not a model run (no {METADATA}).")
    with open(meta_file, encoding="utf-8") as handle:
        metadata = json.load(handle)
    return Run(path=path, metadata=metadata)


def find_run(models_dir: Path, run: str) -> Run:
    """A run given by id (or by a path to its folder)."""
    candidate = user_path(run)
    if not candidate.is_dir():
        candidate = Path(models_dir) / run
    if not _RUN_ID.match(candidate.name) or not candidate.is_dir():
        known = ", ".join(list_runs(models_dir)[-5:]) or "none yet"
        raise NotFoundError(f"No model run {run!r} in {models_dir} (latest runs: {known}).")
    return load_run(candidate)


def list_runs(models_dir: Path) -> list[str]:
    """Ids of the complete runs, oldest first."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir() if _RUN_ID.match(p.name) and (p / METADATA).is_file())


def publish(models_dir: Path, run: Run | str) -> Run:
    """Make `run` the current one: a new symlink `os.replace`d over `current` (atomic)."""
    models_dir = Path(models_dir)
    run = run if isinstance(run, Run) else find_run(models_dir, run)
    if run.path.parent.resolve() != models_dir.resolve():
        raise BadInputError(f"Run {run.path} is not inside {models_dir}; only runs there can be published.")
    if run.metadata.get("awaiting_evaluation"):
        raise ArtifactMissingError(
            f"Run {run.run_id} was never evaluated: the retrain that wrote it stopped before its evaluation "
            "finished. Run `python cli.py retrain` again."
        )
    for name in run.metadata.get("arrays", []):
        if not run.has(name):
            raise ArtifactMissingError(
                f"Run {run.run_id} is incomplete ({name}.npy is missing); not publishing it."
            )
    tmp = models_dir / f".current-{secrets.token_hex(4)}"
    os.symlink(run.run_id, tmp)
    os.replace(tmp, models_dir / CURRENT)
    _fsync_dir(models_dir)
    return run


def current_run_id(models_dir: Path) -> str | None:
    """The id `current` points at, or None when nothing is published."""
    try:
        return Path(os.readlink(Path(models_dir) / CURRENT)).name
    except (FileNotFoundError, OSError):
        return None


def current_run(models_dir: Path) -> Run:
    """The published run; `ArtifactMissingError` with what to do when there is none."""
    run_id = current_run_id(models_dir)
    if run_id is None:
        raise ArtifactMissingError(
            f"No model is published in {models_dir}: run `python cli.py train-als --publish` first."
        )
    return load_run(Path(models_dir) / run_id)
