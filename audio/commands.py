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

from errors import ArtifactMissingError, BadInputError

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser("fetch-audio", help="fill the audio cache from previews and the DJ's library folder")
    p.add_argument("--library", type=Path, help="folder of the DJ's own tracks (default CRATEDIGGER_LIBRARY_DIR)")
    p.add_argument("--limit", type=int, help="at most this many tracks")
    p.add_argument("--no-analyze", action="store_true", help="do not compute tempo and key after fetching")
    p.set_defaults(handler=fetch_audio_command)

    p = subparsers.add_parser("analyze-audio", help="tempo, key and spectrogram of tracks that have audio")
    p.add_argument("--limit", type=int)
    p.add_argument("--again", action="store_true", help="also tracks already analysed")
    p.set_defaults(handler=analyze_audio_command)

    p = subparsers.add_parser("train-cnn", help="train the sound CNN (catalog styles, or a labelled folder)")
    p.add_argument("--labels", type=Path, help="CSV with columns file,label (default: catalog tracks and set styles)")
    p.add_argument("--audio-dir", type=Path, help="folder the CSV's files are in (default: the CSV's folder)")
    p.add_argument("--label-col", default="label")
    p.add_argument("--file-col", default="file")
    p.add_argument("--factors", type=Path, help=".npz with track_ids and factors (ALS item factors) for the 2nd head")
    p.add_argument("--run-id", help="run folder name under the models folder (default audio-<time>)")
    p.add_argument("--epochs", type=int, default=30)
    p.set_defaults(handler=train_cnn_command)

    p = subparsers.add_parser("embed", help="embed every catalog track with audio using a trained CNN")
    p.add_argument("--run", type=Path, help="run folder with cnn.keras (default: the newest)")
    p.add_argument("--limit", type=int)
    p.set_defaults(handler=embed_command)

    p = subparsers.add_parser("cold-start", help="catalog tracks that sound like an audio file")
    p.add_argument("file", type=Path)
    p.add_argument("--run", type=Path, help="run folder with cnn.keras and embeddings (default: the newest)")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--match-tempo", action="store_true", help="only tracks within ±--bpm-tolerance (half/double ok)")
    p.add_argument("--bpm-tolerance", type=float, default=0.06)
    p.add_argument("--match-key", action="store_true", help="only Camelot-compatible keys")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cold_start_command)

    p = subparsers.add_parser("evaluate-audio", help="grouped k-fold accuracy, macro-F1, precision@5 of the CNN")
    p.add_argument("--labels", type=Path, required=True, help="CSV with columns file, label and a group column")
    p.add_argument("--audio-dir", type=Path)
    p.add_argument("--group-col", default="track_id")
    p.add_argument("--label-col", default="label")
    p.add_argument("--file-col", default="file")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=None, help="CNN epochs per fold (default from CnnConfig)")
    p.add_argument("--no-baseline", action="store_true", help="skip the MFCC + logistic-regression baseline")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=evaluate_audio_command)


def _connect(settings):
    from catalog.db import connect

    return connect(settings.catalog_path)


def _newest_run(settings, need: str = "cnn.keras") -> Path:
    current = settings.current_model_link
    if (current / need).is_file():
        return current
    runs = sorted((p for p in settings.models_dir.glob("*/") if (p / need).is_file()), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise ArtifactMissingError(f"No run folder under {settings.models_dir} has {need}; "
                                   "run `python cli.py train-cnn` (and `embed`) first.")
    return runs[-1]


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
    if library_dir is not None and not Path(library_dir).is_dir():
        raise BadInputError(f"--library {library_dir}: no such folder.")
    library = LibraryIndex.scan(library_dir) if library_dir else None
    conn = _connect(settings)
    sql = "SELECT * FROM tracks WHERE audio_path IS NULL ORDER BY id"
    rows = conn.execute(sql + (f" LIMIT {int(args.limit)}" if args.limit else "")).fetchall()
    by_source: dict[str, int] = {}
    fetched = []
    for row in tqdm(rows, desc="fetching audio", unit="track"):
        sources: list = _preview_sources(settings, conn, row)
        if library is not None:
            match = library.find(row["artist"], row["title"], row["version"])
            if match is not None:
                sources.append(match)
        if not sources:
            by_source["none"] = by_source.get("none", 0) + 1
            continue
        result = fetch_audio(row["id"], sources, settings.audio_dir, user_agent=settings.http_user_agent)
        by_source[result.source or "failed"] = by_source.get(result.source or "failed", 0) + 1
        if result.path is not None:
            from catalog.store import update_track_audio

            update_track_audio(conn, row["id"], audio_path=str(result.path))
            fetched.append(row["id"])
    total = conn.execute("SELECT COUNT(*), COUNT(audio_path) FROM tracks").fetchone()
    print(f"fetched audio for {len(fetched)} of {len(rows)} tracks tried "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(by_source.items())) or 'nothing to try'}).")
    print(f"coverage: {total[1]} of {total[0]} catalog tracks have audio ({100 * total[1] / max(total[0], 1):.1f}%).")
    if library is None:
        print("tip: --library DIR (or CRATEDIGGER_LIBRARY_DIR) matches your own files to catalog tracks.")
    if fetched and not args.no_analyze:
        _analyze(conn, settings, fetched)
    return 0


