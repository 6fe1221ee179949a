"""A reproducible MixesDB-scale catalog, generated from a seed into a temporary data folder.

    .venv/bin/python bench/scale_catalog.py DATA_DIR [--scale 1.0] [--seed 8]

At `--scale 1` it holds what MixesDB holds: 300,000 sets, 1,500,000 tracks and about 4,700,000
plays (~15.7 track lines a set on average; lengths spread like real tracklists, 1 … 60). The shape:

- **scenes**: every set belongs to one of `300 * scale` scenes (min 20); each scene has a style, a
  city and a tempo range, and its own tracks. ~80 % of a set's plays come from its scene.
- **power-law popularity**: 68 % of plays draw a track by Zipf (rank ~ 1/r) inside the scene or, for
  cross-scene anthems, over all tracks; the other 32 % give every track at least one play (the long
  tail: most tracks are played once or twice, as on MixesDB).
- **ordered tracklists**: positions 1 … L, sorted by the tracks' tempo plus noise (sets build up).
- 70 % of tracks carry a made-up Spotify-format ID so the dashboard can be queried by link.

The same seed and scale give the same catalog, byte for byte in its rows. It is written with raw
`sqlite3.executemany` into the schema of `catalog.db.connect` (the import path's own speed is
measured separately by `scale_import.py`). Never commit what this writes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FULL_SETS, FULL_TRACKS, FULL_PLAYS = 300_000, 1_500_000, 4_700_000
COVERAGE_SHARE = 0.32  # plays that give every track one play
SCENE_SHARE = 0.80  # of the power-law plays, the share drawn inside the set's scene
SPOTIFY_SHARE = 0.70
STYLES = ("House", "Deep House", "Tech House", "Techno", "Minimal", "Progressive House", "Trance",
          "Drum & Bass", "Breaks", "Electro", "Disco", "Dubstep")
CITIES = ("Berlin", "London", "Detroit", "Chicago", "Ibiza", "Amsterdam", "Paris", "Tbilisi", "Bristol",
          "New York", "Melbourne", "Barcelona", "Leeds", "Tokyo", "Sao Paulo", "Manchester")
BPM = {"House": (118, 125), "Deep House": (115, 122), "Tech House": (124, 129), "Techno": (128, 140),
       "Minimal": (124, 130), "Progressive House": (122, 128), "Trance": (134, 140), "Drum & Bass": (170, 176),
       "Breaks": (128, 136), "Electro": (125, 135), "Disco": (110, 122), "Dubstep": (138, 142)}
_SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "dor", "sa", "ti", "nu", "el", "zo", "fen", "ar", "bel", "cor",
              "dan", "ek", "gri", "ho", "ja", "lux", "mar", "no", "pi", "qui", "ros", "sol", "tam", "ul", "vi")
_WORDS = ("Pulse", "Void", "Steel", "Machine", "Acid", "Soul", "Groove", "Night", "Dream", "Light", "Bass",
          "Tide", "Signal", "Motion", "Echo", "Rise", "Fall", "Heat", "Cold", "Drift", "Storm", "Glow")
_BASE62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))


@dataclass(frozen=True)
class ScaleCatalog:
    """The generated catalog as arrays (catalog ids are 1-based: row i is id i + 1).

    play_set : np.ndarray [shape=(n_plays,), int64]    set id of each play, grouped by set
    play_track : np.ndarray [shape=(n_plays,), int64]  track id of each play
    play_position : np.ndarray [shape=(n_plays,), int64] 1-based position within its set
    set_scene : np.ndarray [shape=(n_sets,), int64]    scene of each set
    track_scene : np.ndarray [shape=(n_tracks,), int64]
    track_bpm : np.ndarray [shape=(n_tracks,), float32]
    track_artist : np.ndarray [shape=(n_tracks,), int64] artist index of each track
    track_spotify : np.ndarray [shape=(n_tracks,), bool] whether the track has a Spotify ID
    """

    seed: int
    scale: float
    play_set: np.ndarray
    play_track: np.ndarray
    play_position: np.ndarray
    set_scene: np.ndarray
    track_scene: np.ndarray
    track_bpm: np.ndarray
    track_artist: np.ndarray
    track_spotify: np.ndarray
    scene_style: np.ndarray
    scene_city: np.ndarray

    @property
    def n_sets(self) -> int:
        return len(self.set_scene)

    @property
    def n_tracks(self) -> int:
        return len(self.track_scene)

    @property
    def n_plays(self) -> int:
        return len(self.play_set)

    def describe(self) -> str:
        return f"{self.n_sets:,} sets, {self.n_tracks:,} tracks, {self.n_plays:,} plays (scale {self.scale:g}, seed {self.seed})"


def _zipf_ranks(rng: np.random.Generator, sizes: np.ndarray) -> np.ndarray:
    """A rank in 0 … size-1 for each entry of `sizes`, P(rank r) ∝ 1/(r+1) (inverse CDF of Zipf s=1)."""
    u = rng.random(len(sizes))
    ranks = np.floor(np.exp(u * np.log(sizes + 1.0))).astype(np.int64) - 1
    return np.clip(ranks, 0, sizes - 1)


def generate(scale: float = 1.0, seed: int = 8) -> ScaleCatalog:
    """The catalog's arrays for `scale` (1.0 = MixesDB) and `seed`; vectorised, ~20 s at full scale."""
    if not 0 < scale <= 100:
        raise ValueError(f"scale={scale} must be in (0, 100]")
    rng = np.random.default_rng(seed)
    n_sets, n_tracks = max(int(FULL_SETS * scale), 50), max(int(FULL_TRACKS * scale), 200)
    n_scenes = max(int(300 * scale), 20)
    mean_len = FULL_PLAYS / FULL_SETS
    scene_style = rng.integers(len(STYLES), size=n_scenes)
    scene_city = rng.integers(len(CITIES), size=n_scenes)
    scene_weight = rng.pareto(1.5, size=n_scenes) + 1.0  # some scenes are much bigger than others
    scene_weight /= scene_weight.sum()
    set_scene = rng.choice(n_scenes, size=n_sets, p=scene_weight)
    track_scene = rng.choice(n_scenes, size=n_tracks, p=scene_weight)
    low = np.array([BPM[s][0] for s in STYLES], np.float32)[scene_style[track_scene]]
    high = np.array([BPM[s][1] for s in STYLES], np.float32)[scene_style[track_scene]]
    track_bpm = (low + rng.random(n_tracks, dtype=np.float32) * (high - low)).round(1)
    track_artist = rng.integers(max(n_tracks // 5, 1), size=n_tracks)
    track_spotify = rng.random(n_tracks) < SPOTIFY_SHARE

    # Set lengths: negative binomial around the MixesDB mean, 1 … 60.
    lengths = np.clip(rng.negative_binomial(4, 4 / (4 + mean_len - 1), size=n_sets) + 1, 1, 60)
    play_set = np.repeat(np.arange(n_sets, dtype=np.int64), lengths)
    n_plays = len(play_set)
    slot_scene = set_scene[play_set]
    play_track = np.empty(n_plays, dtype=np.int64)

    # Tracks of each scene, in a random order that doubles as the scene's popularity ranking.
    by_scene = np.lexsort((rng.random(n_tracks), track_scene))
    scene_start = np.searchsorted(track_scene[by_scene], np.arange(n_scenes))
    scene_size = np.bincount(track_scene, minlength=n_scenes)

    # 1) Coverage: every track of a scene gets a slot of that scene (cycling when slots are scarce).
    coverage = rng.random(n_plays) < COVERAGE_SHARE
    cov_slots = np.flatnonzero(coverage)
    cov_slots = cov_slots[np.lexsort((rng.random(len(cov_slots)), slot_scene[cov_slots]))]
    cov_scene = slot_scene[cov_slots]
    first = np.searchsorted(cov_scene, cov_scene, side="left")
    rank_in_scene = np.arange(len(cov_slots)) - first
    has_tracks = scene_size[cov_scene] > 0
    pick = scene_start[cov_scene] + rank_in_scene % np.maximum(scene_size[cov_scene], 1)
    play_track[cov_slots[has_tracks]] = by_scene[pick[has_tracks]]
    coverage[cov_slots[~has_tracks]] = False

    # 2) Power law: inside the scene (Zipf over its ranking) or an anthem over the global ranking.
    rest = np.flatnonzero(~coverage)
    in_scene = (rng.random(len(rest)) < SCENE_SHARE) & (scene_size[slot_scene[rest]] > 0)
    local = rest[in_scene]
    ranks = _zipf_ranks(rng, scene_size[slot_scene[local]])
    play_track[local] = by_scene[scene_start[slot_scene[local]] + ranks]
    global_order = rng.permutation(n_tracks)
    anthem = rest[~in_scene]
    play_track[anthem] = global_order[_zipf_ranks(rng, np.full(len(anthem), n_tracks))]

    # Ordered tracklists: within a set, by tempo plus noise (sets build up).
    order = np.lexsort((track_bpm[play_track] + rng.normal(0, 2.0, n_plays), play_set))
    play_track = play_track[order]
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    play_position = np.arange(n_plays, dtype=np.int64) - starts + 1
    return ScaleCatalog(
        seed=seed, scale=scale, play_set=play_set + 1, play_track=play_track + 1, play_position=play_position,
        set_scene=set_scene, track_scene=track_scene, track_bpm=track_bpm, track_artist=track_artist,
        track_spotify=track_spotify, scene_style=scene_style, scene_city=scene_city,
    )


def _name(index: int, parts: int) -> str:
    syllables = []
    for _ in range(parts):
        index, digit = divmod(index, len(_SYLLABLES))
        syllables.append(_SYLLABLES[digit])
    return "".join(syllables).capitalize()


def artist_name(index: int) -> str:
    return f"{_name(index, 2)} {_name(index // 900 + 7, 2)}"


def track_title(track_id: int) -> str:
    i = track_id * 2654435761 % 2**32
    return f"{_WORDS[i % len(_WORDS)]} {_WORDS[(i // 31) % len(_WORDS)]} {track_id}"


def spotify_ids(n: int, seed: int) -> np.ndarray:
    """n distinct-looking 22-character base62 strings (made up; the real Spotify never sees them)."""
    rng = np.random.default_rng(seed + 1_000_003)
    digits = rng.integers(62, size=(n, 22))
    return np.array(["".join(row) for row in _BASE62[digits]], dtype=object)


def set_rows(cat: ScaleCatalog):
    """(id, source, source_key, title, date, djs, city, styles, complete, n_lines) of every set."""
    rng = np.random.default_rng(cat.seed + 17)
    years = rng.integers(1995, 2027, size=cat.n_sets)
    months = rng.integers(1, 13, size=cat.n_sets)
    days = rng.integers(1, 29, size=cat.n_sets)
    djs = rng.integers(max(cat.n_sets // 8, 1), size=cat.n_sets)
    lengths = np.bincount(cat.play_set, minlength=cat.n_sets + 1)[1:]
    for i in range(cat.n_sets):
        scene = cat.set_scene[i]
        style, city = STYLES[cat.scene_style[scene]], CITIES[cat.scene_city[scene]]
        dj = artist_name(int(djs[i]) + 3)
        date = f"{years[i]}-{months[i]:02d}-{days[i]:02d}"
        yield (i + 1, "bench", f"set-{i + 1}", f"{date} - {dj} @ Club {scene}, {city}", date,
               json.dumps([dj]), city, json.dumps([style]), 1, int(lengths[i]))


def track_rows(cat: ScaleCatalog):
    """(id, key, artist, artists, title, spotify_id, tempo, search) of every track."""
    from catalog.identity import search_text

    ids = spotify_ids(cat.n_tracks, cat.seed)
    for i in range(cat.n_tracks):
        artist, key, title = artist_name(int(cat.track_artist[i])), f"id:t{i + 1}", track_title(i + 1)
        yield (i + 1, key, artist, json.dumps([artist]), title, ids[i] if cat.track_spotify[i] else None,
               round(float(cat.track_bpm[i]), 1), search_text(key, artist, [artist], title))


def write_catalog(cat: ScaleCatalog, data_dir: Path, *, show_progress: bool = True) -> Path:
    """Write `cat` as `data_dir/catalog.sqlite` (must not exist yet); returns its path."""
    from catalog.db import connect

    path = Path(data_dir) / "catalog.sqlite"
    if path.exists():
        raise FileExistsError(f"{path} exists: generate into an empty data folder.")
    conn = connect(path)
    # A throw-away bulk load: no journal, a 1 GiB page cache, the secondary index built once at the end.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1048576")
    conn.execute("DROP INDEX plays_track_set_position")
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO sets (id, source, source_key, title, date, djs, city, styles, tracklist_complete, n_lines)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", set_rows(cat))
    conn.executemany(
        "INSERT INTO tracks (id, key, artist, artists, title, spotify_id, tempo, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        track_rows(cat))
    conn.executemany(
        "INSERT INTO plays (set_id, position, track_id) VALUES (?, ?, ?)",
        zip(cat.play_set.tolist(), cat.play_position.tolist(), cat.play_track.tolist(), strict=True))
    conn.execute("COMMIT")
    conn.execute("CREATE INDEX plays_track_set_position ON plays (track_id, set_id, position)")  # as in catalog.db
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    if show_progress:
        print(f"wrote {cat.describe()} to {path} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return path


def write_import_csv(cat: ScaleCatalog, path: Path, max_rows: int) -> int:
    """Whole sets (from the first) as an import CSV of at most `max_rows` play rows; returns the rows written.

    Columns: set_id, position, artist, title, track_id, set_title, date, djs, styles, spotify_id.
    """
    ids = spotify_ids(cat.n_tracks, cat.seed)
    sets = {row[0]: row for row in _first_sets(cat, max_rows)}
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["set_id", "position", "artist", "title", "track_id", "set_title", "date", "djs", "styles",
                      "spotify_id"])
        for set_id, position, track_id in zip(cat.play_set.tolist(), cat.play_position.tolist(),
                                              cat.play_track.tolist(), strict=True):
            if set_id not in sets:
                break
            row = sets[set_id]
            t = track_id - 1
            out.writerow([row[2], position, artist_name(int(cat.track_artist[t])), track_title(track_id),
                          f"t{track_id}", row[3], row[4], "; ".join(json.loads(row[5])),
                          "; ".join(json.loads(row[7])), ids[t] if cat.track_spotify[t] else ""])
            written += 1
    return written


def _first_sets(cat: ScaleCatalog, max_rows: int):
    total = 0
    for row in set_rows(cat):
        total += row[9]
        if total > max_rows:
            return
        yield row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="an empty (or new) folder; never inside the repository")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = MixesDB size (%(default)s)")
    parser.add_argument("--seed", type=int, default=8, help="random seed (%(default)s)")
    args = parser.parse_args()
    start = time.perf_counter()
    cat = generate(args.scale, args.seed)
    print(f"generated {cat.describe()} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    write_catalog(cat, args.data_dir)


if __name__ == "__main__":
    main()
