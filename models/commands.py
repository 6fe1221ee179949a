"""Model verbs of `python cli.py`: train-als, publish, recommend (evaluate, tune, retrain: see models.evaluation)."""

from __future__ import annotations

import argparse
import functools
import json
import sys

from config import user_path
from errors import quoted


def _whole_number(text: str, least: int, too_small: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{quoted(text)} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{value} must be {too_small}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1, "at least 1")


def _seed(text: str) -> int:
    """A random seed: numpy takes whole numbers from 0 up (a negative one ended in exit 1, 'a bug')."""
    return _whole_number(text, 0, "0 or more")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{quoted(text)} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    if value == float("inf"):  # ALS with an infinite alpha fitted NaN factors: exit 1, 'a bug'
        raise argparse.ArgumentTypeError(f"{text} must be a finite number")
    return value


def _add_data_options(parser, *, holdout: bool = True) -> None:
    parser.add_argument(
        "--data",
        metavar="FILE",
        type=user_path,
        help="evaluate a CSV (set_id, track_id[, position, artist, title]) instead of the catalog",
    )
    if holdout:
        parser.add_argument(
            "--holdout", type=_fraction, default=0.2, help="share of each test set held out (%(default)s)"
        )
        parser.add_argument(
            "--min-set",
            type=_positive_int,
            default=10,
            help="sets with at least this many tracks are tested (%(default)s)",
        )
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the random split (%(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if not value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be between 0 and 1")
    return value


def _reusing_memory(handler):
    """`handler` for a verb that trains or evaluates: its large score arrays reuse freed memory
    (`models.memory`; offline processes only)."""

    @functools.wraps(handler)
    def run(args, settings) -> int:
        from models.memory import reuse_freed_memory

        reuse_freed_memory()
        return handler(args, settings)

    return run


def register(subparsers) -> None:
    from models.weighting import WEIGHTINGS

    train = subparsers.add_parser(
        "train-als",
        help="train the model (ALS and the default hybrid) on the catalog into a new run folder",
        description="Build the set × track matrix from the catalog, train implicit ALS (and, with the default "
        "engine, the hybrid around it) and write a new run folder under the data folder's models/ "
        "(factors, id maps, metadata.json with parameters, input fingerprint and counts).",
    )
    train.add_argument(
        "--engine",
        choices=("default", "als"),
        default="default",
        help="default: the hybrid (set neighbours, ALS, artists, transitions); als: ALS alone (%(default)s)",
    )
    train.add_argument("--factors", type=_positive_int, help="ALS latent factors")
    train.add_argument("--iterations", type=_positive_int, help="ALS sweeps")
    train.add_argument("--regularization", type=_positive_float, help="ALS L2 regularisation")
    train.add_argument("--alpha", type=_positive_float, help="ALS confidence scale of the weighted plays")
    train.add_argument("--weighting", choices=WEIGHTINGS, help="how plays are weighted before ALS")
    train.add_argument("--seed", type=_seed, help="ALS random seed")
    train.add_argument("--min-sets", type=_positive_int,
                       help="fit ALS only on tracks played in at least this many sets (others get no ALS score)")
    train.add_argument("--publish", action="store_true", help="make the new run current when it is written")
    train.add_argument("--if-missing", action="store_true", help="do nothing when a run is already published")
    train.set_defaults(handler=_reusing_memory(run_train_als))

    publish = subparsers.add_parser(
        "publish",
        help="make a trained run the current model (atomic)",
        description="Point data/models/current at RUN atomically; the dashboard picks it up without a restart.",
    )
    publish.add_argument("run", metavar="RUN", help="run id (a folder name under models/) or path")
    publish.set_defaults(handler=run_publish)

    recommend = subparsers.add_parser(
        "recommend",
        help="tracks that DJs play with a given track",
        description="QUERY is a Spotify track ID, spotify:track: URI, open.spotify.com track or playlist link, or "
        "'artist - title'. Several queries (several arguments, or one per line; Spotify links also separated by "
        "commas or spaces) are dug from together, as in the dashboard; one not in the catalog is left out with a "
        "note on stderr. A track no DJ set in the model plays is answered from sound when it has been analysed.",
    )
    recommend.add_argument("queries", nargs="+", metavar="QUERY", help="the track(s) to start from")
    recommend.add_argument("--n", type=_positive_int, default=20, help="how many tracks (%(default)s)")
    recommend.add_argument("--one-per-artist", action="store_true", help="keep only each artist's best track")
    recommend.add_argument("--exclude-playlist", metavar="LINK",
                           help="leave out the tracks of this Spotify playlist (the one you are filling)")
    recommend.add_argument("--json", action="store_true", help="print JSON instead of a table")
    recommend.set_defaults(handler=run_recommend)

    evaluate = subparsers.add_parser(
        "evaluate",
        help="hold out tracks of real sets and measure every model on finding them",
        description="For every set with at least --min-set tracks, hold out --holdout of its tracks at random; train "
        "on the rest plus all other sets; rank for each test set with its kept tracks as the query. Reports "
        "R-precision, NDCG@10, HR@10, catalogue coverage and next-track HR@10 for the default model and each "
        "baseline. Without --data the catalog is evaluated and the metrics go into the current run's metadata.",
    )
    _add_data_options(evaluate)
    evaluate.set_defaults(handler=_reusing_memory(run_evaluate))

    tune = subparsers.add_parser(
        "tune",
        help="choose the default model's blend weights on a validation split and record them",
        description="Tune the hybrid's weights on a validation split (the evaluation protocol with its own seed); "
        "the choice goes to models/tuned.json and is used by train-als and retrain.",
    )
    _add_data_options(tune)
    tune.set_defaults(handler=_reusing_memory(run_tune))

    retrain = subparsers.add_parser(
        "retrain",
        help="matrix → tune and evaluate → train → publish if at least as good as the current run",
        description="Rebuild the model from the catalog end to end. The new run is published only if its "
        "R-precision is at least the current run's (or with --force).",
    )
    retrain.add_argument("--force", action="store_true", help="publish even if the new run evaluates worse")
    retrain.add_argument("--seed", type=_seed, default=0, help="seed of the evaluation split (%(default)s)")
    retrain.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    retrain.set_defaults(handler=_reusing_memory(run_retrain))


def run_train_als(args, settings) -> int:
    from models.als import AlsParams
    from models.artifacts import current_run_id, publish
    from models.pipeline import train_run, tuned_hybrid_params

    if args.if_missing and current_run_id(settings.models_dir):
        print(f"A model is already published ({current_run_id(settings.models_dir)}); not retraining.")
        return 0
    base = tuned_hybrid_params(settings.models_dir).als if args.engine == "default" else AlsParams()
    given = {
        "factors": args.factors,
        "iterations": args.iterations,
        "regularization": args.regularization,
        "alpha": args.alpha,
        "weighting": args.weighting,
        "random_state": args.seed,
        "min_sets": args.min_sets,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    # the default engine with no ALS option given keeps the tuned settings, sized for the catalog
    als = None if args.engine == "default" and not overrides else AlsParams(**{**base.to_dict(), **overrides})
    # options other than the size (--min-sets, --alpha, …) keep the cap on large catalogs (`sized_for`)
    sized = args.factors is None and args.iterations is None
    run = train_run(settings, engine=args.engine, als=als, show_progress=sys.stderr.isatty(), sized=sized)
    counts = run.metadata["counts"]
    print(f"Trained run {run.run_id}: {counts['sets']} sets × {counts['tracks']} tracks in {run.path}")
    if args.publish:
        publish(settings.models_dir, run)
        print(f"Published {run.run_id} as the current model.")
    return 0


def _dataset(args, settings):
    from models.dataset import dataset_from_csv
    from models.pipeline import load_catalog_dataset

    return dataset_from_csv(args.data) if args.data else load_catalog_dataset(settings)


def _require_test_sets(dataset, min_set: int) -> None:
    """Stop with one sentence when no set is long enough to be tested: the protocol would score nothing, print a
    table of zeros as if every model had failed, and (for `evaluate`) record those zeros in the current run,
    where `retrain` reads them as the quality to beat."""
    import numpy as np

    from errors import BadInputError

    plays = dataset.plays
    if len(plays):
        set_of = np.unique(plays.set_keys, return_inverse=True)[1].ravel().astype(np.int64)
        track_of = np.unique(plays.track_keys, return_inverse=True)[1].ravel().astype(np.int64)
        distinct = np.unique(set_of * (int(track_of.max()) + 1) + track_of) // (int(track_of.max()) + 1)
        longest = int(np.bincount(distinct).max())
    else:
        longest = 0
    if longest < max(min_set, 2):
        smaller = f"Give a smaller --min-set (2 to {longest}), or import" if longest >= 2 else "Import"  # 1: none helps
        raise BadInputError(
            f"No set has at least {min_set} tracks to hold some out (the longest has {longest}): nothing to "
            f"evaluate. {smaller} longer sets."
        )


def _starting_params(args, settings):
    """What tuning starts from: the parameters `tune` recorded for the catalog, or, for an external
    CSV (`--data`), the shipped defaults: the catalog's choices say nothing about other data."""
    from models.hybrid import HybridParams
    from models.pipeline import tuned_hybrid_params

    return HybridParams() if args.data else tuned_hybrid_params(settings.models_dir)


def run_evaluate(args, settings) -> int:
    from models.artifacts import current_run, current_run_id, update_metadata
    from models.evaluation import format_table, run_evaluation

    dataset = _dataset(args, settings)
    _require_test_sets(dataset, args.min_set)
    report = run_evaluation(
        dataset,
        holdout=args.holdout,
        min_set=args.min_set,
        seed=args.seed,
        params=_starting_params(args, settings),
    )
    if not args.data and report["counts"]["test_sets"] and current_run_id(settings.models_dir):
        run = current_run(settings.models_dir)
        if run.metadata.get("input", {}).get("fingerprint") == dataset.plays.fingerprint():
            update_metadata(
                run, metrics=report["models"], evaluation={k: report[k] for k in ("protocol", "counts")}
            )
            report["recorded_in"] = run.run_id
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def run_tune(args, settings) -> int:
    from models.evaluation import DJ_REPEAT_DAMPINGS, tuned_params
    from models.pipeline import record_tuned

    dataset = _dataset(args, settings)
    _require_test_sets(dataset, args.min_set)
    params, objective = tuned_params(
        dataset,
        dataset.plays,
        _starting_params(args, settings),
        seed=args.seed,
        holdout=args.holdout,
        min_set=args.min_set,
        dampings=DJ_REPEAT_DAMPINGS,
    )
    details = {"validation_objective": objective, "data": dataset.source, "seed": args.seed}
    if not args.data:
        details["recorded_in"] = str(record_tuned(settings.models_dir, params, details))
    payload = {"parameters": params.to_dict(), **details}
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        weights = ", ".join(f"{k} {v:g}" for k, v in params.weights.items())
        few = ", ".join(f"{k} {v:g}" for k, v in params.few_seed_weights.items())
        where = f"; recorded in {details['recorded_in']}" if "recorded_in" in details else ""
        size = "one seed (a pasted track)" if params.few_seeds == 1 else f"1-{params.few_seeds} seeds (a pasted track or a few)"
        few_line = (f"Queries of {size}: {few}" if params.few_seeds
                    else "Queries of any size use the weights above (other weights for fewer seeds did no better).")
        print(
            f"Tuned weights: {weights}; DJ-repeat damping {params.dj_repeat_damping:g} "
            f"(validation R-precision + NDCG@10 = {objective:.4f}){where}\n{few_line}"
        )
    return 0


def run_retrain(args, settings) -> int:
    from models.evaluation import format_table
    from models.pipeline import QUALITY_METRIC, current_quality, retrain

    before = current_quality(settings.models_dir)
    run, published, report = retrain(settings, force=args.force, seed=args.seed)
    if args.json:
        print(json.dumps({"run": run.run_id, "published": published, **report}, indent=2))
        return 0
    print(format_table(report))
    new = report["models"]["default"][QUALITY_METRIC]
    verdict = (
        "published as the current model"
        if published
        else f"not published: its R-precision {new:.4f} is below the current run's {before:.4f} (use --force to "
        "publish it anyway)"
    )
    print(f"Run {run.run_id}: {verdict}.")
    return 0


def run_publish(args, settings) -> int:
    from models.artifacts import publish

    run = publish(settings.models_dir, args.run)
    print(f"Published {run.run_id} as the current model.")
    return 0


def run_recommend(args, settings) -> int:
    from catalog.seeds import split_queries
    from errors import BadInputError
    from spotify.ids import parse_query

    parts = [part for text in args.queries for part in split_queries(text)]
    unreadable = []
    for part in parts:  # input that is all malformed fails before anything is loaded
        try:
            parse_query(part, allow=("track", "playlist"))
        except BadInputError as error:
            unreadable.append(error)
    if unreadable and len(unreadable) == len(parts):
        raise unreadable[0]
    if args.exclude_playlist:
        from spotify.ids import parse_spotify_ref

        parse_spotify_ref(args.exclude_playlist, allow=("playlist",))
    answer = _recommendations(settings, parts, n=args.n, one_per_artist=args.one_per_artist,
                              exclude_playlist=args.exclude_playlist)
    for missing in answer["not_found"]:  # parts naming no track, and parts not read (`?`) among several
        what = "not read" if missing.get("unreadable") else "not found"
        print(f"{what}, left out: {quoted(missing['text'])}: {missing['reason']}", file=sys.stderr)
    for note in answer["notes"]:  # a track used for a query that named none exactly
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    _print_recommendations(answer)
    return 0


def _recommendations(settings, parts: list[str], *, n: int, one_per_artist: bool,
                     exclude_playlist: str | None = None) -> dict:
    """The CLI's answer as JSON: the dashboard's seeds, engine choice and result cards (`ui.service.dig`);
    the tracks of `exclude_playlist` (a Spotify playlist link) left out."""
    from catalog.db import connect_existing
    from catalog.queries import track_label, tracks_by_spotify_ids
    from catalog.seeds import resolve_seeds
    from models.recommender import Recommender
    from ui.ranking import normalised
    from ui.service import dig, styles_for, track_card
    from ui.sound import SoundIndexLoader

    conn = connect_existing(settings.catalog_path, readonly=True)
    try:
        seeds = resolve_seeds(conn, settings, parts)
        exclude = []
        if exclude_playlist:
            from spotify.export import destination_track_ids
            from spotify.oauth import cli_cache, user_client

            ids = destination_track_ids(settings, exclude_playlist, user_client(settings, cli_cache(settings)))
            exclude = [row["id"] for row in tracks_by_spotify_ids(conn, ids)]
            seeds.notes.append(f"{len(exclude)} of the playlist's {len(ids)} tracks are in the catalog: left out.")
        recommender = Recommender.from_current(settings)
        cards, source = dig(conn, seeds.ids, recommender, SoundIndexLoader(settings), n=n, blend_sound=False,
                            one_per_artist=one_per_artist, exclude=[*exclude, *seeds.beyond])
        styles = styles_for(conn, seeds.ids, recommender)
    finally:
        conn.close()
    # DJ sets: the model's score scaled so the best is 1; sound: the cosine itself (neighbours' ratios all ~1)
    matches = normalised([c["score"] for c in cards]) if source == "DJ sets" else [c["sound_score"] for c in cards]
    results = [{**_fields(card), "match": round(m, 4)} for card, m in zip(cards, matches, strict=True)]
    tracks = [{**_fields(track_card(row, styles.get(row["id"], []))), "name": track_label(row)} for row in seeds.rows]
    return {"query": tracks[0], "seeds": tracks, "run": recommender.run_id, "source": source,
            "not_found": [{"text": text, "reason": reason, **({"unreadable": True} if text in seeds.unreadable else {})}
                          for text, reason in seeds.missing],
            "notes": seeds.notes, "results": results}


def _fields(card: dict) -> dict:
    """A dashboard card (`ui.service.track_card`, with BPM, key, Camelot, version and its evidence: up to three
    example sets with title, date and link) without local paths."""
    return {k: v for k, v in card.items() if k != "audio_path"}


def _print_recommendations(answer: dict) -> None:
    """Text form: a heading naming the seeds, then one line per track with its match (DJ sets: best = 1.000;
    sound: cosine similarity)."""
    from catalog.queries import track_label

    names = ", ".join(seed["name"] for seed in answer["seeds"][:3]) + (" …" if len(answer["seeds"]) > 3 else "")
    if answer["source"] == "DJ sets":
        print(f"Tracks DJs play with {names} (model {answer['run']}):")
    else:
        print(f"Tracks that sound like {names} (no DJ set in model {answer['run']} plays it):")
    for rank, track in enumerate(answer["results"], 1):
        facts = [f"match {track['match']:.3f}", track.get("evidence"),
                 f"{track['bpm']:.0f} BPM" if track.get("bpm") else None, track.get("camelot")]
        print(f"{rank:3d}. {track_label(track)}  [{'; '.join(f for f in facts if f)}]")
    if not answer["results"]:
        print("No other track to recommend.")
