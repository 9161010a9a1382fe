"""Notes: short texts the wearer dictates, kept on the device (SQLite) and searchable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from oculi.tools.base import Tool, function_tool


class NotesStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "text TEXT NOT NULL, created_at REAL NOT NULL)"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, text: str) -> int:
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO notes (text, created_at) VALUES (?, ?)",
                (text, datetime.now().timestamp()),
            )
            return int(cur.lastrowid or 0)

    def search(self, query: str = "", limit: int = 20) -> list[tuple[int, str, float]]:
        words = [w for w in query.lower().split() if len(w) > 2]
        sql, params = "SELECT id, text, created_at FROM notes", []
        if words:
            sql += " WHERE " + " OR ".join("lower(text) LIKE ?" for _ in words)
            params = [f"%{w}%" for w in words]
        sql += " ORDER BY created_at DESC LIMIT ?"
        with self._db() as db:
            return db.execute(sql, [*params, limit]).fetchall()


class NoteTools:
    def __init__(self, store: NotesStore) -> None:
        self.store = store

    def take_note(self, text: str) -> dict[str, Any]:
        """Write down a note for the wearer (e.g. "note that the boat hire closes at dusk").

        Args:
            text: the note, in the wearer's words
        """
        return {"saved_note": {"id": self.store.add(text.strip()), "text": text.strip()}}

    def find_notes(
        self, query: str = "", limit: Annotated[int, Field(ge=1, le=50)] = 10
    ) -> dict[str, Any]:
        """Read back the wearer's notes, newest first, optionally only those about a topic.

        Args:
            query: words to look for; empty for the latest notes
            limit: how many notes at most
        """
        rows = self.store.search(query, limit)
        notes = [
            {"id": i, "text": t, "written": datetime.fromtimestamp(c).strftime("%Y-%m-%d %H:%M")}
            for i, t, c in rows
        ]
        return {"notes": notes} if notes else {"notes": [], "note": "no matching notes"}

    def tools(self) -> list[Tool]:
        return [
            function_tool(self.take_note, data=["notes"]),
            function_tool(self.find_notes, data=["notes"]),
        ]
