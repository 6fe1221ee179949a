import sqlite3
import threading

import pytest

from catalog import db
from catalog.store import PlayRecord, SetRecord, TrackRecord, save_set, upsert_track
from errors import CratediggerError


def _set(key: str, n: int = 3, source: str = "test") -> SetRecord:
    plays = [PlayRecord(position=i + 1, track=TrackRecord(f"Artist {i}", f"Title {i}")) for i in range(n)]
    return SetRecord(source=source, source_key=key, title=f"Set {key}", plays=plays, djs=["DJ"], styles=["Techno"])


def test_new_catalog_is_at_the_latest_schema_in_wal_mode(settings):
    conn = db.connect(settings.catalog_path)
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrations_apply_step_by_step_and_keep_data(settings, monkeypatch):
    conn = db.connect(settings.catalog_path)
    save_set(conn, _set("a"))
    conn.close()
    extra = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('hello')"
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS + [extra])
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    conn = db.connect(settings.catalog_path)
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    assert conn.execute("SELECT text FROM notes").fetchone()[0] == "hello"
    assert conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 3


def test_a_failed_migration_leaves_the_previous_version_and_says_so(settings, monkeypatch):
    db.connect(settings.catalog_path).close()
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS + ["CREATE TABLE ok (x INTEGER); SELECT * FROM no_such_table"])
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    with pytest.raises(CratediggerError, match="no such table.*left unchanged at version") as raised:
        db.connect(settings.catalog_path)
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    conn = sqlite3.connect(settings.catalog_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION - 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'ok'").fetchone() is None


def test_a_newer_catalog_is_refused_with_advice(settings):
    conn = db.connect(settings.catalog_path)
    conn.execute(f"PRAGMA user_version={db.SCHEMA_VERSION + 5}")
    from errors import ConfigError

    with pytest.raises(ConfigError, match="newer"):
        db.connect(settings.catalog_path)


def test_transaction_rolls_back_everything_on_error(conn):
    with pytest.raises(RuntimeError):
        with db.transaction(conn):
            save_set(conn, _set("a"))
            raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM sets").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0] == 0


def test_saving_a_set_twice_replaces_its_plays(conn):
    first = save_set(conn, _set("a", n=3))
    second = save_set(conn, _set("a", n=5))
    assert first == second
    assert conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 5
    assert conn.execute("SELECT COUNT(*) FROM sets").fetchone()[0] == 1


def test_upsert_fills_missing_fields_without_overwriting(conn):
    a = upsert_track(conn, TrackRecord("Âme", "Rej", label="Innervisions"))
    b = upsert_track(conn, TrackRecord("Ame", "Rej (Original Mix)", label="Other", spotify_id="4uLU6hMCjMI75M1A2tKUQC"))
    assert a == b
    row = conn.execute("SELECT label, spotify_id FROM tracks WHERE id = ?", (a,)).fetchone()
    assert tuple(row) == ("Innervisions", "4uLU6hMCjMI75M1A2tKUQC")


def test_readers_see_committed_data_while_a_writer_holds_a_transaction(settings):
    writer = db.connect(settings.catalog_path)
    save_set(writer, _set("committed"))
    reader = db.connect(settings.catalog_path, readonly=True)
    in_transaction, release = threading.Event(), threading.Event()

    def write():
        with db.transaction(writer):
            save_set(writer, _set("pending", n=50))
            in_transaction.set()
            release.wait(5)

    thread = threading.Thread(target=write)
    thread.start()
    assert in_transaction.wait(5)
    # The reader is not blocked and sees only committed rows.
    assert reader.execute("SELECT COUNT(*) FROM sets").fetchone()[0] == 1
    release.set()
    thread.join(5)
    assert reader.execute("SELECT COUNT(*) FROM sets").fetchone()[0] == 2


def test_deleting_a_set_deletes_its_plays(conn):
    set_id = save_set(conn, _set("a"))
    conn.execute("DELETE FROM sets WHERE id = ?", (set_id,))
    assert conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 0


def test_a_mashup_line_counts_once_in_n_lines(conn):
    """Regression: each part of a ' w/ ' mashup is a play, but the tracklist line is one line."""
    plays = [PlayRecord(1, TrackRecord("A", "One")), PlayRecord(2, TrackRecord("B", "Two"), part=1),
             PlayRecord(2, TrackRecord("C", "Three"), part=2)]
    save_set(conn, SetRecord(source="t", source_key="m", title="Mashups", plays=plays, n_unknown=1))
    assert conn.execute("SELECT n_lines FROM sets").fetchone()[0] == 3
    assert conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 3


def test_a_tracks_sets_and_positions_come_from_the_covering_index(tmp_path):
    """The evidence queries read (track, set, position) from one index, not one table row per play."""
    conn = db.connect(tmp_path / "catalog.sqlite")
    plan = " ".join(
        row[-1]
        for row in conn.execute("EXPLAIN QUERY PLAN SELECT set_id, position FROM plays WHERE track_id IN (1, 2)")
    )
    assert "COVERING INDEX plays_track_set_position" in plan


# Tracks as a catalog of schema version 2 stored them (no search column): key, artist, artists, title, version.
OLD_TRACKS = [
    ("pivi - halo", "Pivi feat. Tiësto", '["Pivi", "Ti\\u00ebsto"]', "Halo", None),
    ("ame - rej (dixon edit)", "Âme", '["\\u00c2me"]', "Rej", "Dixon Edit"),
    ("id:EXT-77", "Kölsch", '["K\\u00f6lsch"]', "Grey", None),
    ("id:ext-9", "ext-9", '["ext-9"]', "ext-9", None),
]


def _catalog_at_version_2(path, monkeypatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:2])
        patch.setattr(db, "SCHEMA_VERSION", 2)
        conn = db.connect(path)
        conn.executemany("INSERT INTO tracks (key, artist, artists, title, version) VALUES (?, ?, ?, ?, ?)", OLD_TRACKS)
        conn.close()


