"""CLI verbs of the audio side: fetch-audio, analyze-audio, train-cnn, embed, cold-start, evaluate-audio.

Each is a thin wrapper over one library function; run folders live under
`settings.models_dir/<run-id>/` (cnn.keras, cnn_metadata.json, embeddings.npy,
embedding_track_ids.npy, embedding_tempo.npy, embedding_camelot.npy).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from config import user_path
from errors import ArtifactMissingError, BadInputError

log = logging.getLogger(__name__)

EVALUATION_EPOCHS = 30
FAILURES_SHOWN = 10  # fetch-audio names this many failed tracks and why


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fetch-audio", help="fill the audio cache from previews and the DJ's library folder",
        description="For every catalog track without audio: its 30-second preview (Spotify's preview URL, or "
        "Deezer's by ISRC), or a file of the DJ's library matched by tags and file name; then tempo, key and "
        "spectrogram of what was fetched. Prints the sources used, the failures and the coverage.")
    p.add_argument("--library", type=user_path, help="folder of the DJ's own tracks (default CRATEDIGGER_LIBRARY_DIR)")
    p.add_argument("--limit", type=int, help="at most this many tracks")
    p.add_argument("--no-analyze", action="store_true", help="do not compute tempo and key after fetching")
    p.set_defaults(handler=fetch_audio_command)

    p = subparsers.add_parser("analyze-audio", help="tempo, key and spectrogram of tracks that have audio")
    p.add_argument("--limit", type=int)
    p.add_argument("--again", action="store_true", help="also tracks already analysed")
    p.set_defaults(handler=analyze_audio_command)

    p = subparsers.add_parser("train-cnn", help="train the sound CNN (catalog styles, or a labelled folder)")
    p.add_argument("--labels", type=user_path, help="CSV with columns file,label (default: catalog tracks and set styles)")
    p.add_argument("--audio-dir", type=user_path, help="folder the CSV's files are in (default: the CSV's folder)")
    p.add_argument("--label-col", default="label")
    p.add_argument("--file-col", default="file")
    p.add_argument("--factors", type=user_path, help=".npz with track_ids and factors for the 2nd head "
                   "(default: the published recommender run's ALS item factors)")
    p.add_argument("--run-id", help="run folder name under the models folder (default audio-<time>)")
    p.add_argument("--epochs", type=int, default=30)
    p.set_defaults(handler=train_cnn_command)

    p = subparsers.add_parser("embed", help="embed every catalog track with audio using a trained CNN")
    p.add_argument("--run", type=user_path, help="run folder with cnn.keras (default: the newest)")
    p.add_argument("--limit", type=int)
    p.set_defaults(handler=embed_command)

    p = subparsers.add_parser("cold-start", help="catalog tracks that sound like an audio file")
    p.add_argument("file", type=user_path)
    p.add_argument("--run", type=user_path, help="run folder with cnn.keras and embeddings (default: the newest)")
    p.add_argument("-k", type=int, default=10, help="how many tracks (default %(default)s)")
    p.add_argument("--match-tempo", action="store_true", help="only tracks within ±--bpm-tolerance (half/double ok)")
    p.add_argument("--bpm-tolerance", type=float, default=0.06)
    p.add_argument("--match-key", action="store_true", help="only Camelot-compatible keys")
    p.add_argument("--json", action="store_true", help="print the analysis and the neighbours as JSON")
    p.set_defaults(handler=cold_start_command)

    p = subparsers.add_parser("evaluate-audio", help="grouped k-fold accuracy, macro-F1, precision@5 of the CNN")
    p.add_argument("--labels", type=user_path, required=True, help="CSV with columns file, label and a group column")
    p.add_argument("--audio-dir", type=user_path, help="where the files are (default: the CSV's folder)")
    p.add_argument("--group-col", help="the column naming each clip's track: clips of one track never straddle folds "
                   "(default track_id, or each clip alone when the file has none)")
    p.add_argument("--label-col", default="label", help="the style column (default %(default)s)")
    p.add_argument("--file-col", default="file", help="the file name column (default %(default)s)")
    p.add_argument("--folds", type=int, default=5, help="grouped folds (default %(default)s)")
    p.add_argument("--epochs", type=int, default=EVALUATION_EPOCHS,
                   help=f"epochs of the sound head per fold (default {EVALUATION_EPOCHS}; a few seconds a fold)")
    p.add_argument("--no-baseline", action="store_true", help="skip the MFCC + logistic-regression baseline")
    p.add_argument("--json", action="store_true", help="print accuracy, macro_f1, precision_at_5 … as JSON")
    p.set_defaults(handler=evaluate_audio_command)


def _connect(settings):
    """The catalog, which these verbs need to exist: a mistyped CRATEDIGGER_DATA_DIR must not get a new, empty one."""
    from catalog.db import connect_existing

    return connect_existing(settings.catalog_path)


def _named_run(run: Path | None) -> Path | None:
    """`--run` as given, which must be a folder: a mistyped path is the user's to fix, not a step to run."""
    if run is not None and not run.is_dir():
        raise BadInputError(f"--run {run}: no such run folder. Give a folder under the models folder, or leave "
                            "--run out to use the newest sound model.")
    return run


