"""Opening the SQLite catalog and migrating its schema.

The schema version lives in `PRAGMA user_version`; `MIGRATIONS[i]` takes the
schema from version i to i + 1, either an SQL script or a function of the connection (for data
SQL cannot compute). Append new migrations, never edit old ones.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.identity import on_sides, search_text
from errors import ConfigError, CratediggerError

logger = logging.getLogger(__name__)


def fill_track_search(conn: sqlite3.Connection) -> None:
    """Recompute every track's `search` column (`catalog.identity.search_text`) from its stored names.

    One UPDATE with a Python function per row (38-41 s at 1.5M tracks, bench/README.md); a migration
    that changes how names fold appends this again.
    """
    n_tracks = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    if n_tracks > 100_000:
        logger.warning("Preparing %s tracks for text search (once, about %.0f s)…", f"{n_tracks:,}",
                       n_tracks / 1_500_000 * 40)
    conn.create_function(
        "search_text", 5,
        lambda key, artist, artists, title, version: search_text(key, artist, json.loads(artists or "[]"), title,
                                                                 version),
        deterministic=True,
    )
    conn.execute("UPDATE tracks SET search = search_text(key, artist, artists, title, version)")


def _add_track_search(conn: sqlite3.Connection) -> None:
    """The folded search text of every track (`tracks.search`) and its index."""
    conn.execute("ALTER TABLE tracks ADD COLUMN search TEXT NOT NULL DEFAULT ''")
    fill_track_search(conn)
    # Searches scan this index, not the table: a third of the pages (84 vs 180 ms at 1.5M tracks).
    conn.execute("CREATE INDEX tracks_search ON tracks (search)")


MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    # 1: sets, tracks, plays, crawl state, Spotify lookups.
    """
    CREATE TABLE sets (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,              -- 'mixesdb', 'import', 'demo'
        source_key TEXT NOT NULL,          -- page title or external set id
        url TEXT,
        title TEXT NOT NULL,
        date TEXT,                         -- 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'
        djs TEXT NOT NULL DEFAULT '[]',    -- JSON list
        venue TEXT,
        city TEXT,
        show TEXT,
        styles TEXT NOT NULL DEFAULT '[]', -- JSON list
        tracklist_complete INTEGER,        -- 1, 0 or NULL when unknown
        n_lines INTEGER NOT NULL DEFAULT 0,
        n_unknown INTEGER NOT NULL DEFAULT 0,
        is_demo INTEGER NOT NULL DEFAULT 0,
        added_at TEXT NOT NULL DEFAULT (datetime('now')),
        UNIQUE (source, source_key)
    );
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,          -- identity, see catalog.identity
        artist TEXT NOT NULL,              -- display artist string
        artists TEXT NOT NULL DEFAULT '[]',-- JSON list, primary first
        title TEXT NOT NULL,
        version TEXT,
        label TEXT,
        catalog_number TEXT,
        spotify_id TEXT,
        isrc TEXT,
        duration_ms INTEGER,
        tempo REAL,                        -- BPM
        musical_key TEXT,                  -- e.g. 'A minor'
        camelot TEXT,                      -- e.g. '8A'
        key_confidence REAL,
        audio_path TEXT,
        is_demo INTEGER NOT NULL DEFAULT 0,
        added_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE INDEX tracks_spotify_id ON tracks (spotify_id);
    CREATE INDEX tracks_isrc ON tracks (isrc);
    CREATE TABLE plays (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES sets (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,         -- 1-based line number in the tracklist
        part INTEGER NOT NULL DEFAULT 0,   -- 0, or 1.. for the parts of a 'w/' mashup
        cue TEXT,
        track_id INTEGER NOT NULL REFERENCES tracks (id),
        raw_line TEXT,
        UNIQUE (set_id, position, part)
    );
    CREATE INDEX plays_track ON plays (track_id);
    CREATE TABLE crawl_pages (
        title TEXT PRIMARY KEY,
        kind TEXT NOT NULL,                -- 'category' or 'mix'
        origin TEXT,                       -- category that led here
        state TEXT NOT NULL DEFAULT 'pending', -- 'pending', 'done', 'failed', 'skipped'
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE INDEX crawl_pages_state ON crawl_pages (state, kind);
    CREATE TABLE crawl_state (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    CREATE TABLE spotify_lookups (
        spotify_id TEXT PRIMARY KEY,
        body TEXT NOT NULL,                -- JSON track object as returned by the Web API
        fetched_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE spotify_matches (
        track_id INTEGER PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
        status TEXT NOT NULL,              -- 'accepted', 'rejected', 'error'
        spotify_id TEXT,
        confidence REAL,
        isrc TEXT,
        detail TEXT,
        searched_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    """,
    # A covering index for the evidence queries (which sets play a track, at which position): they read
    # (track, set, position) from the index alone instead of one table lookup per play. It serves
    # every `track_id = ?` lookup the old single-column index did.
    """
    CREATE INDEX plays_track_set_position ON plays (track_id, set_id, position);
    DROP INDEX plays_track;
    """,
    # Folded credits for text search (accents gone, featured guests and external ids included): the
    # autocomplete matches one lower-case column in SQL instead of folding names per row in Python.
    _add_track_search,
]

SCHEMA_VERSION = len(MIGRATIONS)


def register_functions(conn: sqlite3.Connection) -> None:
    """The Python functions the catalog's queries call (`search_on_sides`: `catalog.identity.on_sides`), once per
    connection: SQLite refuses to register one while another statement on the connection is running."""
    conn.create_function("search_on_sides", 3, on_sides, deterministic=True)


def connect_existing(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """`connect` to a catalog that must exist already (verbs that read it): a mistyped CRATEDIGGER_DATA_DIR
    gets a sentence (exit 3), not a new, empty catalog."""
    from errors import ArtifactMissingError

    if not Path(path).is_file():
        raise ArtifactMissingError(f"No catalog at {path}: check CRATEDIGGER_DATA_DIR, or build one "
                                   "(`python cli.py import-tracklists FILE`, `crawl` or `demo`).")
    return connect(path, readonly=readonly)


def connect(path: Path | str, *, readonly: bool = False, timeout: float = 30.0) -> sqlite3.Connection:
    """Open (and, unless `readonly`, create and migrate) the catalog at `path`.

    Autocommit outside `transaction()`; WAL mode lets the dashboard read while an offline command writes; foreign
    keys are on; rows come back as `sqlite3.Row`. A read-only connection never writes, except that a catalog
    at an older schema is first brought up to date (once, through a writable connection): readers need its
    columns.
    """
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=timeout, check_same_thread=False, isolation_level=None
        )
        if schema_version(conn) < SCHEMA_VERSION:
            connect(path, timeout=timeout).close()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    register_functions(conn)
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    if not readonly:
        migrate(conn)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration past the stored version, each in its own transaction.

    The version is read again inside each transaction, so two processes opening an old catalog at once
    apply each migration once. A failed migration leaves the catalog as it was and raises
    `CratediggerError` saying so.
    """
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"The catalog has schema version {version}, newer than this Cratedigger knows "
            f"({SCHEMA_VERSION}). Update Cratedigger or point CRATEDIGGER_DATA_DIR elsewhere."
        )
    for index in range(version, SCHEMA_VERSION):
        migration = MIGRATIONS[index]
        try:
            with transaction(conn):
                if schema_version(conn) > index:  # another process applied it while we waited
                    continue
                if callable(migration):
                    migration(conn)
                else:
                    for statement in _statements(migration):
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={index + 1}")
        except sqlite3.Error as error:
            path = conn.execute("PRAGMA database_list").fetchone()[2] or "(in memory)"
            raise CratediggerError(
                f"Upgrading the catalog {path} to schema version {index + 1} failed ({error}); it was left "
                f"unchanged at version {index}. Check that the disk has free space and that no other Cratedigger "
                "command is writing to the catalog, then run the command again."
            ) from error
    return schema_version(conn)


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (our scripts have no ';' inside literals)."""
    for statement in script.split(";"):
        lines = [line.split("--", 1)[0] for line in statement.splitlines()]
        text = "\n".join(lines).strip()
        if text:
            yield text


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`, or `ROLLBACK` on any exception."""
    if conn.in_transaction:  # nested: join the outer transaction
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
