"""Offline evaluation: every ranker on one held-out split, in one table.

For each test set its kept tracks are the query; the ranker's scores (seeds removed) give a
ranking; R-precision, NDCG@10 and HR@10 are averaged over test sets, catalogue coverage is the
share of tracks shown in any top 10. Next-track HR@10 asks, for a held-out track of an ordered
set, whether it is in the top 10 for the single track played just before it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from models.metrics import catalogue_coverage, hit_rate_at_k, ndcg_at_k, r_precision
from models.split import HoldoutSplit

log = logging.getLogger(__name__)

K = 10
DENSE_CELLS = 16_000_000  # scores held at once: queries per batch × tracks (64 MB of float32 per signal)


RETRAIN_QUERIES = 500  # test sets (and next-track pairs) `retrain` scores at most: its publish gate, in bounded time


def batch_size(n_tracks: int) -> int:
    return int(max(1, min(256, DENSE_CELLS // max(n_tracks, 1))))


def top_items(scores: np.ndarray, exclude: sp.csr_matrix, n: int) -> np.ndarray:
    """Column ids of the n best scores per row, best first, with `exclude`'s nonzeros removed."""
    negated = np.negative(scores, dtype=np.float32)  # one new array (at scale 266 MB a batch), ranked ascending
    coo = exclude.tocoo()
    negated[coo.row, coo.col] = np.inf
    n = min(n, negated.shape[1])
    part = np.argpartition(negated, n - 1, axis=1)[:, :n]
    order = np.take_along_axis(
        part, np.argsort(np.take_along_axis(negated, part, axis=1), axis=1, kind="stable"), 1
    )
    return order


@dataclass(frozen=True)
class Report:
    """Averaged metrics of one ranker."""

    name: str
    r_precision: float
    ndcg_at_10: float
    hr_at_10: float
    coverage: float
    next_hr_at_10: float | None
    seconds: float

    def to_dict(self) -> dict:
        return {
            "r_precision": round(self.r_precision, 5),
            "ndcg@10": round(self.ndcg_at_10, 5),
            "hr@10": round(self.hr_at_10, 5),
            "coverage": round(self.coverage, 5),
            "next_hr@10": None if self.next_hr_at_10 is None else round(self.next_hr_at_10, 5),
            "seconds": round(self.seconds, 2),
        }


def rankings(ranker, split: HoldoutSplit, rows: np.ndarray, queries: sp.csr_matrix, n: int,
             *, unit: str = "set") -> np.ndarray:
    """Top-n columns of `ranker` for each query, seeds removed, in batches (a progress bar on a terminal)."""
    out = []
    step = batch_size(queries.shape[1])
    with tqdm(total=len(rows), desc=f"scoring {ranker.name}", unit=unit,
              disable=None, leave=False, dynamic_ncols=True) as bar:
        for start in range(0, len(rows), step):
            batch = queries[start : start + step]
            out.append(top_items(ranker.scores(batch, rows[start : start + step]), batch, n))
            bar.update(batch.shape[0])
    return np.concatenate(out) if out else np.zeros((0, n), dtype=np.int64)


def evaluate_ranker(ranker, split: HoldoutSplit) -> Report:
    """Metrics of an already fitted ranker on `split`."""
    start = time.perf_counter()
    n_tracks = split.train.shape[1]
    queries = split.train.matrix[split.test_rows]
    depth = max([K, *(len(t) for t in split.truth)])
    ranked = rankings(ranker, split, split.test_rows, queries, depth)
    truths = [set(t.tolist()) for t in split.truth]
    r_prec = [r_precision(list(r), t) for r, t in zip(ranked, truths, strict=True)]
    ndcg = [ndcg_at_k(list(r), t, K) for r, t in zip(ranked, truths, strict=True)]
    hits = [hit_rate_at_k(list(r), t, K) for r, t in zip(ranked, truths, strict=True)]
    next_hr = None
    if len(split.next_pairs):
        previous, target = split.next_pairs[:, 0], split.next_pairs[:, 1]
        seeds = sp.csr_matrix(
            (np.ones(len(previous), np.float32), (np.arange(len(previous)), previous)),
            shape=(len(previous), n_tracks),
        )
        next_ranked = rankings(ranker, split, np.full(len(previous), -1), seeds, K, unit="pair")
        next_hr = float(np.mean([t in row for row, t in zip(next_ranked, target, strict=True)]))
    return Report(
        name=ranker.name,
        r_precision=float(np.mean(r_prec)) if r_prec else 0.0,
        ndcg_at_10=float(np.mean(ndcg)) if ndcg else 0.0,
        hr_at_10=float(np.mean(hits)) if hits else 0.0,
        coverage=catalogue_coverage((list(r) for r in ranked), n_tracks, K),
        next_hr_at_10=next_hr,
        seconds=time.perf_counter() - start,
    )


