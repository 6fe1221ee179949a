"""Model verbs of `python cli.py`: train-als, publish, recommend (evaluate, tune, retrain: see models.evaluation)."""

from __future__ import annotations

import argparse
import json
import sys


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    return value


def register(subparsers) -> None:
    from models.als import AlsParams
    from models.weighting import WEIGHTINGS

    defaults = AlsParams()
    train = subparsers.add_parser(
        "train-als",
        help="train ALS on the catalog's set × track matrix into a new run folder",
        description="Build the set × track matrix from the catalog, train implicit ALS on it and write "
        "a new run folder under the data folder's models/ (factors, id maps, metadata.json).",
    )
    train.add_argument(
        "--factors", type=_positive_int, default=defaults.factors, help="latent factors (%(default)s)"
    )
    train.add_argument(
        "--iterations", type=_positive_int, default=defaults.iterations, help="ALS sweeps (%(default)s)"
    )
    train.add_argument(
        "--regularization",
        type=_positive_float,
        default=defaults.regularization,
        help="L2 regularisation (%(default)s)",
    )
    train.add_argument(
        "--alpha",
        type=_positive_float,
        default=defaults.alpha,
        help="confidence scale of the weighted plays (%(default)s)",
    )
    train.add_argument(
        "--weighting",
        choices=WEIGHTINGS,
        default=defaults.weighting,
        help="how plays are weighted before training (%(default)s)",
    )
    train.add_argument("--seed", type=int, default=defaults.random_state, help="random seed (%(default)s)")
    train.add_argument("--publish", action="store_true", help="make the new run current when it is written")
    train.add_argument("--if-missing", action="store_true", help="do nothing when a run is already published")
    train.set_defaults(handler=run_train_als)

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
        description="QUERY is a Spotify track ID, spotify:track: URI, open.spotify.com link, or 'artist - title'.",
    )
    recommend.add_argument("query", metavar="QUERY", help="the track to start from")
    recommend.add_argument("--n", type=_positive_int, default=20, help="how many tracks (%(default)s)")
    recommend.add_argument("--one-per-artist", action="store_true", help="keep only each artist's best track")
    recommend.add_argument("--json", action="store_true", help="print JSON instead of a table")
    recommend.set_defaults(handler=run_recommend)


def run_train_als(args, settings) -> int:
    from models.als import AlsParams
    from models.artifacts import current_run_id, publish
    from models.pipeline import train_als_run

    if args.if_missing and current_run_id(settings.models_dir):
        print(f"A model is already published ({current_run_id(settings.models_dir)}); not retraining.")
        return 0
    params = AlsParams(
        factors=args.factors,
        iterations=args.iterations,
        regularization=args.regularization,
        alpha=args.alpha,
        weighting=args.weighting,
        random_state=args.seed,
    )
    run = train_als_run(settings, params, show_progress=sys.stderr.isatty())
    counts = run.metadata["counts"]
    print(f"Trained run {run.run_id}: {counts['sets']} sets × {counts['tracks']} tracks in {run.path}")
    if args.publish:
        publish(settings.models_dir, run)
        print(f"Published {run.run_id} as the current model.")
    return 0


def run_publish(args, settings) -> int:
    from models.artifacts import publish

    run = publish(settings.models_dir, args.run)
    print(f"Published {run.run_id} as the current model.")
    return 0


def run_recommend(args, settings) -> int:
    from catalog.db import connect
    from catalog.queries import resolve_query
    from errors import NotFoundError
    from models.recommender import Recommender
    from spotify.ids import parse_query

    query = parse_query(args.query)  # malformed input fails before anything is loaded
    if not settings.catalog_path.is_file():
        raise NotFoundError(
            f"No catalog at {settings.catalog_path}: import tracklists or run `python cli.py demo`."
        )
    conn = connect(settings.catalog_path, readonly=True)
    try:
        row = resolve_query(conn, query)
    finally:
        conn.close()
    resolved = {
        "text": query.text,
        "kind": query.kind,
        "track_id": row["id"],
        "artist": row["artist"],
        "title": row["title"],
        "spotify_id": row["spotify_id"],
    }
    recommender = Recommender.from_current(settings)
    name = f"{row['artist']} - {row['title']}"
    if not recommender.knows(row["id"]):
        raise NotFoundError(
            f"{name} is in the catalog but not in model run {recommender.run_id}: "
            "retrain (python cli.py train-als --publish)."
        )
    results = recommender.similar([row["id"]], n=args.n, one_per_artist=args.one_per_artist)
    if args.json:
        payload = {
            "query": resolved,
            "run": recommender.run_id,
            "results": [r.to_dict() for r in results],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(f"Tracks DJs play with {name} (model {recommender.run_id}):")
    for rank, result in enumerate(results, 1):
        together = f"played together in {result.shared_sets} set{'s' if result.shared_sets != 1 else ''}"
        print(f"{rank:3d}. {result.artist} - {result.title}  [{result.score:.3f}; {together}]")
    if not results:
        print("No other track to recommend.")
    return 0
