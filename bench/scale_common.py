"""What the MixesDB-scale benchmarks share: the context they run in, a figure, percentiles, results.md rows.

Each `bench/scale_*.py` benchmark has `run(ctx: ScaleContext) -> list[Figure]`; `bench/run_all.py`
builds the context (a generated catalog in a temporary data folder) and appends every figure as
one dated row to `bench/results.md`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).resolve().parent / "results.md"
HEADER = (
    "| date (UTC) | figure | ours | raw library | ours ÷ raw (time) | target | met | data | machine |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
)


@dataclass
class ScaleContext:
    """Where the generated catalog lives and how big it is."""

    data_dir: Path
    scale: float
    seed: int
    description: str  # '300,000 sets, 1,500,000 tracks, 4,7xx,xxx plays (scale 1, seed 8)'
    catalog: object = None  # bench.scale_catalog.ScaleCatalog, when generated in this process
    quick: bool = False  # fewer repetitions (for --scale < 1 smoke runs)
    extra: dict = field(default_factory=dict)  # what one benchmark leaves for the next (e.g. the run id)

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite"

    def settings(self):
        """`config.Settings` for the generated data folder (offline, no Spotify credentials)."""
        os.environ["CRATEDIGGER_DATA_DIR"] = str(self.data_dir)
        os.environ["CRATEDIGGER_OFFLINE"] = "1"
        from config import load_settings

        return load_settings()


@dataclass
class Figure:
    """One measured figure: ours next to the raw library doing the same work (ratio = ours / raw)."""

    name: str
    ours: float
    unit: str
    raw: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times longer ours takes than raw (> 1: ours is slower), for times and throughputs alike."""
        if self.raw in (None, 0) or self.ours == 0:
            return None
        return self.raw / self.ours if self.unit.endswith("/s") else self.ours / self.raw

    def cells(self) -> list[str]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}×"
        met = "" if self.met is None else ("yes" if self.met else "**no**")
        name = f"{self.name} ({self.note})" if self.note else self.name
        raw = "" if self.raw is None else _fmt(self.raw, self.unit)
        return [name, _fmt(self.ours, self.unit), raw, ratio, self.target, met]


def _fmt(value: float, unit: str) -> str:
    if unit in ("rows/s", "B", "count"):
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}" if unit not in ("count",) else text


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))]


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def machine() -> str:
    """'2 cores, 23.4 GiB, load 3.1' — cores, memory and the 1-minute load average right now."""
    import psutil

    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB, load {load:.1f}"


def append_results(figures: list[Figure], ctx: ScaleContext, *, path: Path = RESULTS) -> None:
    """One dated row per figure at the end of `path` (the header is written once)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    data = ctx.description
    host = machine()
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        path.write_text("# Benchmark results\n\nAppended by `bench/run_all.py`; one row per figure and run. "
                        "The ratio is ours ÷ raw library in time (for throughputs, raw ÷ ours), measured side by side in the same run: > 1 means ours is slower.\n\n" + HEADER,
                        encoding="utf-8")
    with path.open("a", encoding="utf-8") as handle:
        for figure in figures:
            handle.write("| " + " | ".join([stamp, *figure.cells(), data, host]) + " |\n")


def print_table(figures: list[Figure]) -> None:
    print("| figure | ours | raw library | ours ÷ raw (time) | target | met |\n| --- | --- | --- | --- | --- | --- |")
    for figure in figures:
        print("| " + " | ".join(figure.cells()) + " |", flush=True)


def context_for(data_dir: Path, *, scale: float = 1.0, seed: int = 8) -> ScaleContext:
    """A context for an already generated data folder (standalone runs of one benchmark)."""
    import sqlite3

    conn = sqlite3.connect(Path(data_dir) / "catalog.sqlite")
    sets, tracks, plays = conn.execute(
        "SELECT (SELECT COUNT(*) FROM sets), (SELECT COUNT(*) FROM tracks), (SELECT COUNT(*) FROM plays)"
    ).fetchone()
    conn.close()
    description = f"{sets:,} sets, {tracks:,} tracks, {plays:,} plays (scale {scale:g}, seed {seed})"
    return ScaleContext(Path(data_dir), scale, seed, description, quick=scale < 1)
