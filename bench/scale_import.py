"""Import throughput: `catalog.importer.import_tracklists` vs raw `sqlite3.executemany` of the same rows.

Both write the same CSV (whole sets of the generated catalog, `--rows` play rows) into a fresh
catalog with the same schema: ours through the product's import path (parsing, validation, track
identity, one upsert per play), raw as `csv.reader` + three `executemany` calls (sets, tracks,
plays) in one transaction. Rows/s = play rows per second of wall time.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from scale_common import Figure, ScaleContext

DEFAULT_ROWS = 200_000


def raw_import(conn: sqlite3.Connection, csv_path: Path) -> int:
    """The same rows with the raw library: read the CSV, map ids, `executemany` into sets, tracks, plays."""
    from catalog.identity import search_text  # the stored search text, which the importer writes too

    sets: dict[str, int] = {}
    tracks: dict[str, int] = {}
    set_rows, track_rows, play_rows = [], [], []
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for set_key, position, artist, title, track_key, set_title, date, djs, styles, spotify_id in reader:
            set_id = sets.get(set_key)
            if set_id is None:
                set_id = sets[set_key] = len(sets) + 1
                set_rows.append((set_id, "import", set_key, set_title, date, json.dumps(djs.split("; ")),
                                 json.dumps(styles.split("; "))))
            track_id = tracks.get(track_key)
            if track_id is None:
                track_id = tracks[track_key] = len(tracks) + 1
                track_rows.append((track_id, f"id:{track_key}", artist, json.dumps([artist]), title,
                                   spotify_id or None, search_text(f"id:{track_key}", artist, [artist], title)))
            play_rows.append((set_id, int(position), track_id, f"{artist} - {title}"))
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO sets (id, source, source_key, title, date, djs, styles) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     set_rows)
    conn.executemany("INSERT INTO tracks (id, key, artist, artists, title, spotify_id, search) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     track_rows)
    conn.executemany("INSERT INTO plays (set_id, position, track_id, raw_line) VALUES (?, ?, ?, ?)", play_rows)
    conn.execute("COMMIT")
    return len(play_rows)


def run(ctx: ScaleContext, rows: int | None = None) -> list[Figure]:
    from scale_catalog import generate, write_import_csv

    from catalog.db import connect
    from catalog.importer import import_tracklists

    cat = ctx.catalog or generate(ctx.scale, ctx.seed)
    rows = rows or (20_000 if ctx.quick else DEFAULT_ROWS)
    with tempfile.TemporaryDirectory(prefix="cratedigger-import-") as folder:
        folder = Path(folder)
        csv_path = folder / "tracklists.csv"
        n_rows = write_import_csv(cat, csv_path, rows)
        conn = connect(folder / "ours.sqlite")
        start = time.perf_counter()
        report = import_tracklists(conn, csv_path)
        ours = time.perf_counter() - start
        conn.close()
        conn = connect(folder / "raw.sqlite")
        start = time.perf_counter()
        raw_rows = raw_import(conn, csv_path)
        raw = time.perf_counter() - start
        conn.close()
    if report.plays != n_rows or raw_rows != n_rows:
        raise RuntimeError(f"import wrote {report.plays} (ours) and {raw_rows} (raw) plays of {n_rows} rows")
    note = f"{n_rows:,} play rows, {report.sets:,} sets"
    return [Figure("import throughput", n_rows / ours, "rows/s", raw=n_rows / raw, note=note,
                   target="(ratio reported)")]


if __name__ == "__main__":
    import argparse

    from scale_common import context_for, print_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    print_table(run(context_for(args.data_dir, scale=args.scale, seed=args.seed), args.rows))
