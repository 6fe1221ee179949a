"""From what a DJ pasted to a query card and a list of candidates (JSON-friendly dicts).

`answer_query` is the dashboard's one heavy call; it returns everything the
controls later re-rank without coming back here. Errors become messages.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from catalog.db import connect
from catalog.queries import search_tracks, track_label, tracks_by_ids
from catalog.seeds import resolve_seeds, split_queries
from errors import ArtifactMissingError, CratediggerError
from ui.newest_only import NewestOnly
from ui.ranking import first_per_artist
from ui.style_cache import StyleCache

CANDIDATES = 150  # fetched once per query; controls pick from these
SOUND_EXTRA = 40  # sound-alike tracks added to a DJ-set answer, for the blend slider
SOUNDS_ALIKE = 0.5  # cosine similarity from which "sounds alike" is said
_DATE_PREFIX = re.compile(r"^\s*[-–]?\s*\d{4}(?:-[\dX]{2}){0,2}\s+-\s+")  # MixesDB titles start with the date
STYLES = StyleCache()  # this process's; styles change only on import
SUGGESTIONS = NewestOnly()  # the autocomplete's searches: one at a time, for each tab's newest keystroke


@dataclass
class Answer:
    query: dict | None = None
    seeds: list[dict] | None = None
    text: str | None = None  # what was pasted: asked again when the destination playlist changes
    candidates: list[dict] | None = None
    message: str | None = None
    level: str = "info"  # 'info', 'warning' or 'error'

    def to_store(self) -> dict:
        return {
            "query": self.query,
            "text": self.text,
            "seeds": self.seeds or [],
            "candidates": self.candidates or [],
            "message": self.message,
            "level": self.level,
        }


def open_catalog(settings) -> sqlite3.Connection | None:
    if not settings.catalog_path.is_file():
        return None
    return connect(settings.catalog_path, readonly=True)


def suggest(conn: sqlite3.Connection | None, text: str, *, limit: int = 8, tab: str | None = None) -> list[str] | None:
    """Autocomplete labels (`artist - title (version)`) for what has been typed so far (after the last `;` of a
    crate, the tracks before it kept in front), typos forgiven when nothing matches as typed; searched for the
    newest keystroke of `tab` (the page's `tab-id`) only (`SUGGESTIONS`: None for that tab's older keystrokes,
    whose suggestions would be replaced at once)."""
    done, _, typing = (text or "").rpartition(";")  # a crate: the track being typed is the last one
    typing = typing.strip()
    if conn is None or len(typing) < 2 or "spotify" in typing.lower() or "/" in typing:
        return []
    rows = SUGGESTIONS.run(conn, lambda: search_tracks(conn, typing, limit=limit, typos=True), given_up=None, caller=tab)
    before = f"{done.rstrip()}; " if done.strip() else ""  # the tracks typed before it stay in the box
    return None if rows is None else [before + track_label(row) for row in rows]


def track_card(row, styles: list[str], n_sets: int | None = None) -> dict:
    """The JSON form of a catalog track for the query card and the results table."""
    import json

    return {
        "track_id": row["id"],
        "artist": row["artist"],
        "artists": json.loads(row["artists"] or "[]") or [row["artist"]],
        "title": row["title"],
        "version": row["version"],
        "label": row["label"],
        "spotify_id": row["spotify_id"],
        "is_demo": bool(row["is_demo"]),
        "bpm": row["tempo"],
        "no_clear_beat": row["tempo"] is None and row["musical_key"] is not None,  # analysed: a key, but no beat
        "key": row["musical_key"],
        "camelot": row["camelot"],
        "styles": styles,
        "audio_path": row["audio_path"],
        "n_sets": n_sets,
    }


def evidence_text(candidate: dict) -> str:
    """One line of evidence: 'played together in 14 sets · e.g. … · often played right after (3×)'."""
    pieces = []
    shared = candidate.get("shared_sets") or 0
    if shared:
        pieces.append(f"played together in {shared} set{'s' if shared != 1 else ''}")
        examples = candidate.get("example_sets") or []
        if examples:
            first = examples[0]
            date = f" ({first['date'][:4]})" if first.get("date") else ""
            pieces.append(f"e.g. {_DATE_PREFIX.sub('', first['title'])}{date}")
    if candidate.get("followed_count"):
        pieces.append(f"often played right after ({candidate['followed_count']}×)")
    sound = candidate.get("sound_score")
    if sound is not None and sound >= SOUNDS_ALIKE:
        pieces.append(f"sounds alike ({_similarity(sound)})")
    if candidate.get("shared_artists"):
        pieces.append("same artist")
    if candidate.get("shared_label"):
        pieces.append(f"same label ({candidate['shared_label']})")
    if pieces:
        return " · ".join(pieces)
    if candidate.get("score") is None and sound is not None:
        return f"near in sound ({_similarity(sound)})"
    return "linked through other sets (never in the same set yet)"


def _similarity(cosine: float) -> str:
    """The sound similarity as a percentage, "65 %" (the Score column ranks; it calls the best 1.00, QA read
    a 0.65 match shown so as perfect)."""
    return f"{round(100 * max(cosine, 0.0))} %"


def place_on_map(recommender, seed_ids: list[int], query: dict, candidates: list[dict]) -> None:
    """Give the query and candidates `x`, `y` map coordinates from the run's item factors, if it has any."""
    if not candidates or not recommender.run.has("item_factors"):
        return
    vectors = recommender.run.array("item_factors")
    from models.projection import pca_2d

    seed_columns = recommender.columns(seed_ids)
    seed_columns = seed_columns[seed_columns >= 0]
    placed = [(c, col) for c, col in zip(candidates, recommender.columns([c["track_id"] for c in candidates]),
                                         strict=True) if col >= 0]
    if not len(seed_columns) or not placed:
        return
    xy = pca_2d(np.asarray(vectors[np.concatenate([seed_columns, [col for _, col in placed]])]))
    seed_xy = xy[: len(seed_columns)].mean(axis=0)
    query["x"], query["y"] = float(seed_xy[0]), float(seed_xy[1])
    for (candidate, _), (x, y) in zip(placed, xy[len(seed_columns):], strict=True):
        candidate["x"], candidate["y"] = float(x), float(y)