def test_migration_3_fills_the_search_text_as_new_tracks_get_it(settings, monkeypatch):
    """An existing catalog gets `tracks.search` for every track, the same text `upsert_track` writes."""
    from catalog.queries import search_tracks

    _catalog_at_version_2(settings.catalog_path, monkeypatch)
    conn = db.connect(settings.catalog_path)
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    migrated = dict(conn.execute("SELECT key, search FROM tracks").fetchall())
    assert migrated["pivi - halo"] == "pivi - halo | tiesto"
    assert migrated["id:EXT-77"] == "kolsch - grey | id ext 77"
    fresh = db.connect(settings.data_dir / "fresh.sqlite")
    for key, artist, _, title, version in OLD_TRACKS:
        track_id = upsert_track(fresh, TrackRecord(artist, title, version, key=key if key.startswith("id:") else None))
        assert tuple(fresh.execute("SELECT key, search FROM tracks WHERE id = ?", (track_id,)).fetchone()) == (
            key, migrated[key])
    assert [r["title"] for r in search_tracks(conn, "tiesto")] == ["Halo"]
    assert [r["artist"] for r in search_tracks(conn, "kolsch - grey")] == ["Kölsch"]


def test_migrating_again_or_after_another_process_changes_nothing(settings, monkeypatch):
    _catalog_at_version_2(settings.catalog_path, monkeypatch)
    late = sqlite3.connect(settings.catalog_path, isolation_level=None)  # read version 2, then another process upgrades
    db.connect(settings.catalog_path).close()
    stale = iter([2])  # the version `late` read before the upgrade; inside its transactions it reads the real one
    monkeypatch.setattr(db, "schema_version", lambda conn, real=db.schema_version: next(stale, None) or real(conn))
    db.migrate(late)  # each migration is skipped inside its transaction, not applied twice
    monkeypatch.undo()
    assert db.schema_version(late) == db.SCHEMA_VERSION
    assert late.execute("SELECT COUNT(*) FROM pragma_table_info('tracks') WHERE name = 'search'").fetchone()[0] == 1


def test_a_read_only_connection_upgrades_an_old_catalog_first(settings, monkeypatch):
    """The dashboard opens the catalog read-only; on a catalog from before the search column it would fail."""
    _catalog_at_version_2(settings.catalog_path, monkeypatch)
    conn = db.connect(settings.catalog_path, readonly=True)
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    assert conn.execute("SELECT search FROM tracks WHERE key = 'id:ext-9'").fetchone()[0] == "ext 9 - ext 9 | id ext 9"


def test_text_search_scans_the_search_index_not_the_table(conn):
    """The autocomplete filters on `tracks_search` alone (a third of the table's pages at 1.5M tracks)."""
    plan = " ".join(
        row[-1] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM tracks WHERE id IN "
            "(SELECT id FROM tracks INDEXED BY tracks_search WHERE search LIKE '%a%')")
    )
    assert "COVERING INDEX tracks_search" in plan
