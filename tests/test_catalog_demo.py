"""The synthetic demo crate: no DJ plays back to back with themselves."""

from catalog.demo import build_demo_crate


def test_no_set_is_a_dj_b2b_with_themselves():
    crate = build_demo_crate(0)
    djs = [s.djs for s in crate.sets]
    assert any(len(d) == 2 for d in djs)  # back-to-back sets still exist
    assert all(len(set(d)) == len(d) for d in djs)
    assert all(" b2b " not in s.title or len(s.djs) == 2 for s in crate.sets)
