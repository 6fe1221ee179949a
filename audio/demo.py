"""Audio for the demo crate: synthesised clips with known style, tempo and key, and its sound model.

The demo's tracks are invented, so their audio is too (`audio.synth`): each clip is rendered from the
track's own style, BPM and key, so the demo CNN learns real distinctions and tempo and key estimates
can be checked against the truth. Clips go to `data/audio/demo/<spotify id>.ogg` (Vorbis, ~65 KB for
10 s). The fresh releases that no demo set plays get clips first: they are the cold-start showcase.
"""

from __future__ import annotations

import argparse
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from catalog.db import connect, transaction
from errors import ArtifactMissingError
from models.numpy_sound import INFERENCE_FILE

CLIP_SECONDS = 10.0
PER_STYLE = 50  # per style: this many fresh releases (all of them, in the default crate) and most-played tracks


@dataclass(frozen=True)
class DemoAudioReport:
    clips: int
    written: int
    folder: Path


def demo_seed(conn: sqlite3.Connection) -> int:
    """The seed the catalog's demo crate was built with (its set keys read `demo-<seed>-<n>`)."""
    row = conn.execute("SELECT source_key FROM sets WHERE source = 'demo' LIMIT 1").fetchone()
    if row is None:
        raise ArtifactMissingError("The catalog has no demo crate: run `python cli.py demo` first.")
    return int(row["source_key"].split("-")[1])


def chosen_tracks(conn: sqlite3.Connection, crate, per_style: int) -> list:
    """Per style: up to `per_style` fresh releases and the `per_style` most-played tracks."""
    plays = dict(conn.execute(
        "SELECT t.spotify_id, COUNT(*) FROM tracks t JOIN plays p ON p.track_id = t.id GROUP BY t.id").fetchall())
    chosen = []
    for style in sorted({t.style for t in crate.tracks}):
        fresh = [t for t in crate.tracks if t.style == style and not t.in_sets]
        played = sorted((t for t in crate.tracks if t.style == style and t.in_sets),
                        key=lambda t: (-plays.get(t.spotify_id, 0), t.index))
        chosen += fresh[:per_style] + played[:per_style]
    return chosen


def write_demo_audio(settings, *, per_style: int = PER_STYLE, seconds: float = CLIP_SECONDS,
                     show_progress: bool = False) -> DemoAudioReport:
    """Render and store clips for the chosen demo tracks; existing clips are kept (re-runs are cheap)."""
    import soundfile
    from tqdm import tqdm

    from audio.dataset import mel_for_file
    from audio.params import SAMPLE_RATE
    from audio.synth import synthesize_clip
    from catalog.demo import build_demo_crate

    folder = settings.audio_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    conn = connect(settings.catalog_path)
    try:
        crate = build_demo_crate(demo_seed(conn))
        tracks = chosen_tracks(conn, crate, per_style)
        written = 0
        paths = {}
        for track in tqdm(tracks, desc="demo audio", unit="clip", disable=not show_progress or None):
            path = folder / f"{track.spotify_id}.ogg"
            y = None
            if not path.is_file():
                y = synthesize_clip(track.style, track.bpm, track.key, seed=track.index, seconds=seconds)
                tmp = path.with_suffix(".tmp.ogg")
                soundfile.write(tmp, y, SAMPLE_RATE, format="OGG", subtype="VORBIS")
                tmp.replace(path)
                written += 1
            mel_for_file(path, settings.cache_dir, y)  # the dashboard's spectrogram of the track (~15 ms)
            paths[track.spotify_id] = str(path)
        with transaction(conn):
            conn.executemany("UPDATE tracks SET audio_path = ? WHERE spotify_id = ? AND is_demo = 1",
                             [(p, sid) for sid, p in paths.items()])
    finally:
        conn.close()
    return DemoAudioReport(clips=len(tracks), written=written, folder=folder)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo-audio",
        help="synthesise audio for the demo crate and train its sound model",
        description="Renders clips for the demo's fresh releases and most-played tracks (style, tempo and key "
        "as the demo says), then trains the CNN on them and embeds every clip into a sound run.",
    )
    parser.add_argument("--per-style", type=int, default=PER_STYLE, help="most-played tracks per style (%(default)s)")
    parser.add_argument("--seconds", type=float, default=CLIP_SECONDS, help="clip length (%(default)s)")
    parser.add_argument("--epochs", type=int, default=12, help="CNN training epochs (%(default)s)")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when a sound run already exists")
    parser.set_defaults(handler=demo_audio_command)


def demo_audio_command(args: argparse.Namespace, settings) -> int:
    from audio.training import embed_catalog, newest_sound_run, published_factor_rows, train_cnn_on_catalog

    if args.if_missing:
        try:
            run = newest_sound_run(settings, need="embeddings.npy")
            if not (run / INFERENCE_FILE).is_file():  # made before queries ran in numpy: give it its twin
                from models.cnn import load_cnn
                from models.numpy_sound import export_inference

                export_inference(load_cnn(run), run)
                print(f"Wrote {INFERENCE_FILE} into {run.name}, so uploads no longer wait for TensorFlow.")
            print(f"A sound model already exists ({run.name}); demo audio not rebuilt.")
            return 0
        except ArtifactMissingError:
            pass
    report = write_demo_audio(settings, per_style=args.per_style, seconds=args.seconds, show_progress=True)
    print(f"Demo audio: {report.clips} clips in {report.folder} ({report.written} new).")
    run_dir, _ = train_cnn_on_catalog(
        settings, epochs=args.epochs, factors=lambda ids: published_factor_rows(settings, ids)
    )
    count = embed_catalog(settings, run_dir)
    print(f"Sound model trained and {count} tracks embedded in {run_dir}.")
    return 0
