import itertools

from ui.ranking import (
    MAX_WEIGHT,
    MIN_WEIGHT,
    Controls,
    Feedback,
    bpm_within,
    feedback_weights,
    first_per_artist,
    rank,
)

QUERY = {"track_id": 0, "bpm": 124.0, "camelot": "8A"}


def _candidate(track_id, score, *, artist=None, bpm=124.0, camelot="8A", style="House", label="L", sound=None):
    return {"track_id": track_id, "artist": artist or f"A{track_id}", "artists": [artist or f"A{track_id}"],
            "title": f"T{track_id}", "score": score, "sound_score": sound, "bpm": bpm, "camelot": camelot,
            "styles": [style], "label": label}


CANDIDATES = [
    _candidate(1, 0.9, bpm=125, camelot="8A"),
    _candidate(2, 0.8, bpm=140, camelot="9A", style="Techno"),
    _candidate(3, 0.7, bpm=62, camelot="3B", artist="A1"),
    _candidate(4, 0.6, bpm=None, camelot=None),
    _candidate(5, 0.5, bpm=123, camelot="8B", style="Techno"),
]


def ids(rows):
    return [r["track_id"] for r in rows]


def test_default_controls_keep_the_model_order():
    rows = rank(CANDIDATES, QUERY, Controls())
    assert ids(rows) == [1, 2, 3, 4, 5]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]


def test_n_limits_the_results():
    assert ids(rank(CANDIDATES, QUERY, Controls(n=2))) == [1, 2]


def test_bpm_range_with_and_without_half_time():
    assert ids(rank(CANDIDATES, QUERY, Controls(bpm_percent=4))) == [1, 3, 4, 5]  # 62 is half of 124; unknown passes
    assert ids(rank(CANDIDATES, QUERY, Controls(bpm_percent=4, allow_half_double=False))) == [1, 4, 5]


def test_bpm_within_edges():
    assert bpm_within(128.9, 124, 4, half_double=False)
    assert not bpm_within(129.1, 124, 4, half_double=False)
    assert bpm_within(248, 124, 1, half_double=True)


def test_harmonic_only_keeps_camelot_neighbours():
    rows = rank(CANDIDATES, QUERY, Controls(harmonic_only=True))
    assert ids(rows) == [1, 2, 5]
    assert [r["harmony"] for r in rows] == ["same", "compatible", "compatible"]


def test_one_per_artist_and_style_filter_and_hide():
    assert ids(rank(CANDIDATES, QUERY, Controls(one_per_artist=True))) == [1, 2, 4, 5]
    assert ids(rank(CANDIDATES, QUERY, Controls(styles=("Techno",)))) == [2, 5]
    assert ids(rank(CANDIDATES, QUERY, Controls(hide=frozenset({1, 2})))) == [3, 4, 5]


def test_blend_moves_towards_sound():
    candidates = [_candidate(1, 1.0, sound=0.0), _candidate(2, 0.0, sound=1.0)]
    assert ids(rank(candidates, QUERY, Controls(blend=0.0))) == [1, 2]
    assert ids(rank(candidates, QUERY, Controls(blend=1.0))) == [2, 1]


def test_dislike_removes_the_track_and_damps_its_artist():
    candidates = [_candidate(1, 0.9, artist="X"), _candidate(2, 0.85, artist="X"), _candidate(3, 0.8, artist="Y")]
    rows = rank(candidates, QUERY, Controls(), Feedback(disliked=(1,)))
    assert ids(rows) == [3, 2]


def test_like_boosts_the_artist_label_and_style():
    candidates = [_candidate(1, 0.9, artist="X", label="P"), _candidate(2, 0.5, artist="Y", label="Q"),
                  _candidate(3, 0.45, artist="Y", label="Q")]
    rows = rank(candidates, QUERY, Controls(), Feedback(liked=(3,)))
    assert ids(rows)[0] == 2


def test_feedback_weights_are_bounded_however_many_votes():
    candidates = [_candidate(i, 1.0, artist="X", label="L", style="S") for i in range(50)]
    many_likes = feedback_weights(candidates, Feedback(liked=tuple(range(50))))
    many_dislikes = feedback_weights(candidates, Feedback(disliked=tuple(range(50))))
    assert max(many_likes.values()) == MAX_WEIGHT
    assert min(many_dislikes.values()) == MIN_WEIGHT
    # so no track's multiplier can exceed another's by more than (MAX/MIN) ** 3
    for a, b in itertools.product(many_likes.values(), many_dislikes.values()):
        assert a / b <= MAX_WEIGHT / MIN_WEIGHT


def test_no_candidates_gives_no_rows():
    assert rank([], QUERY, Controls()) == []


def test_a_dislike_does_not_damp_the_querys_own_style():
    house_query = {**QUERY, "styles": ["House"]}
    candidates = [_candidate(1, 0.9, label="P"), _candidate(2, 0.8, label="Q"),
                  _candidate(3, 0.75, style="Breaks", label="R")]
    assert ids(rank(candidates, house_query, Controls(), Feedback(disliked=(1,)))) == [2, 3]
    # without the query's style the disliked track's style is damped: Breaks overtakes the other House track
    assert ids(rank(candidates, QUERY, Controls(), Feedback(disliked=(1,)))) == [3, 2]


def test_at_the_sound_end_tracks_that_sound_alike_come_first():
    candidates = [_candidate(1, 1.0, sound=None), _candidate(2, 0.5, sound=0.96), _candidate(3, 0.4, sound=0.97)]
    assert ids(rank(candidates, QUERY, Controls(blend=1.0))) == [3, 2, 1]
    assert ids(rank(candidates, QUERY, Controls(blend=0.0))) == [1, 2, 3]
    assert ids(rank(candidates, QUERY, Controls(blend=0.3)))[0] == 1  # the DJ-set favourite still leads


def test_sound_scores_are_spread_over_the_candidates_not_squeezed_near_one():
    candidates = [_candidate(i, None, sound=cosine) for i, cosine in enumerate((0.99, 0.98, 0.97), start=1)]
    assert [r["final_score"] for r in rank(candidates, QUERY, Controls(blend=1.0))] == [1.0, 0.525, 0.05]


def test_first_per_artist_folds_names_and_keeps_the_order():
    rows = [_candidate(1, 0.9, artist="Âme"), _candidate(2, 0.8, artist="ame"), _candidate(3, 0.7, artist="Dixon")]
    assert ids(first_per_artist(rows)) == [1, 3]


def test_a_crates_filters_and_key_badges_fit_any_of_its_seeds():
    crate = {"track_id": 0, "bpm": 124.0, "camelot": "8A", "bpms": [124.0, 174.0], "camelots": ["8A", "4A"]}
    candidates = [_candidate(1, 0.9, bpm=125, camelot="8A"), _candidate(2, 0.8, bpm=175, camelot="5A"),
                  _candidate(3, 0.7, bpm=150, camelot="11B")]
    assert ids(rank(candidates, crate, Controls(bpm_percent=4, allow_half_double=False))) == [1, 2]
    rows = rank(candidates, crate, Controls(harmonic_only=True))
    assert ids(rows) == [1, 2] and [r["harmony"] for r in rows] == ["same", "compatible"]
    assert ids(rank(candidates, {**crate, "bpms": None, "camelots": None}, Controls(harmonic_only=True))) == [1]
