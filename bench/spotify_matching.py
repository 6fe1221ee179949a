"""Precision/recall of `spotify.matching` on the real matched sets (../shared/fixtures/sets/).

Query: the `artist` + `song` columns of each distinct tracklist entry (as MixesDB wrote them).
Truth: the `spotify_id` column. The stand-in search answers from the real catalogue entries
(every distinct Spotify ID with its Spotify track name) plus generated distractors (another artist's
remix of every title, a cover by another artist, the original of every remix) — see
`tests/fakes/spotify_catalogue.py`.

    /work/main/.venv/bin/python bench/spotify_matching.py [--http] [--sample N] [--threshold T]

`--http` sends every search through spotipy to the loopback fake (slower, same answers).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm  # noqa: E402

from catalog.identity import parse_track_name  # noqa: E402
from spotify.matching import DEFAULT_THRESHOLD, match_track  # noqa: E402
from tests.fakes.spotify_catalogue import entries_from_rows, repair, set_rows, track_object, with_distractors  # noqa: E402
from tests.fakes.spotify_server import FakeSpotify  # noqa: E402


def evaluate(rows: list[dict], *, threshold: float = DEFAULT_THRESHOLD, http: bool = False,
             sample: int | None = None, seed: int = 0, progress: bool = True, all_originals: bool = False) -> dict:
    """Match every distinct (artist, song) of `rows`; precision/recall against `spotify_id`.

    `all_originals` adds the original of every remix to the catalogue even where no tracklist line
    names the remix (then the truth label is a coin toss for any matcher)."""
    entries = entries_from_rows(rows)
    named = {r["spotify_id"] for r in rows if parse_track_name(repair(r["artist"]) or "?", repair(r["song"]) or "?").version}
    catalogue = with_distractors(entries, originals=None if all_originals else named)
    names = {e.spotify_id: (e.artists, e.name) for e in entries}
    truth: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        truth[(repair(row["artist"]).strip(), repair(row["song"]).strip())].add(row["spotify_id"])
    queries = sorted(truth)
    if sample:
        queries = random.Random(seed).sample(queries, min(sample, len(queries)))
    fake = FakeSpotify([track_object(e) for e in catalogue])
    if http:
        from dataclasses import replace

        from config import load_settings
        from spotify.client import SpotifyClient

        fake.start()
        settings = replace(load_settings(environ={}), spotify_client_id=fake.client_id,
                           spotify_client_secret=fake.client_secret, spotify_api_url=fake.api_url,
                           spotify_accounts_url=fake.accounts_url)
        client = SpotifyClient.from_settings(settings)

        def search(q, limit):
            return client.search_tracks(q, limit=limit)
    else:
        def search(q, limit):
            return fake.search(q, limit, 0)[0]

    accepted = correct = same_name = searches = 0
    wrong: list[str] = []
    started = time.perf_counter()
    for artist, song in tqdm(queries, disable=not progress, desc="matching", unit="track"):
        try:
            name = parse_track_name(artist, song)
        except ValueError:
            continue
        result = match_track(search, name, threshold=threshold)
        searches += len(result.queries)
        if result.status != "accepted":
            continue
        accepted += 1
        ids = truth[(artist, song)]
        if result.spotify_id in ids:
            correct += 1
        elif result.spotify_id in names and any(names.get(i) == names[result.spotify_id] for i in ids):
            same_name += 1  # another release of the same recording (identical credits and name)
        else:
            wrong.append(f"{artist} - {song}  ->  {result.detail}  (truth {sorted(ids)})")
    elapsed = time.perf_counter() - started
    fake.stop()
    n = len(queries)
    return {
        "queries": n,
        "catalogue": len(catalogue),
        "real_entries": len(entries),
        "accepted": accepted,
        "correct": correct,
        "same_recording_other_id": same_name,
        "precision": (correct + same_name) / accepted if accepted else 0.0,
        "precision_strict": correct / accepted if accepted else 0.0,
        "recall": (correct + same_name) / n if n else 0.0,
        "searches_per_track": searches / n if n else 0.0,
        "seconds": elapsed,
        "wrong": wrong,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--sample", type=int)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--show-wrong", type=int, default=15)
    parser.add_argument("--all-originals", action="store_true")
    args = parser.parse_args()
    rows = set_rows()
    if not rows:
        print("../shared/fixtures/sets/ is not here: nothing to measure.")
        return 2
    result = evaluate(rows, threshold=args.threshold, http=args.http, sample=args.sample,
                      all_originals=args.all_originals)
    for line in result.pop("wrong")[: args.show_wrong]:
        print("WRONG", line)
    for key, value in result.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