def styles_for(conn, ids: list[int], recommender=None) -> dict[int, list[str]]:
    """Top styles per track: stored with the run where it has them, else counted in the catalog."""
    stored = recommender.styles(ids) if recommender is not None else None
    if stored is None:
        return STYLES.get(conn, ids)
    missing = [t for t in ids if t not in stored]  # tracks the run has never seen (sound-only, new)
    return {**stored, **(STYLES.get(conn, missing) if missing else {})}


def cards_for(conn, scored: list[tuple[int, dict]], recommender=None) -> list[dict]:
    """Catalog cards merged with each result's scores and evidence, in the given order."""
    ids = [track_id for track_id, _ in scored]
    rows = tracks_by_ids(conn, ids)
    styles = styles_for(conn, ids, recommender)
    cards = []
    for track_id, extra in scored:
        if track_id not in rows:
            continue
        card = {**track_card(rows[track_id], styles.get(track_id, [])), "score": None, "sound_score": None, **extra}
        card["evidence"] = evidence_text(card)
        cards.append(card)
    return cards


def sound_candidates(conn, sound, seed_ids: list[int], n: int, exclude=()) -> list[dict]:
    """Cards of the `n` tracks that sound most like the seeds (see `SoundIndex.query_of`), seeds and `exclude` left out."""
    banned = set(exclude)
    ids, scores = sound.neighbours_of_tracks(seed_ids, n + len(banned))
    kept = [(int(t), {"sound_score": float(s), "engine": "sound"}) for t, s in zip(ids, scores, strict=True)
            if int(t) not in banned]
    return cards_for(conn, kept[:n])


def add_sound(conn, sound, seed_ids: list[int], candidates: list[dict], exclude=()) -> list[dict]:
    """Sound scores for DJ-set candidates, plus the best sound-alikes no set links to the query (none of `exclude`)."""
    similarity = sound.similarity(seed_ids, [c["track_id"] for c in candidates])
    for candidate in candidates:
        if candidate["track_id"] in similarity:
            candidate["sound_score"] = similarity[candidate["track_id"]]
            candidate["evidence"] = evidence_text(candidate)
    have = {c["track_id"] for c in candidates} | set(seed_ids)
    extra = [c for c in sound_candidates(conn, sound, seed_ids, SOUND_EXTRA + len(have), exclude)
             if c["track_id"] not in have]
    return candidates + extra[:SOUND_EXTRA]


def answer_query(text: str, settings, loader, *, sound_loader=None, n: int = CANDIDATES,
                 exclude: Iterable[int] = ()) -> Answer:
    """Resolve `text` (one or several tracks) and fetch `n` candidates with their evidence, none of `exclude`.

    DJ-set evidence comes from the published run; a track no set in the model contains is answered
    from sound when the run has its embedding; when both engines know it, candidates carry both scores.
    `exclude` (catalog ids, e.g. the destination playlist's tracks) is left out before the `n` are counted.
    """
    conn = open_catalog(settings)
    if conn is None:
        return Answer(message="The catalog is empty: run `python cli.py demo` or import tracklists.", level="warning")
    try:
        answer = _answer(conn, text, settings, loader, sound_loader, n, [int(t) for t in exclude])
    except CratediggerError as error:
        answer = Answer(message=str(error), level="error" if error.exit_code == 2 else "warning")
    finally:
        conn.close()
    answer.text = text
    return answer


