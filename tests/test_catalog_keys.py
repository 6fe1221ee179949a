import pytest

from catalog.keys import (
    CAMELOT,
    KEYS,
    camelot_code,
    camelot_compatible,
    camelot_distance,
    harmonic_match,
    parse_key,
)
from errors import BadInputError


def test_the_wheel_has_24_keys_with_24_codes():
    assert len(KEYS) == 24 and len(set(CAMELOT.values())) == 24
    assert CAMELOT["A minor"] == "8A" and CAMELOT["C major"] == "8B" and CAMELOT["Eb minor"] == "2A"


@pytest.mark.parametrize("text, code", [("A minor", "8A"), ("Am", "8A"), ("D# minor", "2A"), ("Ebm", "2A"),
                                        ("Bb major", "6B"), ("8a", "8A"), ("12B", "12B"), ("nonsense", None)])
def test_any_spelling_gives_its_camelot_code(text, code):
    assert camelot_code(text) == code


def test_distance_compatibility_and_badges():
    assert camelot_distance("12A", "1A") == 1 and camelot_distance("8A", "8B") == 1
    assert camelot_distance("8A", "10A") == 2 and camelot_distance("8A", None) is None
    assert camelot_compatible("8A", "9A") and not camelot_compatible("8A", "9B")
    assert [harmonic_match("8A", c) for c in ("8A", "7A", "3B", "")] == ["same", "compatible", "clash", "unknown"]


def test_bad_keys_are_refused_with_the_value():
    with pytest.raises(BadInputError, match="H minor"):
        parse_key("H minor")