# -- the whole protocol -------------------------------------------------------------------------------
DEFAULT = "default"


def baseline_rankers(n_tracks: int) -> list:
    """Off-the-shelf models the default is compared with (EASE only where its dense matrix fits)."""
    from models.als import AlsParams
    from models.rankers import AlsRanker, EaseRanker, ImplicitKnnRanker, PopularityRanker, TransitionRanker

    rankers = [
        PopularityRanker(),
        ImplicitKnnRanker("bm25"),
        ImplicitKnnRanker("cosine"),
        AlsRanker(
            AlsParams(factors=100, regularization=0.01, iterations=15, weighting="binary"), "als_binary"
        ),
        AlsRanker(AlsParams(factors=256, regularization=0.01, iterations=15, weighting="bm25"), "als_bm25"),
        TransitionRanker(),
    ]
    if n_tracks <= EaseRanker.MAX_TRACKS:
        rankers.append(EaseRanker())
    return rankers


DJ_REPEAT_DAMPINGS = (0.0, 0.5)  # what `tune` tries when the data knows each set's DJ


def tuned_params(dataset, plays, params, *, seed: int, holdout: float, min_set: int, dampings=()):
    """`params` with blend weights tuned on a validation split of `plays` (never the test split).

    `dampings`: DJ-repeat damping exponents to choose from as well (when the data knows DJs).
    """
    from models.split import holdout_split
    from models.tuning import tune_weights

    validation = holdout_split(plays, holdout=holdout, min_set=min_set, seed=seed + 1)
    data = dataset.training(validation.train, validation.train_plays)
    if data.set_dj is None or not (data.set_dj >= 0).any():
        dampings = ()
    best = None
    for candidate in [replace(params, dj_repeat_damping=d) for d in dampings] or [params]:
        tuned, value = tune_weights(candidate, validation, data, seed=seed)
        if best is None or value > best[1] + 1e-9:
            best = (tuned, value)
    return best