def _preview_sources(settings, conn, row) -> list[str]:
    """Preview URLs for a catalog track: Spotify's (from the lookup cache), then Deezer's by ISRC.

    Demo tracks have invented IDs and are never looked up anywhere.
    """
    from spotify.previews import preview_urls

    if row["is_demo"]:
        return []
    track = None
    if row["spotify_id"]:
        cached = conn.execute("SELECT body FROM spotify_lookups WHERE spotify_id = ?", (row["spotify_id"],)).fetchone()
        track = json.loads(cached["body"]) if cached else None
    return [candidate.url for candidate in preview_urls(settings, track=track, isrc=row["isrc"])]


def fetch_audio_command(args, settings) -> int:
    from tqdm import tqdm

    from audio.library import LibraryIndex
    from audio.sources import fetch_audio

    library_dir = args.library or settings.library_dir
    if library_dir is not None and not library_dir.is_dir():
        raise BadInputError(f"--library {library_dir}: no such folder.")
    # absolute, so the catalog's audio paths (which exports hand to DJ software) work from any folder
    library = LibraryIndex.scan(library_dir.resolve()) if library_dir else None
    conn = _connect(settings)
    sql = "SELECT * FROM tracks WHERE audio_path IS NULL ORDER BY id"
    rows = conn.execute(sql + (f" LIMIT {int(args.limit)}" if args.limit else "")).fetchall()
    by_source: dict[str, int] = {}
    fetched, failed = [], []
    for row in tqdm(rows, desc="fetching audio", unit="track", disable=None):  # bars on a terminal only
        # the DJ's own file first: it is the whole track, and the one exports point DJ software at (a downloaded
        # preview is 30 seconds of it, in the data folder)
        match = library.find(row["artist"], row["title"], row["version"]) if library is not None else None
        sources: list = ([match] if match is not None else []) + _preview_sources(settings, conn, row)
        if not sources:
            by_source["none"] = by_source.get("none", 0) + 1
            continue
        result = fetch_audio(row["id"], sources, settings.audio_dir, user_agent=settings.http_user_agent)
        by_source[result.source or "failed"] = by_source.get(result.source or "failed", 0) + 1
        if result.path is None:
            failed.append(f"{row['artist']} - {row['title']}: {'; '.join(result.failures) or 'no source worked'}")
        if result.path is not None:
            from catalog.store import update_track_audio

            update_track_audio(conn, row["id"], audio_path=str(result.path))
            fetched.append(row["id"])
    tried = len(rows)
    if library is not None:
        replaced = _replace_previews(conn, library, settings.audio_dir, failed)
        if replaced:
            by_source["library file instead of a preview"] = len(replaced)
            fetched += replaced
            tried += len(replaced)
    total = conn.execute("SELECT COUNT(*), COUNT(audio_path) FROM tracks").fetchone()
    print(f"fetched audio for {len(fetched)} of {tried} tracks tried "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(by_source.items())) or 'nothing to try'}).")
    for line in failed[:FAILURES_SHOWN]:
        print(f"  failed: {line}")
    if len(failed) > FAILURES_SHOWN:
        print(f"  … and {len(failed) - FAILURES_SHOWN} more (-v logs every one).")
    print(f"coverage: {total[1]} of {total[0]} catalog tracks have audio ({100 * total[1] / max(total[0], 1):.1f}%).")
    if library is None:
        print("tip: --library DIR (or CRATEDIGGER_LIBRARY_DIR) matches your own files to catalog tracks.")
    if fetched and not args.no_analyze:
        _analyze(conn, settings, fetched)
    return 0


