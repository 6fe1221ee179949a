"""Matrix build: `models.matrix.catalog_matrix` vs raw `SELECT set_id, track_id FROM plays` + `scipy.sparse.csr_matrix`.

Both read the generated catalog from a fresh read-only connection and end with a sets × tracks
CSR of play counts; the raw side maps ids with `np.unique` as any direct implementation must.
Target (issue 8): ≤ 30 s at full scale.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scale_common import Figure, ScaleContext

TARGET_SECONDS = 30.0


def raw_matrix(path: Path) -> sp.csr_matrix:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    table = np.array(conn.execute("SELECT set_id, track_id FROM plays").fetchall(), dtype=np.int64)
    conn.close()
    _, rows = np.unique(table[:, 0], return_inverse=True)
    _, cols = np.unique(table[:, 1], return_inverse=True)
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows.ravel(), cols.ravel())))
    matrix.sum_duplicates()
    return matrix


def ours_matrix(path: Path) -> sp.csr_matrix:
    from catalog.db import connect
    from models.matrix import catalog_matrix

    conn = connect(path, readonly=True)
    try:
        matrix, _plays = catalog_matrix(conn)
    finally:
        conn.close()
    return matrix.matrix


def run(ctx: ScaleContext) -> list[Figure]:
    start = time.perf_counter()
    ours = ours_matrix(ctx.catalog_path)
    ours_seconds = time.perf_counter() - start
    start = time.perf_counter()
    raw = raw_matrix(ctx.catalog_path)
    raw_seconds = time.perf_counter() - start
    if ours.shape != raw.shape or ours.nnz != raw.nnz:
        raise RuntimeError(f"matrices differ: ours {ours.shape}/{ours.nnz}, raw {raw.shape}/{raw.nnz}")
    note = f"{ours.shape[0]:,} × {ours.shape[1]:,}, {ours.nnz:,} non-zeros"
    return [Figure("matrix build from the catalog", ours_seconds, "s", raw=raw_seconds, note=note,
                   target=f"≤ {TARGET_SECONDS:.0f} s at full scale", met=ours_seconds <= TARGET_SECONDS)]


if __name__ == "__main__":
    import argparse

    from scale_common import context_for, print_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args()
    print_table(run(context_for(args.data_dir)))
