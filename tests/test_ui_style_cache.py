"""The per-process style cache answers like the catalog, and forgets when the catalog changes."""

from catalog.db import connect
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set
from ui.style_cache import StyleCache


def _set(conn, number: int, styles: list[str], tracks: list[str]) -> None:
    save_set(conn, SetRecord(source="test", source_key=f"s{number}", title=f"2020-01-0{number} - DJ - Show",
                             styles=styles, plays=[PlayRecord(position=i + 1, track=TrackRecord(artist="A", title=t))
                                                   for i, t in enumerate(tracks)]))


def test_styles_come_from_the_catalog_and_follow_its_changes(settings):
    conn = connect(settings.catalog_path)
    _set(conn, 1, ["Techno"], ["x", "y"])
    ids = [row[0] for row in conn.execute("SELECT id FROM tracks ORDER BY title")]
    cache = StyleCache()
    assert cache.get(conn, ids) == {ids[0]: ["Techno"], ids[1]: ["Techno"]}
    assert cache.get(conn, ids[:1]) == {ids[0]: ["Techno"]}  # from the cache
    _set(conn, 2, ["House"], ["x"])
    _set(conn, 3, ["House"], ["x"])
    assert cache.get(conn, ids[:1]) == {ids[0]: ["House", "Techno"]}  # the catalog changed: asked again
    conn.close()
