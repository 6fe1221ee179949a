"""Serving recommendations from the published run, with the catalog's evidence for each.

`Recommender` is read-only: a run's engine (scores) plus the catalog (names and evidence).
`RecommenderLoader` hands out the current one and swaps in a newly published run without a restart;
a request that already holds the old object finishes with it.

>>> rec = Recommender.from_current(settings)
>>> [r.track_id for r in rec.similar([42], n=5)]
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catalog.db import connect
from catalog.identity import fold
from catalog.queries import tracks_by_ids
from errors import ArtifactMissingError, BadInputError, CratediggerError, NotFoundError
from models.artifacts import Run, current_run, current_run_id, load_run
from models.engines import engine_from_run
from models.evidence import SetEvidence
from models.track_styles import styles_by_column

log = logging.getLogger(__name__)

MAX_EXAMPLES = 3


@dataclass(frozen=True)
class ExampleSet:
    """A set that plays both the query and the recommended track."""

    set_id: int
    title: str
    date: str | None
    url: str | None


@dataclass(frozen=True)
class Recommendation:
    """One recommended track, its score and the evidence behind it."""

    track_id: int
    score: float
    engine: str
    artist: str = ""
    title: str = ""
    spotify_id: str | None = None
    label: str | None = None
    shared_sets: int = 0  # sets that play a query track and this one
    examples: tuple[ExampleSet, ...] = ()
    followed_count: int = 0  # sets where this track was played right after a query track
    shared_artists: tuple[str, ...] = ()
    shared_label: str | None = None

    def to_dict(self) -> dict:
        return {
            "track_id": self.track_id,
            "artist": self.artist,
            "title": self.title,
            "spotify_id": self.spotify_id,
            "label": self.label,
            "score": round(float(self.score), 6),
            "engine": self.engine,
            "shared_sets": self.shared_sets,
            "examples": [example.title for example in self.examples],
            "example_sets": [
                {"set_id": e.set_id, "title": e.title, "date": e.date, "url": e.url} for e in self.examples
            ],
            "followed_count": self.followed_count,
            "shared_artists": list(self.shared_artists),
            "shared_label": self.shared_label,
        }


@dataclass(frozen=True)
class _TrackInfo:
    artist: str
    title: str
    spotify_id: str | None
    label: str | None
    artists: tuple[str, ...] = field(default=())


def _placeholders(values: Sequence) -> str:
    return ",".join("?" * len(values))


# The evidence queries, each from either side (`Recommender._cheaper_from_seeds` picks); a unary `+`
# keeps SQLite from using the track index on the side that should be filtered, not walked.
def _shared_from_results(seeds: list[int], results: list[int]) -> tuple[str, list[int]]:
    """(result track, set, set date) for the sets that play a result and a seed."""
    return (f"""SELECT DISTINCT p.track_id, s.id, s.date FROM plays p JOIN sets s ON s.id = p.set_id
                WHERE p.track_id IN ({_placeholders(results)})
                  AND p.set_id IN (SELECT set_id FROM plays WHERE track_id IN ({_placeholders(seeds)}))""",
            [*results, *seeds])


def _shared_from_seeds(seeds: list[int], results: list[int]) -> tuple[str, list[int]]:
    return (f"""SELECT DISTINCT p.track_id, s.id, s.date
                FROM plays q JOIN plays p ON p.set_id = q.set_id JOIN sets s ON s.id = p.set_id
                WHERE q.track_id IN ({_placeholders(seeds)}) AND +p.track_id IN ({_placeholders(results)})""",
            [*seeds, *results])


def _followed_from_seeds(seeds: list[int], results: list[int]) -> tuple[str, list[int]]:
    """(result track, times it was played right after a seed: each seed counts once per set)."""
    return (f"""SELECT track_id, COUNT(*) FROM (
                  SELECT DISTINCT p2.track_id, p1.track_id AS seed, p2.set_id
                  FROM plays p1 JOIN plays p2 ON p2.set_id = p1.set_id AND p2.position = p1.position + 1
                  WHERE p1.track_id IN ({_placeholders(seeds)}) AND +p2.track_id IN ({_placeholders(results)}))
                GROUP BY track_id""",
            [*seeds, *results])


def _followed_from_results(seeds: list[int], results: list[int]) -> tuple[str, list[int]]:
    return (f"""SELECT track_id, COUNT(*) FROM (
                  SELECT DISTINCT p2.track_id, p1.track_id AS seed, p2.set_id
                  FROM plays p2 JOIN plays p1 ON p1.set_id = p2.set_id AND p1.position = p2.position - 1
                  WHERE p2.track_id IN ({_placeholders(results)}) AND +p1.track_id IN ({_placeholders(seeds)}))
                GROUP BY track_id""",
            [*results, *seeds])


class Recommender:
    """Similar tracks from one run, explained from the catalog. Safe to share between threads."""

    def __init__(self, run: Run, catalog_path: Path | str):
        self.run = run
        self.engine = engine_from_run(run)
        self.track_ids = np.asarray(run.array("track_ids", mmap=False), dtype=np.int64)
        self.catalog_path = Path(catalog_path)
        self._local = threading.local()
        self._styles = styles_by_column(run)
        self._evidence = SetEvidence.from_run(run)

    @classmethod
    def from_current(cls, settings) -> Recommender:
        return cls(current_run(settings.models_dir), settings.catalog_path)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    # -- catalog access -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if not self.catalog_path.is_file():
                raise ArtifactMissingError(
                    f"No catalog at {self.catalog_path}: import tracklists or build the demo first."
                )
            conn = connect(self.catalog_path, readonly=True)
            self._local.conn = conn
        return conn

    def _track_info(self, track_ids: Iterable[int]) -> dict[int, _TrackInfo]:
        info: dict[int, _TrackInfo] = {}
        for track_id, row in tracks_by_ids(self._conn(), list(track_ids)).items():
            try:
                artists = tuple(a for a in json.loads(row["artists"] or "[]") if a)
            except ValueError:
                artists = ()
            info[track_id] = _TrackInfo(
                artist=row["artist"],
                title=row["title"],
                spotify_id=row["spotify_id"],
                label=row["label"],
                artists=artists or (row["artist"],),
            )
        return info

    # -- queries --------------------------------------------------------------------------------
    def columns(self, track_ids: Sequence[int]) -> np.ndarray:
        """Column of each track id in this run; -1 where the run has never seen the track."""
        ids = np.asarray(track_ids, dtype=np.int64)
        where = np.minimum(np.searchsorted(self.track_ids, ids), max(len(self.track_ids) - 1, 0))
        found = (len(self.track_ids) > 0) & (self.track_ids[where] == ids)
        return np.where(found, where, -1)

    def knows(self, track_id: int) -> bool:
        return bool(self.columns([track_id])[0] >= 0)

    def styles(self, track_ids: Sequence[int]) -> dict[int, list[str]] | None:
        """Each known track's top styles as stored with the run; None when the run stores none."""
        if self._styles is None:
            return None
        names, codes = self._styles
        out = {}
        for track_id, column in zip(track_ids, self.columns(track_ids).tolist(), strict=True):
            if column >= 0:
                out[int(track_id)] = [str(names[c]) for c in codes[column] if c >= 0]
        return out

    def similar(
        self,
        track_ids: Sequence[int],
        n: int = 20,
        *,
        exclude: Iterable[int] = (),
        one_per_artist: bool = False,
        weights: Sequence[float] | None = None,
        share_slots: bool = False,
        explain: bool = True,
    ) -> list[Recommendation]:
        """The `n` tracks that best go with `track_ids` (seeds never come back), best first.

        Several seeds are scored together (weighted sum, `weights` default 1 each), or with
        `share_slots` each seed gets its own share of the n slots in proportion to its weight
        (a crate of different tracks keeps all of them represented). `exclude` drops tracks
        (e.g. already in the destination playlist); `one_per_artist` keeps each artist's best.
        Raises `BadInputError` for n < 1 or no seeds, `NotFoundError` when no seed is in the model.
        """
        if n < 1:
            raise BadInputError(f"n={n} must be at least 1.")
        seeds = [int(t) for t in track_ids]
        if not seeds:
            raise BadInputError("Give at least one track to find similar tracks for.")
        columns = self.columns(seeds)
        known = columns >= 0
        if not known.any():
            raise NotFoundError(
                "None of the query tracks occurs in a set the model was trained on, so there is no evidence "
                "to recommend from yet."
            )
        seed_weights = np.ones(len(seeds), np.float32) if weights is None else np.asarray(weights, np.float32)
        if len(seed_weights) != len(seeds) or (seed_weights < 0).any():
            raise BadInputError(f"weights must give one non-negative number per seed ({len(seeds)}).")
        banned = self.columns(list(set(seeds) | {int(t) for t in exclude}))
        banned = banned[banned >= 0]
        per_artist = seeds if one_per_artist else None
        if share_slots and known.sum() > 1:
            picked = self._shared_top(columns[known], seed_weights[known], banned, n, per_artist)
        else:
            picked = self._top(columns[known], seed_weights[known], banned, n, per_artist)
        picked = [(int(self.track_ids[c]), score) for c, score in picked]
        if not explain:
            return [Recommendation(track_id=t, score=score, engine=self.engine.name) for t, score in picked]
        return self._explain(seeds, picked)

    def _shared_top(self, columns, weights, banned, n: int, per_artist) -> list[tuple[int, float]]:
        """Each seed's own best tracks, its slots in proportion to its weight, taken in turns."""
        total = float(weights.sum()) or float(len(weights))
        quota = n * (weights if weights.sum() else np.ones_like(weights)) / total
        slots = np.floor(quota).astype(int)
        for i in np.argsort(-(quota - slots), kind="stable")[: n - slots.sum()]:
            slots[i] += 1
        lists = [self._top(np.array([column]), None, banned, n, per_artist) for column in columns]
        picked, seen = [], set()
        artists_seen: set[str] = set()
        info = (
            self._track_info(int(self.track_ids[c]) for ranked in lists for c, _ in ranked)
            if per_artist
            else {}
        )
        taken = [0] * len(lists)
        position = [0] * len(lists)
        while len(picked) < n and any(position[i] < len(lists[i]) for i in range(len(lists))):
            progressed = False
            for i, ranked in enumerate(lists):
                if taken[i] >= slots[i] and any(
                    taken[j] < slots[j] and position[j] < len(lists[j]) for j in range(len(lists))
                ):
                    continue  # this seed has its share while others still have theirs to fill
                while position[i] < len(ranked):
                    column, score = ranked[position[i]]
                    position[i] += 1
                    track = info.get(int(self.track_ids[column]))
                    artist = fold(track.artists[0]) if track and track.artists else None
                    if column in seen or (artist and artist in artists_seen):
                        continue
                    seen.add(column)
                    if artist:
                        artists_seen.add(artist)
                    picked.append((column, score))
                    taken[i] += 1
                    progressed = True
                    break
                if len(picked) == n:
                    break
            if not progressed:
                break
        return picked

    def _top(self, columns, weights, banned, n: int, one_per_artist_seeds: list[int] | None
             ) -> list[tuple[int, float]]:
        """The engine's best n (column, score) for the seed columns, `banned` columns left out.

        With `one_per_artist_seeds`, only each first artist's best track counts: asks the engine
        for 4n, then 16n, … until n artists are found or the catalogue runs out.
        """
        want = n if one_per_artist_seeds is None else n * 4
        while True:
            order, scores = self.engine.top(columns, weights, k=want, exclude=banned)
            ranked = [(int(c), float(s)) for c, s in zip(order, scores, strict=True)]
            if one_per_artist_seeds is None:
                return ranked[:n]
            info = self._track_info(int(self.track_ids[c]) for c, _ in ranked)
            seen: set[str] = set()
            kept = []
            for c, score in ranked:
                track = info.get(int(self.track_ids[c]))
                artist = fold(track.artists[0]) if track and track.artists else f"#{c}"
                if artist in seen:
                    continue
                seen.add(artist)
                kept.append((c, score))
                if len(kept) == n:
                    return kept
            if len(ranked) < want:  # the catalogue ran out
                return kept
            want *= 4

    def _cheaper_from_seeds(self, seeds: list[int], results: list[int], rows_per_seed_play: int) -> bool:
        """Whether an evidence query should start from the seeds' plays rather than the results' plays.

        From the results SQLite reads every play of every result; from the seeds, `rows_per_seed_play`
        rows for every play of a seed (18, a whole set, to find shared sets; 1, the next line, to find
        what followed). The engine's sets-per-track counts (when it has them) say which is fewer: a
        seed in 1 set against 150 results in 500 sets each is 18 rows against 75,000.
        """
        counts = getattr(self.engine, "sets_per_track", None)
        if counts is None:
            return False
        seed_columns, result_columns = self.columns(seeds), self.columns(results)
        seed_rows = rows_per_seed_play * int(counts[seed_columns[seed_columns >= 0]].sum())
        return seed_rows < int(counts[result_columns[result_columns >= 0]].sum())

    def _shared_sets(self, seeds: list[int], results: list[int]) -> dict[int, tuple[int, list[int]]]:
        """Per result: (sets that play it and a seed, up to MAX_EXAMPLES of their ids, newest first).

        From the run's own sets (`models.evidence`); a run trained before it stored them asks SQLite.
        """
        if self._evidence is not None:
            found = self._evidence.shared(self.columns(seeds), self.columns(results), MAX_EXAMPLES)
            return dict(zip(results, found, strict=True))
        sql, params = (_shared_from_seeds if self._cheaper_from_seeds(seeds, results, 18) else _shared_from_results)(
            seeds, results)
        rows: dict[int, list[tuple]] = {t: [] for t in results}
        for track_id, set_id, date in self._conn().execute(sql, params):
            rows[track_id].append((date or "", set_id))
        out = {}
        for track_id, found in rows.items():
            found.sort(reverse=True)  # newest first
            out[track_id] = (len(found), [set_id for _, set_id in found[:MAX_EXAMPLES]])
        return out

    def _followed(self, seeds: list[int], results: list[int]) -> dict[int, int]:
        """Per result: how often it was played right after a seed, each seed counted once per set (with
        several seeds a set where it follows two of them counts twice); from the run, as `_shared_sets`."""
        if self._evidence is not None:
            counts = self._evidence.followed(self.columns(seeds), self.columns(results))
            return dict(zip(results, counts.tolist(), strict=True))
        sql, params = (_followed_from_seeds if self._cheaper_from_seeds(seeds, results, 1) else _followed_from_results)(
            seeds, results)
        return dict(self._conn().execute(sql, params).fetchall())

    def _explain(self, seeds: list[int], picked: list[tuple[int, float]]) -> list[Recommendation]:
        if not picked:
            return []
        results = [track_id for track_id, _ in picked]
        conn = self._conn()
        shared = self._shared_sets(seeds, results)
        example_ids = sorted({set_id for _, newest in shared.values() for set_id in newest})
        sets = {row[0]: ExampleSet(*row) for row in conn.execute(
            f"SELECT id, title, date, url FROM sets WHERE id IN ({_placeholders(example_ids)})", example_ids)}
        followed = self._followed(seeds, results)
        info = self._track_info([*results, *seeds])
        seed_artists = {fold(a) for s in seeds if s in info for a in info[s].artists}
        seed_labels = {fold(info[s].label) for s in seeds if s in info and info[s].label}
        out = []
        for track_id, score in picked:
            track = info.get(track_id) or _TrackInfo("", "", None, None)
            out.append(
                Recommendation(
                    track_id=track_id,
                    score=score,
                    engine=self.engine.name,
                    artist=track.artist,
                    title=track.title,
                    spotify_id=track.spotify_id,
                    label=track.label,
                    shared_sets=shared[track_id][0],
                    examples=tuple(sets[set_id] for set_id in shared[track_id][1] if set_id in sets),
                    followed_count=int(followed.get(track_id, 0)),
                    shared_artists=tuple(a for a in track.artists if fold(a) in seed_artists),
                    shared_label=track.label if track.label and fold(track.label) in seed_labels else None,
                )
            )
        return out