def dig(conn, seed_ids: list[int], recommender, sound_loader=None, *, n: int = CANDIDATES,
        blend_sound: bool = True, one_per_artist: bool = False, exclude: list[int] = ()) -> tuple[list[dict], str]:
    """Candidate cards for the seeds and where they come from: 'DJ sets', 'DJ sets and sound' or sound alone.

    Seeds no DJ set in the model contains are answered from sound when the newest sound run has an
    embedding of any of them (their mean); `blend_sound` adds sound scores and sound-alikes to a DJ-set answer.
    The sound index (numpy only) is loaded only when it is used. Tracks of `exclude` never come back.
    """
    if not any(recommender.knows(s) for s in seed_ids):
        sound = sound_loader.get() if sound_loader is not None else None
        if sound is None or sound.query_of(seed_ids) is None:
            raise ArtifactMissingError(
                "No DJ set in the model contains this track and it has no sound analysis yet: "
                "run `python cli.py fetch-audio` and `embed`, or analyse its audio file "
                "(`python cli.py cold-start FILE`, or drop it on the dashboard)."
            )
        neighbours = sound_candidates(conn, sound, seed_ids, 4 * n if one_per_artist else n, exclude)  # artists repeat
        return (first_per_artist(neighbours) if one_per_artist else neighbours)[:n], "sound (no DJ set plays it yet)"
    recommendations = recommender.similar(seed_ids, n=n, one_per_artist=one_per_artist, exclude=exclude)
    candidates = cards_for(conn, [(r.track_id, r.to_dict()) for r in recommendations], recommender)
    sound = sound_loader.get() if blend_sound and sound_loader is not None else None
    if sound is not None and sound.query_of(seed_ids) is not None:
        return add_sound(conn, sound, seed_ids, candidates, exclude), "DJ sets and sound"
    return candidates, "DJ sets"


def _answer(conn: sqlite3.Connection, text: str, settings, loader, sound_loader, n: int,
            exclude: list[int]) -> Answer:
    seeds = resolve_seeds(conn, settings, split_queries(text))
    seed_ids = seeds.ids
    styles = STYLES.get(conn, seed_ids)
    seed_cards = [track_card(row, styles.get(row["id"], [])) for row in seeds.rows]
    query = dict(seed_cards[0])
    if len(seed_cards) > 1:
        query["title"] = f"{len(seed_cards)} tracks"
        query["artist"] = ", ".join(c["artist"] for c in seed_cards[:3])
        query["styles"] = list(dict.fromkeys(s for c in seed_cards for s in c.get("styles") or []))
        query["bpms"] = [c["bpm"] for c in seed_cards if c.get("bpm")]  # the BPM filter and key badges take
        query["camelots"] = [c["camelot"] for c in seed_cards if c.get("camelot")]  # any seed's
    if len(seed_cards) == 1:
        from ui.artwork import artwork_url
        from ui.online import spotify_player_available
        from ui.sound import cached_spectrogram

        query["spectrogram"] = cached_spectrogram(settings, query.get("audio_path"))
        if not query["is_demo"]:
            query["artwork"] = artwork_url(settings, query.get("spotify_id"), online=spotify_player_available(settings))
    note = seeds.message()  # closest matches used, parts left out
    try:
        recommender = loader.get()
    except ArtifactMissingError as error:
        return Answer(query=query, seeds=seed_cards, message=_joined(str(error), note), level="warning")
    candidates, query["source"] = dig(conn, seed_ids, recommender, sound_loader, n=n, exclude=[*exclude, *seeds.beyond])
    place_on_map(recommender, seed_ids, query, candidates)  # no-op for a sound answer: no seed has factors
    empty = None
    if not candidates:  # the destination playlist emptied the answer only if there is one without it
        held_all = bool(exclude) and bool(dig(conn, seed_ids, recommender, sound_loader, n=1, blend_sound=False)[0])
        empty = empty_answer_sentence(len(seed_ids), excluded=held_all)
    message = _joined(note, empty)
    return Answer(query=query, seeds=seed_cards, candidates=candidates, message=message,
                  level="warning" if note else "info")


def empty_answer_sentence(n_seeds: int, *, excluded: bool) -> str:
    """Why a query of `n_seeds` tracks has no answer: every one is in the destination playlist (`excluded`), or
    no DJ set plays its tracks with others."""
    if excluded:
        seeds = "this one" if n_seeds == 1 else f"these {n_seeds} tracks"
        return f"Every track DJ sets play with {seeds} is already in the destination playlist."
    seeds = "this track" if n_seeds == 1 else f"these {n_seeds} tracks"
    return f"No DJ set plays {seeds} with others yet: nothing to recommend."


def _joined(*messages: str | None) -> str | None:
    return " ".join(m for m in messages if m) or None