def _analyze(conn, settings, track_ids) -> int:
    from tqdm import tqdm

    from audio.analysis import analyze, store_analysis
    from audio.decode import decode_file
    from audio.mel import cached_log_mel, log_mel

    done = 0
    for track_id in tqdm(track_ids, desc="tempo and key", unit="track"):
        path = conn.execute("SELECT audio_path FROM tracks WHERE id = ?", (track_id,)).fetchone()[0]
        try:
            decoded = decode_file(path)
        except BadInputError as error:
            log.warning("track %s: %s", track_id, error)
            continue
        stat = Path(path).stat()
        mel = cached_log_mel(settings.cache_dir, f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}",
                             lambda y=decoded.y: log_mel(y))
        store_analysis(conn, track_id, analyze(decoded.y, mel=mel), duration_ms=int(decoded.duration * 1000))
        done += 1
    return done


def analyze_audio_command(args, settings) -> int:
    conn = _connect(settings)
    sql = "SELECT id FROM tracks WHERE audio_path IS NOT NULL" + ("" if args.again else " AND tempo IS NULL")
    ids = [r[0] for r in conn.execute(sql + (f" LIMIT {int(args.limit)}" if args.limit else ""))]
    done = _analyze(conn, settings, ids)
    print(f"analysed {done} of {len(ids)} tracks (tempo, key, spectrogram).")
    return 0


def _run_dir(settings, run_id: str | None) -> Path:
    run_id = run_id or time.strftime("audio-%Y%m%d-%H%M%S")
    path = settings.models_dir / run_id
    if (path / "cnn.keras").exists():
        raise BadInputError(f"Run {run_id} already has a CNN; pick another --run-id.")
    return path


def _factor_rows(path: Path | None, track_ids) -> np.ndarray | None:
    if path is None:
        return None
    if not path.is_file():
        raise BadInputError(f"--factors {path}: no such file.")
    with np.load(path, allow_pickle=False) as data:
        if "track_ids" not in data or "factors" not in data:
            raise BadInputError(f"--factors {path.name} needs arrays 'track_ids' and 'factors'.")
        row_of = {int(t): i for i, t in enumerate(data["track_ids"])}
        factors = data["factors"]
    out = np.full((len(track_ids), factors.shape[1]), np.nan, dtype=np.float32)
    for i, t in enumerate(track_ids):
        if int(t) in row_of:
            out[i] = factors[row_of[int(t)]]
    return out


def train_cnn_command(args, settings) -> int:
    from models.cnn import CnnConfig, save_cnn, train_cnn

    config = CnnConfig(epochs=args.epochs)
    factors = None
    if args.labels:
        from audio.evaluate import load_clips, read_labels

        clips = load_clips(read_labels(args.labels, audio_dir=args.audio_dir, label_col=args.label_col,
                                       file_col=args.file_col), show_progress=True)
        mels, labels, source = clips.mels, clips.labels.tolist(), str(args.labels)
    else:
        from audio.dataset import load_track_audio, track_styles

        conn = _connect(settings)
        styles = track_styles(conn)
        data = load_track_audio(conn, settings.cache_dir, show_progress=True)
        keep = [i for i, t in enumerate(data.track_ids) if int(t) in styles]
        if len(keep) < 4:
            raise BadInputError(f"Only {len(keep)} tracks with audio have a style from their sets; "
                                "import sets with styles or pass --labels CSV.")
        mels = [data.mels[i] for i in keep]
        labels = [styles[int(data.track_ids[i])] for i in keep]
        factors = _factor_rows(args.factors, data.track_ids[keep])
        source = "catalog"
    run_dir = _run_dir(settings, args.run_id)
    cnn = train_cnn(mels, labels, factors=factors, config=config, show_progress=True)
    save_cnn(cnn, run_dir, extra={"trained_on": source, "n_clips": len(mels)})
    print(f"trained on {len(mels)} clips, {len(cnn.classes)} styles; final loss {cnn.history[-1]:.3f}")
    print(f"saved {run_dir}; next: python cli.py embed --run {run_dir}")
    return 0


