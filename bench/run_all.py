"""Every MixesDB-scale benchmark in one command; one dated row per figure appended to bench/results.md.

    .venv/bin/python bench/run_all.py                 # full scale: 300k sets, 1.5M tracks, 4.7M plays
    .venv/bin/python bench/run_all.py --scale 0.1     # a quick run (minutes)

Generates the catalog from `--seed` into a temporary data folder (deleted afterwards unless
`--keep`; `--data-dir DIR` reuses a folder generated earlier by `bench/scale_catalog.py`), then
runs import, matrix, ALS, queries and dashboard in that order (ALS publishes the run the later
two serve), then any `bench/audio_*.py` (the cold-start pipeline: a module with
`run(ctx) -> list[Figure]` is called in-process, any other script runs as a subprocess and its
exit status is recorded). `--only matrix,als` picks benchmarks. Full scale takes tens of minutes
on 2 cores; the figures' ratios (ours ÷ raw library, measured side by side in the same run) hold
on a loaded machine better than the absolute times, so the load average is recorded too.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from scale_common import Figure, ScaleContext, append_results, context_for, print_table  # noqa: E402

BENCHMARKS = ("import", "matrix", "als", "queries", "dashboard")


def audio_benchmarks(ctx: ScaleContext) -> list[Figure]:
    """Figures of `bench/audio_*.py`: `run(ctx)` in-process when the module has it, else its exit status."""
    figures = []
    scripts = sorted(BENCH.glob("audio_*.py"))
    if not scripts:
        print("no bench/audio_*.py yet: nothing to run for the cold-start pipeline")
    for script in scripts:
        module = importlib.import_module(script.stem)
        if callable(getattr(module, "run", None)):
            figures += module.run(ctx)
            continue
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, capture_output=True, text=True)
        print(result.stdout, end="")
        figures.append(Figure(f"{script.name} (whole script; its own figures in its output)",
                              time.perf_counter() - start, "s", met=result.returncode == 0,
                              target="exit 0", note=f"exit {result.returncode}"))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = MixesDB size (%(default)s)")
    parser.add_argument("--seed", type=int, default=8, help="catalog seed (%(default)s)")
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse a generated data folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--only", default=",".join(BENCHMARKS) + ",audio",
                        help="comma-separated subset of: " + ", ".join(BENCHMARKS) + ", audio")
    parser.add_argument("--no-record", action="store_true", help="print the figures, do not touch results.md")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in (*BENCHMARKS, "audio")]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}, audio")

    from scale_catalog import generate, write_catalog

    temporary = args.data_dir is None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cratedigger-scale-"))
    failed = 0
    try:
        catalog = None
        if not (data_dir / "catalog.sqlite").exists():
            start = time.perf_counter()
            catalog = generate(args.scale, args.seed)
            data_dir.mkdir(parents=True, exist_ok=True)
            write_catalog(catalog, data_dir)
            print(f"catalog ready in {time.perf_counter() - start:.0f} s: {data_dir}", file=sys.stderr)
        ctx = context_for(data_dir, scale=args.scale, seed=args.seed)
        ctx.catalog = catalog
        for name in wanted:
            print(f"\n## {name}", flush=True)
            try:
                if name == "audio":
                    figures = audio_benchmarks(ctx)
                else:
                    figures = importlib.import_module(f"scale_{name}").run(ctx)
            except Exception:  # one broken benchmark must not lose the others' figures
                traceback.print_exc()
                figures = [Figure(f"{name} benchmark", 0.0, "s", met=False, note="failed: see the run's output")]
                failed += 1
            print_table(figures)
            if not args.no_record:
                append_results(figures, ctx)
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif temporary:
            print(f"kept {data_dir}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
