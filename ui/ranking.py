"""Re-ranking a query's candidates with the dashboard's controls and the DJ's feedback.

Pure functions over JSON-friendly dicts (what `dcc.Store` holds), so changing a
control never recomputes recommendations. A candidate dict has at least
`track_id, artist, title, score` and optionally `sound_score, bpm, camelot,
styles, label, artists`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog.identity import fold
from catalog.keys import harmonic_match

# Feedback moves an attribute's weight by this much per vote, within these bounds; a track's
# multiplier is the product over its artist, label and style, so no track's weight can exceed
# another's by more than (MAX_WEIGHT / MIN_WEIGHT) ** 3. A style the query itself has is not an
# attribute: a 👎 on one House track in a House query says nothing against House.
FEEDBACK_STEP = 0.35
MIN_WEIGHT, MAX_WEIGHT = 0.5, 2.0
SOUND_FLOOR = 0.05  # the least similar sound score among a query's candidates, after `_spread`


@dataclass(frozen=True)
class Controls:
    """The dashboard's ranking controls; defaults change nothing."""

    n: int = 20
    blend: float = 0.0  # 0 = only DJ-set evidence, 1 = only sound
    bpm_percent: float | None = None  # keep tracks within ± this % of the query's BPM
    allow_half_double: bool = True
    harmonic_only: bool = False
    one_per_artist: bool = False
    styles: tuple[str, ...] = ()
    hide: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Feedback:
    liked: tuple[int, ...] = ()
    disliked: tuple[int, ...] = ()


def bpm_within(bpm: float | None, query_bpm: float | None, percent: float, *, half_double: bool) -> bool:
    """True when `bpm` is within ± `percent` % of `query_bpm` (or of its half/double when allowed).

    Unknown tempos pass: a filter should not hide what it cannot judge.
    """
    if not bpm or not query_bpm:
        return True
    targets = [query_bpm, query_bpm / 2, query_bpm * 2] if half_double else [query_bpm]
    return any(abs(bpm - t) <= t * percent / 100 for t in targets)


def normalised(values: list[float | None]) -> list[float]:
    """DJ-set scores scaled so the best is 1 (ratios kept, negatives clipped to 0; None → 0)."""
    top = max((v for v in values if v is not None), default=0.0)
    if top <= 0:
        return [0.0] * len(values)
    return [0.0 if v is None else max(v, 0.0) / top for v in values]


def _spread(values: list[float | None]) -> list[float]:
    """Sound scores (cosines) mapped onto [SOUND_FLOOR, 1] over the candidates: the lowest → SOUND_FLOOR (still
    more than no sound score, None → 0), the best → 1.

    Not ratios as `normalised`: a query's sound neighbours all have cosines near 1, and ratios would
    squeeze them into 0.99-1.00, so the blend could not tell them apart.
    """
    known = [v for v in values if v is not None]
    if not known:
        return [0.0] * len(values)
    low, high = min(known), max(known)
    width = (high - low) / (1 - SOUND_FLOOR) if high > low else 1.0
    return [0.0 if v is None else 1.0 - (high - v) / width for v in values]


_HARMONY_ORDER = ("same", "compatible", "clash", "unknown")


def best_harmony(query_camelots: list[str | None], camelot: str | None) -> str:
    """How well `camelot` mixes with the best-matching of the query's keys (a crate has several)."""
    return min((harmonic_match(q, camelot) for q in query_camelots), key=_HARMONY_ORDER.index, default="unknown")


def artist_key(candidate: dict) -> str:
    """The folded main artist of a candidate: what 'one per artist' compares."""
    return fold((candidate.get("artists") or [candidate.get("artist", "")])[0] or "")


def first_per_artist(candidates: list[dict]) -> list[dict]:
    """`candidates` (best first) keeping each main artist's first track only."""
    seen: set[str] = set()
    return [c for c in candidates if not (artist_key(c) in seen or seen.add(artist_key(c)))]


def _attributes(candidate: dict, query_styles: frozenset[str] = frozenset()) -> list[str]:
    artists = candidate.get("artists") or [candidate.get("artist", "")]
    attributes = [f"artist:{fold(a)}" for a in artists[:1] if a]
    if candidate.get("label"):
        attributes.append(f"label:{fold(candidate['label'])}")
    attributes += [f"style:{s}" for s in (candidate.get("styles") or [])[:1] if s not in query_styles]
    return attributes