def embed_command(args, settings) -> int:
    from audio.coldstart import CAMELOT_FILE, TEMPO_FILE
    from audio.dataset import load_track_audio
    from models.cnn import load_cnn, save_embeddings

    run_dir = args.run or _newest_run(settings)
    cnn = load_cnn(run_dir)
    data = load_track_audio(_connect(settings), settings.cache_dir, limit=args.limit, show_progress=True)
    start = time.perf_counter()
    embeddings = cnn.embed(data.mels)
    save_embeddings(run_dir, embeddings, data.track_ids)
    np.save(run_dir / TEMPO_FILE, data.tempo, allow_pickle=False)
    np.save(run_dir / CAMELOT_FILE, data.camelot.astype(str), allow_pickle=False)
    print(f"embedded {len(data.track_ids)} tracks in {time.perf_counter() - start:.1f} s -> {run_dir}")
    return 0


def cold_start_command(args, settings) -> int:
    from audio.coldstart import cold_start_neighbours

    run_dir = args.run or _newest_run(settings, need="embeddings.npy")
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
    results = [{"track_id": int(t), "score": round(float(s), 4), **names.get(int(t), {})} for t, s in zip(ids, scores)]
    if args.json:
        print(json.dumps({"query": analysis.as_dict(), "results": results}, indent=2))
        return 0
    a = analysis.as_dict()
    print(f"{args.file.name}: {a['tempo']:.1f} BPM, {a['key']} / {a['camelot']} (confidence {a['key_confidence']:.2f})")
    for r in results:
        label = f"{r.get('artist', '?')} - {r.get('title', '?')}" if names else f"track {r['track_id']}"
        extra = f"  {r['tempo']:.0f} BPM {r['camelot']}" if r.get("tempo") and r.get("camelot") else ""
        print(f"  {r['score']:.3f}  {label}{extra}")
    return 0


def evaluate_audio_command(args, settings) -> int:
    from audio.evaluate import evaluate_baseline, evaluate_cnn, grouped_folds, load_clips, read_labels
    from models.cnn import CnnConfig

    rows = read_labels(args.labels, audio_dir=args.audio_dir, label_col=args.label_col, group_col=args.group_col,
                       file_col=args.file_col)
    clips = load_clips(rows, show_progress=not args.json)
    fold_of = grouped_folds(clips.labels, clips.groups, args.folds)
    config = CnnConfig() if args.epochs is None else CnnConfig(epochs=args.epochs)
    start = time.perf_counter()

    def on_fold(k, fold):
        if not args.json:
            print(f"fold {k + 1}/{args.folds}: accuracy {fold['accuracy']:.3f}, macro-F1 {fold['macro_f1']:.3f}, "
                  f"precision@5 {fold['precision_at_5']:.3f} ({fold['n_test']} clips)", flush=True)

    result = evaluate_cnn(clips, fold_of, config=config, on_fold=on_fold)
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["n_clips"] = len(clips.mels)
    result["labels"] = dict(zip(*np.unique(clips.labels, return_counts=True)))
    result["labels"] = {k: int(v) for k, v in result["labels"].items()}
    if not args.no_baseline:
        result["baseline_logreg"] = evaluate_baseline(clips, fold_of)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"CNN ({args.folds} folds by {args.group_col}, {len(clips.mels)} clips): accuracy {result['accuracy']:.3f}, "
          f"macro-F1 {result['macro_f1']:.3f}, precision@5 {result['precision_at_5']:.3f}")
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