def run_evaluation(
    dataset,
    *,
    holdout: float = 0.2,
    min_set: int = 10,
    seed: int = 0,
    params=None,
    tune: bool = True,
    baselines: bool = True,
    max_test_sets: int | None = None,
    on_tuned=None,
) -> dict:
    """The evaluation protocol on `dataset` (a `models.dataset.Dataset`): metrics of every model.

    Returns a JSON-ready dict: `protocol`, `counts`, `models` (name → metrics, `default` first)
    and `default` (the tuned parameters of the product's model). With `max_test_sets`, at most that
    many test sets and next-track pairs are scored, a seeded sample (`counts` gives both numbers):
    at MixesDB scale the split has 221k test sets at ~25 ms each. `on_tuned(params)` is called with
    the default model's parameters as soon as they are chosen (before it is fitted and scored).
    """
    from models.hybrid import HybridModel, HybridParams
    from models.split import assert_no_leak, holdout_split, sample_split

    params = params or HybridParams()
    split = holdout_split(dataset.plays, holdout=holdout, min_set=min_set, seed=seed)
    assert_no_leak(split)
    test_sets_in_split = len(split.test_rows)
    if max_test_sets is not None:
        split = sample_split(split, max_test_sets, seed=seed)
    data = dataset.training(split.train, split.train_plays)
    validation_objective = None
    rankers = baseline_rankers(split.train.shape[1]) if baselines else []
    with (
        logging_redirect_tqdm(),  # -v's log lines print above the bars instead of through them
        tqdm(total=1 + len(rankers), desc="evaluate", unit="model", disable=None, dynamic_ncols=True) as bar,
    ):
        if tune:
            bar.set_postfix_str("tuning the default's weights on a validation split")
            params, validation_objective = tuned_params(
                dataset, split.train_plays, params, seed=seed, holdout=holdout, min_set=min_set
            )
        if on_tuned is not None:
            on_tuned(params)
        results = {}
        for ranker in [HybridModel(params), *rankers]:
            bar.set_postfix_str(f"fitting {ranker.name}")
            start = time.perf_counter()
            ranker.fit(data)
            fit_seconds = time.perf_counter() - start
            results[ranker.name] = evaluate_ranker(ranker, split).to_dict() | {"fit_seconds": round(fit_seconds, 2)}
            log.info("%s: %s", ranker.name, results[ranker.name])
            bar.update()
    return {
        "protocol": {"holdout": holdout, "min_set": min_set, "seed": seed, "data": dataset.source},
        "counts": {
            "sets": int(split.train.shape[0]),
            "tracks_in_training": int(split.train.shape[1]),
            "plays": len(dataset.plays),
            "test_sets": len(split.test_rows),
            "test_sets_in_split": test_sets_in_split,
            "held_out_warm_tracks": int(sum(len(t) for t in split.truth)),
            "held_out_plays": len(split.held_out),
            "next_track_pairs": len(split.next_pairs),
        },
        "models": results,
        "default_vs": default_ratios(results),
        "default": {"parameters": params.to_dict(), "validation_objective": validation_objective},
    }


def default_ratios(models: dict) -> dict:
    """The default's R-precision and NDCG@10 as multiples of the best baseline's (by R-precision) and BM25-ALS's:
    `{"best_baseline": name, name: {"r_precision": x, "ndcg@10": y}, ...}` (None where a baseline scored 0);
    {} without the default or a baseline."""
    baselines = {name: m for name, m in models.items() if name != DEFAULT}
    if DEFAULT not in models or not baselines:
        return {}
    best = max(baselines, key=lambda name: baselines[name]["r_precision"])
    ratios: dict = {"best_baseline": best}
    for name in dict.fromkeys([best, *(["als_bm25"] if "als_bm25" in baselines else [])]):
        ratios[name] = {key: round(models[DEFAULT][key] / baselines[name][key], 4) if baselines[name][key] else None
                        for key in ("r_precision", "ndcg@10")}
    return ratios


def _ratio_lines(ratios: dict) -> list[str]:
    lines = []
    for name, values in ratios.items():
        if name == "best_baseline":
            continue
        cells = [f"{label} {values[key]:.2f}×" if values[key] is not None else f"{label} -"
                 for label, key in (("R-precision", "r_precision"), ("NDCG@10", "ndcg@10"))]
        best = " (best baseline)" if name == ratios["best_baseline"] else ""
        lines.append(f"default ÷ {name}{best}: {', '.join(cells)}")
    return lines


def format_table(report: dict) -> str:
    """The models of a `run_evaluation` report as an aligned text table."""
    columns = ("r_precision", "ndcg@10", "hr@10", "coverage", "next_hr@10")
    lines = [f"{'model':14s} " + " ".join(f"{c:>11s}" for c in columns)]
    for name, metrics in report["models"].items():
        cells = ["-" if metrics.get(c) is None else f"{metrics[c]:.4f}" for c in columns]
        lines.append(f"{name:14s} " + " ".join(f"{c:>11s}" for c in cells))
    lines.extend(_ratio_lines(default_ratios(report["models"])))
    counts = report["counts"]
    in_split = counts.get("test_sets_in_split", counts["test_sets"])
    sampled = f" (a seeded sample of {in_split})" if in_split > counts["test_sets"] else ""
    lines.append(
        f"({counts['test_sets']} test sets{sampled}, {counts['held_out_warm_tracks']} held-out tracks seen in training, "
        f"{counts['next_track_pairs']} next-track pairs; holdout {report['protocol']['holdout']}, "
        f"min set {report['protocol']['min_set']}, seed {report['protocol']['seed']})"
    )
    return "\n".join(lines)
