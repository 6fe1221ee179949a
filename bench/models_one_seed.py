"""One-track queries, as a DJ pastes them: the evaluation split, but each test set asks with one kept track.

    .venv/bin/python bench/models_one_seed.py FILE [--seeds 0 1 2]

FILE is a CSV in `evaluate --data` form. The split is the protocol's (`models.split.holdout_split`, 20 % of
every set with ≥ 10 tracks held out); the default model's weights are tuned as `evaluate` tunes them (on
multi-track queries); then every test set's query is one of its kept tracks, drawn at random (seeded), and
its held-out tracks are the truth. Its other kept tracks are left out of the ranking: they are known to
belong (the set is in the training data), so they count neither as hits nor as misses. Prints R-precision, NDCG@10 and HR@10 per model and seed, and the means.
The protocol's own figures (`bench/models_quality.py`) rank with all kept tracks: this asks what the dashboard's
main use, one pasted track, gets.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BASELINES = ("als_bm25", "als_binary", "bm25_knn", "ease")


def one_track_queries(split, seed: int) -> sp.csr_matrix:
    """One random kept track of every test set, as query rows [shape=(n_test, n_tracks)]."""
    rng = np.random.default_rng(seed)
    matrix = split.train.matrix
    columns = [rng.choice(matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]]) for r in split.test_rows]
    return sp.csr_matrix(
        (np.ones(len(columns), np.float32), (np.arange(len(columns)), columns)), shape=(len(columns), matrix.shape[1])
    )


def ranked_leaving_out(ranker, queries: sp.csr_matrix, kept: sp.csr_matrix, n: int, step: int, top_items
                       ) -> np.ndarray:
    """Top-n columns of `ranker` for each one-track query, each test set's kept tracks left out."""
    rows = np.full(queries.shape[0], -1)  # not training rows: every ranker folds the query in
    return np.concatenate([top_items(ranker.scores(queries[i : i + step], rows[i : i + step]), kept[i : i + step], n)
                           for i in range(0, queries.shape[0], step)])


def main() -> None:
    from models.dataset import dataset_from_csv
    from models.evaluation import K, baseline_rankers, batch_size, top_items, tuned_params
    from models.hybrid import HybridModel, HybridParams
    from models.metrics import hit_rate_at_k, ndcg_at_k, r_precision
    from models.split import holdout_split

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    dataset = dataset_from_csv(args.file)
    totals: dict[str, list[tuple[float, float, float]]] = {}
    for seed in args.seeds:
        split = holdout_split(dataset.plays, seed=seed)
        data = dataset.training(split.train, split.train_plays)
        params, _ = tuned_params(dataset, split.train_plays, HybridParams(), seed=seed, holdout=0.2, min_set=10)
        print(f"seed {seed}: queries of 1-{params.few_seeds} seeds blend {params.few_seed_weights}", flush=True)
        queries = one_track_queries(split, seed)
        truths = [set(t.tolist()) for t in split.truth]
        rankers = [HybridModel(params)] + [r for r in baseline_rankers(queries.shape[1]) if r.name in BASELINES]
        for ranker in rankers:
            ranker.fit(data)
            ranked = ranked_leaving_out(ranker, queries, split.train.matrix[split.test_rows], max(K, 50),
                                        batch_size(queries.shape[1]), top_items)
            figures = tuple(float(np.mean([metric(list(r), t) for r, t in zip(ranked, truths, strict=True)]))
                            for metric in (r_precision, lambda r, t: ndcg_at_k(r, t, K),
                                           lambda r, t: hit_rate_at_k(r, t, K)))
            totals.setdefault(ranker.name, []).append(figures)
            print(f"seed {seed} {ranker.name}: R-precision {figures[0]:.4f}, NDCG@10 {figures[1]:.4f}, "
                  f"HR@10 {figures[2]:.4f}", flush=True)
    print("\n| model | R-precision | NDCG@10 | HR@10 | HR@10 per seed |\n| --- | --- | --- | --- | --- |")
    for name, rows in totals.items():
        mean = np.mean(rows, axis=0)
        per_seed = " / ".join(f"{r[2]:.3f}" for r in rows)
        print(f"| {name} | {mean[0]:.4f} | {mean[1]:.4f} | {mean[2]:.4f} | {per_seed} |")


if __name__ == "__main__":
    main()