def _replace_previews(conn, library, audio_dir: Path, failed: list[str]) -> list[int]:
    """Tracks whose audio is a file Cratedigger downloaded (a 30-second preview under `audio_dir`) and that the
    DJ's library has: their audio becomes the library file. Returns their ids; unreadable files go to `failed`."""
    from audio.decode import check_file
    from catalog.playlist_export import is_within
    from catalog.store import update_track_audio

    replaced = []
    rows = conn.execute("SELECT id, artist, title, version, audio_path FROM tracks WHERE audio_path IS NOT NULL "
                        "ORDER BY id").fetchall()
    for row in rows:
        if not is_within(Path(row["audio_path"]), audio_dir):
            continue
        match = library.find(row["artist"], row["title"], row["version"])
        if match is None:
            continue
        try:
            check_file(Path(match))
        except BadInputError as error:
            failed.append(f"{row['artist']} - {row['title']}: file: {error}")
            continue
        update_track_audio(conn, row["id"], audio_path=str(match))
        replaced.append(row["id"])
    return replaced


def _analyze(conn, settings, track_ids) -> int:
    from tqdm import tqdm

    from audio.analysis import analyze, store_analysis
    from audio.dataset import mel_for_file, model_input_for_file
    from audio.decode import decode_file

    done = 0
    for track_id in tqdm(track_ids, desc="tempo and key", unit="track", disable=None):
        path = conn.execute("SELECT audio_path FROM tracks WHERE id = ?", (track_id,)).fetchone()[0]
        try:
            decoded = decode_file(path)
        except BadInputError as error:
            log.warning("track %s: %s", track_id, error)
            continue
        mel = mel_for_file(Path(path), settings.cache_dir, decoded.y)
        model_input_for_file(Path(path), settings.cache_dir, decoded.y)  # cached for train-cnn and embed
        store_analysis(conn, track_id, analyze(decoded.y, mel=mel), duration_ms=int(decoded.duration * 1000))
        done += 1
    return done


def analyze_audio_command(args, settings) -> int:
    conn = _connect(settings)
    # Not yet analysed: no key confidence (a track with no clear beat keeps no tempo, but always gets a key).
    sql = "SELECT id FROM tracks WHERE audio_path IS NOT NULL" + ("" if args.again else " AND key_confidence IS NULL")
    ids = [r[0] for r in conn.execute(sql + (f" LIMIT {int(args.limit)}" if args.limit else ""))]
    done = _analyze(conn, settings, ids)
    print(f"analysed {done} of {len(ids)} tracks (tempo, key, spectrogram).")
    return 0


def train_cnn_command(args, settings) -> int:
    from audio.training import factor_rows, published_factor_rows, save_trained_cnn, train_cnn_on_catalog

    if args.labels:
        from audio.evaluate import load_clips, read_labels

        clips = load_clips(read_labels(args.labels, audio_dir=args.audio_dir, label_col=args.label_col,
                                       group_col=None, file_col=args.file_col), show_progress=True)
        run_dir, cnn = save_trained_cnn(settings, clips.inputs, clips.labels.tolist(), epochs=args.epochs,
                                        run_id=args.run_id, source=str(args.labels))
    else:
        def factors(ids):
            return factor_rows(args.factors, ids) if args.factors else published_factor_rows(settings, ids)

        run_dir, cnn = train_cnn_on_catalog(settings, epochs=args.epochs, run_id=args.run_id, factors=factors)
    regressing = f", regressing {cnn.n_factors} ALS factors" if cnn.n_factors else ""
    print(f"trained on {cnn.n_clips} clips, {len(cnn.classes)} styles{regressing}; final loss {cnn.history[-1]:.3f}")
    print(f"saved {run_dir}; next: python cli.py embed --run {run_dir}")
    return 0


def embed_command(args, settings) -> int:
    from audio.training import embed_catalog, newest_sound_run

    run_dir = _named_run(args.run) or newest_sound_run(settings)
    start = time.perf_counter()
    count = embed_catalog(settings, run_dir, limit=args.limit)
    print(f"embedded {count} tracks in {time.perf_counter() - start:.1f} s -> {run_dir}")
    return 0


