"""Timers and reminders on disk (SQLite), so they survive a restart.

One connection per operation: the scheduler thread, tool worker threads and the CLI all
touch the same file, and SQLite's own locking is the simplest correct way to share it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["timer", "reminder"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('timer', 'reminder')),
    text TEXT NOT NULL,
    due_at REAL NOT NULL,
    created_at REAL NOT NULL,
    fired_at REAL,
    cancelled_at REAL
);
CREATE INDEX IF NOT EXISTS reminders_pending ON reminders (due_at)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;
"""


@dataclass(frozen=True)
class Reminder:
    id: int
    kind: Kind
    text: str
    due_at: float
    created_at: float
    fired_at: float | None = None
    cancelled_at: float | None = None

    @property
    def pending(self) -> bool:
        return self.fired_at is None and self.cancelled_at is None


class ReminderStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, kind: Kind, text: str, due_at: float, now: float | None = None) -> Reminder:
        created = time.time() if now is None else now
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO reminders (kind, text, due_at, created_at) VALUES (?, ?, ?, ?)",
                (kind, text, due_at, created),
            )
            rid = int(cur.lastrowid or 0)
        return Reminder(rid, kind, text, due_at, created)

    def get(self, rid: int) -> Reminder | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM reminders WHERE id = ?", (rid,)).fetchone()
        return Reminder(**dict(row)) if row else None

    def pending(self) -> list[Reminder]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM reminders WHERE fired_at IS NULL AND cancelled_at IS NULL "
                "ORDER BY due_at"
            ).fetchall()
        return [Reminder(**dict(r)) for r in rows]

    def mark_fired(self, rid: int, at: float) -> bool:
        """True if this call fired it (a second process racing for it gets False)."""
        with self._db() as db:
            cur = db.execute(
                "UPDATE reminders SET fired_at = ? WHERE id = ? AND fired_at IS NULL "
                "AND cancelled_at IS NULL",
                (at, rid),
            )
            return cur.rowcount == 1

    def cancel(self, rid: int, at: float | None = None) -> bool:
        with self._db() as db:
            cur = db.execute(
                "UPDATE reminders SET cancelled_at = ? WHERE id = ? AND fired_at IS NULL "
                "AND cancelled_at IS NULL",
                (time.time() if at is None else at, rid),
            )
            return cur.rowcount == 1
