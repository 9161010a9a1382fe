"""The wearer's controls: forget, retention with automatic expiry, pause and resume.

Pause and retention live in the database itself, so a pause set from the CLI stops an ingest
running in another process before its next moment.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path

from oculi.memory.store import DB_NAME, MemoryStore


def forget_ids(store: MemoryStore, ids: list[int]) -> int:
    return store.delete(ids)


def forget_range(store: MemoryStore, start: float, end: float) -> int:
    return store.delete(store.ids_between(start, end))


def forget_all(store: MemoryStore) -> int:
    return store.delete_all()


def pause(store: MemoryStore) -> None:
    store.set_meta("paused", "1")


def resume(store: MemoryStore) -> None:
    store.set_meta("paused", "0")


def is_paused(store: MemoryStore) -> bool:
    return store.get_meta("paused") == "1"


def set_retention(store: MemoryStore, days: float | None) -> None:
    """`None` or 0 keeps memories forever."""
    store.set_meta("retention_days", json.dumps(days if days else None))


def retention_days(store: MemoryStore, default: float | None) -> float | None:
    raw = store.get_meta("retention_days")
    if raw is None:
        return default or None
    return json.loads(raw)


def expire(store: MemoryStore, default_days: float | None, now: float | None = None) -> int:
    """Delete moments older than the retention period; run on every open of memory."""
    days = retention_days(store, default_days)
    if not days:
        return 0
    cutoff = (now if now is not None else time.time()) - days * 86400.0
    return store.delete(store.ids_between(-1e18, cutoff))


def recover(folder: Path) -> Path | None:
    """Move an unreadable database aside (kept, never deleted) so a fresh one can start."""
    db = folder / DB_NAME
    if not db.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = folder / f"{DB_NAME}.unreadable-{stamp}"
    shutil.move(str(db), aside)
    for suffix in ("-wal", "-shm"):
        side = folder / (DB_NAME + suffix)
        if side.exists():
            shutil.move(str(side), folder / f"{DB_NAME}{suffix}.unreadable-{stamp}")
    return aside
