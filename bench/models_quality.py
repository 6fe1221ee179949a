"""Quality of every model under the evaluation protocol, over several split seeds.

    .venv/bin/python bench/models_quality.py FILE [--seeds 0 1 2]

FILE is a CSV in `evaluate --data` form (set_id, track_id[, position, artist, title]). For the real
MixesDB sets of `../shared/fixtures/sets/` (not committed), build one with `--from-fixture OUT.csv`
first. Prints one markdown row per model: mean over seeds, and each seed's R-precision.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURE = ROOT.parent / "shared" / "fixtures" / "sets"


def fixture_to_csv(out: Path) -> int:
    """input + heldout fixture files → one CSV, set_title as set id and spotify_id as track id."""
    rows = 0
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["set_id", "track_id", "artist", "title"])
        for part in ("input", "heldout"):
            with open(
                FIXTURE / f"mixesdb-spotify-sets-{part}.csv", encoding="utf-8-sig", newline=""
            ) as source:
                for row in csv.DictReader(source):
                    if row["set_title"] and row["spotify_id"]:
                        writer.writerow([row["set_title"], row["spotify_id"], row["artist"], row["song"]])
                        rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="CSV in evaluate --data form")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--from-fixture", metavar="OUT", help="write the fixture sets as a CSV and exit")
    args = parser.parse_args()
    if args.from_fixture:
        print(f"{fixture_to_csv(Path(args.from_fixture))} rows written to {args.from_fixture}")
        return
    if not args.file:
        parser.error("give a CSV file (or --from-fixture OUT.csv to make one)")

    from models.dataset import dataset_from_csv
    from models.evaluation import run_evaluation

    dataset = dataset_from_csv(args.file)
    reports = [run_evaluation(dataset, seed=seed) for seed in args.seeds]
    columns = ("r_precision", "ndcg@10", "hr@10", "coverage", "next_hr@10")
    print(f"| model | {' | '.join(columns)} | R-precision per seed ({', '.join(map(str, args.seeds))}) |")
    print("| --- " * (len(columns) + 2) + "|")
    for name in reports[0]["models"]:
        cells = []
        for column in columns:
            values = [r["models"][name][column] for r in reports]
            cells.append("-" if None in values else f"{np.mean(values):.4f}")
        per_seed = " / ".join(f"{r['models'][name]['r_precision']:.3f}" for r in reports)
        print(f"| {name} | {' | '.join(cells)} | {per_seed} |")
    counts = reports[0]["counts"]
    print(
        f"\n{counts['sets']} sets, {counts['plays']} plays; per seed about {counts['test_sets']} test sets and "
        f"{counts['held_out_warm_tracks']} held-out tracks seen in training."
    )
    for seed, report in zip(args.seeds, reports, strict=True):
        chosen = report["default"]["parameters"]
        print(f"seed {seed}: tuned weights {chosen['weights']}; up to {chosen['few_seeds']} seeds: "
              f"{chosen['few_seed_weights']}")


if __name__ == "__main__":
    main()
