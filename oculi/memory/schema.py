"""The memory database schema as numbered migrations.

`PRAGMA user_version` records the last migration applied; each migration runs in its own
transaction, so a crash mid-upgrade leaves the previous version intact. A database written by
a newer oculi (a higher version than we know) is refused instead of guessed at.
"""

from __future__ import annotations

import time

import apsw

from oculi.memory.errors import MemoryDatabaseTooNew

EMBED_DIM = 384

# Each entry upgrades from version i to i+1. Never edit a shipped migration: append a new one.
MIGRATIONS: list[str] = [
    # 1: moments, full-text, binary vectors for coarse KNN, ingest progress, settings.
    f"""
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE moments (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('sight', 'speech')),
        ts REAL NOT NULL,
        end_ts REAL,
        source TEXT NOT NULL DEFAULT '',
        ocr_text TEXT NOT NULL DEFAULT '',
        caption TEXT,
        people INTEGER,
        transcript TEXT,
        thumb TEXT,
        location TEXT,
        created REAL NOT NULL,
        embedding BLOB NOT NULL
    );
    CREATE INDEX moments_ts ON moments (ts);
    CREATE VIRTUAL TABLE moments_fts USING fts5 (body, tokenize = 'porter unicode61');
    CREATE VIRTUAL TABLE moments_bin USING vec0 (embedding bit[{EMBED_DIM}], ts float);
    CREATE TABLE ingest_runs (
        source_key TEXT PRIMARY KEY,
        last_ts REAL NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        updated REAL NOT NULL
    );
    """,
    # 2: why a moment has no image (e.g. face blurring failed, so none was stored).
    "ALTER TABLE moments ADD COLUMN image_note TEXT;",
]

LATEST = len(MIGRATIONS)


def current_version(conn: apsw.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: apsw.Connection, path: str) -> int:
    """Bring the database to LATEST; returns the version it was at before."""
    before = current_version(conn)
    if before > LATEST:
        raise MemoryDatabaseTooNew(
            f"memory database {path} has schema version {before}; this oculi knows up to {LATEST}",
            hint="upgrade oculi, or point memory at another folder",
        )
    for version in range(before, LATEST):
        with conn:  # one transaction per migration
            conn.execute(MIGRATIONS[version])
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('migrated_at', ?)",
                (str(time.time()),),
            )
    return before