class RecommenderLoader:
    """The current `Recommender`, reloaded when `current` points at another run.

    `get()` checks the pointer at most every `check_every` seconds; loading happens outside the
    requests' way (the old object keeps serving until the new one is ready).
    """

    def __init__(self, models_dir: Path | str, catalog_path: Path | str, *, check_every: float = 2.0):
        self.models_dir = Path(models_dir)
        self.catalog_path = Path(catalog_path)
        self.check_every = check_every
        self._lock = threading.Lock()
        self._recommender: Recommender | None = None
        self._checked_at = float("-inf")
        self._preload_lock = threading.Lock()
        self._preloader: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings, **kwargs) -> RecommenderLoader:
        return cls(settings.models_dir, settings.catalog_path, **kwargs)

    @property
    def loaded(self) -> Recommender | None:
        """The recommender already loaded, without waiting or checking for a newer run."""
        return self._recommender

    def preload(self) -> bool:
        """Load the published run in a background thread (once); True while that load is running.

        `get()` callers wait for it; a page that only shows the status need not (see `ui.status.PageFacts`).
        """
        with self._preload_lock:
            if self._preloader is None:
                self._preloader = threading.Thread(target=self._preload, name="model-preload", daemon=True)
                self._preloader.start()
            return self._preloader.is_alive()

    def _preload(self) -> None:
        try:
            self.get()
        except CratediggerError as error:  # nothing published yet: get() raises it again for whoever asks
            log.info("no model to preload: %s", error)

    def get(self) -> Recommender:
        """The recommender of the published run; `ArtifactMissingError` when nothing is published."""
        now = time.monotonic()
        current = self._recommender
        if current is not None and now - self._checked_at < self.check_every:
            return current
        if not self._lock.acquire(blocking=current is None):
            return current  # another thread is checking or loading; keep serving the old run
        try:
            self._checked_at = time.monotonic()
            run_id = current_run_id(self.models_dir)
            if self._recommender is None or (run_id is not None and run_id != self._recommender.run_id):
                if run_id is None:
                    current_run(self.models_dir)  # raises with what to do
                loaded = Recommender(load_run(self.models_dir / run_id), self.catalog_path)
                log.info("loaded model run %s", loaded.run_id)
                self._recommender = loaded
            return self._recommender
        finally:
            self._lock.release()