def feedback_weights(candidates: list[dict], feedback: Feedback, query_styles: frozenset[str] = frozenset()
                     ) -> dict[str, float]:
    """Bounded weight per attribute (artist, label, a style the query has not) from 👍/👎 votes."""
    by_id = {c["track_id"]: c for c in candidates}
    votes: dict[str, int] = {}
    for track_id, sign in [(t, 1) for t in feedback.liked] + [(t, -1) for t in feedback.disliked]:
        for attribute in _attributes(by_id.get(track_id, {}), query_styles):
            votes[attribute] = votes.get(attribute, 0) + sign
    return {a: min(MAX_WEIGHT, max(MIN_WEIGHT, 1 + FEEDBACK_STEP * v)) for a, v in votes.items()}


def blended(candidate: dict, cf_score: float, sound_score: float, blend: float, *, query_has_cf: bool,
            query_has_sound: bool) -> float:
    """(1 - blend) · DJ-set score + blend · sound score, each in [0, 1].

    A candidate without a DJ-set score gets 0 there when other candidates have one (no set links it to the
    query). One without a sound score, when others have one, stands on its DJ-set score scaled by
    (1 - blend) there: at the DJ-sets end sound cannot tell, so it counts in full; at the sound end nothing
    says it sounds alike, so it counts nothing and the tracks that do sound alike come first.
    """
    has_cf, has_sound = candidate.get("score") is not None, candidate.get("sound_score") is not None
    if not has_cf and not has_sound:
        return 0.0
    cf_value = cf_score if has_cf else (0.0 if query_has_cf else sound_score)
    sound_value = sound_score if has_sound else (cf_value * (1 - blend) if query_has_sound else cf_value)
    return (1 - blend) * cf_value + blend * sound_value


def rank(candidates: list[dict], query: dict, controls: Controls, feedback: Feedback = Feedback()) -> list[dict]:
    """The candidates to show, best first, each with `rank`, `final_score` and `harmony` added."""
    cf = normalised([c.get("score") for c in candidates])
    sound = _spread([c.get("sound_score") for c in candidates])
    query_has_cf = any(c.get("score") is not None for c in candidates)
    query_has_sound = any(c.get("sound_score") is not None for c in candidates)
    query_styles = frozenset(query.get("styles") or ())
    weights = feedback_weights(candidates, feedback, query_styles)
    dismissed = set(feedback.disliked) | set(controls.hide)
    wanted_styles = set(controls.styles)
    query_bpms = query.get("bpms") or [query.get("bpm")]  # a crate: every seed's; one track: its own
    query_camelots = query.get("camelots") or [query.get("camelot")]
    scored = []
    for candidate, cf_score, sound_score in zip(candidates, cf, sound, strict=True):
        if candidate["track_id"] in dismissed:
            continue
        harmony = best_harmony(query_camelots, candidate.get("camelot"))
        if controls.harmonic_only and harmony not in ("same", "compatible"):
            continue
        if controls.bpm_percent is not None and not any(
            bpm_within(candidate.get("bpm"), bpm, controls.bpm_percent, half_double=controls.allow_half_double)
            for bpm in query_bpms
        ):
            continue
        if wanted_styles and not wanted_styles & set(candidate.get("styles") or []):
            continue
        base = blended(candidate, cf_score, sound_score, controls.blend, query_has_cf=query_has_cf,
                       query_has_sound=query_has_sound)
        multiplier = 1.0
        for attribute in _attributes(candidate, query_styles):
            multiplier *= weights.get(attribute, 1.0)
        scored.append((base * multiplier + 1e-9 * multiplier, candidate, harmony))
    scored.sort(key=lambda item: (-item[0], item[1]["track_id"]))
    shown = [{**candidate, "final_score": round(final, 4), "harmony": harmony} for final, candidate, harmony in scored]
    if controls.one_per_artist:
        shown = first_per_artist(shown)
    return [{**row, "rank": i} for i, row in enumerate(shown[: controls.n], start=1)]