def cold_start_command(args, settings) -> int:
    from audio.analysis import analyze
    from audio.coldstart import cold_start_neighbours, query_samples
    from audio.training import newest_sound_run

    try:
        run_dir = _named_run(args.run) or newest_sound_run(settings, need="embeddings.npy")
    except ArtifactMissingError:  # no sound model yet: tempo and key first, then what to run (exit 3)
        print(_analysis_line(args.file.name, analyze(query_samples(args.file))))
        raise
    ids, scores, analysis = cold_start_neighbours(args.file, run_dir, k=args.k, match_tempo=args.match_tempo,
                                                  match_key=args.match_key, bpm_tolerance=args.bpm_tolerance)
    names = {}
    if settings.catalog_path.is_file():
        from catalog.db import connect

        conn = connect(settings.catalog_path, readonly=True)
        for tid in ids.tolist():
            row = conn.execute("SELECT artist, title, tempo, camelot FROM tracks WHERE id = ?", (int(tid),)).fetchone()
            if row:
                names[int(tid)] = dict(row)
    results = [{"track_id": int(t), "score": round(float(s), 4), **names.get(int(t), {})} for t, s in zip(ids, scores, strict=True)]
    if args.json:
        print(json.dumps({"query": analysis.as_dict(), "results": results}, indent=2))
        return 0
    print(_analysis_line(args.file.name, analysis))
    if args.match_tempo and not analysis.bpm:
        print("  (no clear beat: --match-tempo filters nothing)")
    for r in results:
        label = f"{r.get('artist', '?')} - {r.get('title', '?')}" if names else f"track {r['track_id']}"
        extra = f"  {r['tempo']:.0f} BPM {r['camelot']}" if r.get("tempo") and r.get("camelot") else ""
        print(f"  {r['score']:.3f}  {label}{extra}")
    return 0


def _analysis_line(name: str, analysis) -> str:
    """'clip.wav: 124.0 BPM (tempo confidence 0.52), A minor / 8A (key confidence 0.61)'."""
    a = analysis.as_dict()
    tempo = (f"{analysis.bpm:.1f} BPM (tempo confidence {a['tempo_confidence']:.2f})" if analysis.bpm
             else f"no clear beat (best guess {a['tempo']:.0f} BPM)")
    return f"{name}: {tempo}, {a['key']} / {a['camelot']} (key confidence {a['key_confidence']:.2f})"


def evaluate_audio_command(args, settings) -> int:
    from audio.evaluate import evaluate_baseline, evaluate_cnn, grouped_folds, load_clips, read_labels
    from models.cnn import CnnConfig

    if args.folds < 2:  # before decoding every clip (grouped_folds checks the upper bound once groups are known)
        raise BadInputError(f"--folds {args.folds}: need at least 2.")
    rows = read_labels(args.labels, audio_dir=args.audio_dir, label_col=args.label_col,
                       group_col=args.group_col or "track_id", group_required=args.group_col is not None,
                       file_col=args.file_col)
    clips = load_clips(rows, show_progress=not args.json)
    fold_of = grouped_folds(clips.labels, clips.groups, args.folds)
    config = CnnConfig(epochs=args.epochs)
    start = time.perf_counter()

    def on_fold(k, fold):
        if not args.json:
            print(f"fold {k + 1}/{args.folds}: accuracy {fold['accuracy']:.3f}, macro-F1 {fold['macro_f1']:.3f}, "
                  f"precision@5 {fold['precision_at_5']:.3f} ({fold['n_test']} clips)", flush=True)

    result = evaluate_cnn(clips, fold_of, config=config, on_fold=on_fold)
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["n_clips"] = len(clips.mels)
    result["labels"] = dict(zip(*np.unique(clips.labels, return_counts=True), strict=True))
    result["labels"] = {k: int(v) for k, v in result["labels"].items()}
    if not args.no_baseline:
        result["baseline_logreg"] = evaluate_baseline(clips, fold_of)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"CNN ({args.folds} folds by {args.group_col or 'track_id'}, {len(clips.mels)} clips): accuracy {result['accuracy']:.3f}, "
          f"macro-F1 {result['macro_f1']:.3f}, precision@5 {result['precision_at_5']:.3f}")
    print(f"  with the BPM filter (±6%, half/double): precision@5 {result['precision_at_5_bpm_filter']:.3f}; "
          f"CNN + baseline ensemble: accuracy {result['ensemble_accuracy']:.3f}, "
          f"macro-F1 {result['ensemble_macro_f1']:.3f}")
    if "baseline_logreg" in result:
        b = result["baseline_logreg"]
        print(f"baseline (log-mel/MFCC stats + logistic regression): accuracy {b['accuracy']:.3f}, "
              f"macro-F1 {b['macro_f1']:.3f}, precision@5 {b['precision_at_5']:.3f}")
    return 0


def _parser_for_tests() -> argparse.ArgumentParser:
    """A parser with only the audio verbs (tests; `cli.py` builds the full one)."""
    parser = argparse.ArgumentParser(prog="cli.py")
    register(parser.add_subparsers(dest="verb", required=True))
    return parser
