"""The store: schema and migrations, words + vectors, real deletion, unreadable files."""

from __future__ import annotations

from pathlib import Path

import apsw
import numpy as np
import pytest

from oculi.memory import controls
from oculi.memory.errors import MemoryDatabaseTooNew, MemoryDatabaseUnreadable
from oculi.memory.schema import LATEST
from oculi.memory.store import DB_NAME, MemoryStore, NewMoment


def _add(
    store: MemoryStore,
    embedder,
    text: str,
    ts: float,
    kind: str = "sight",
    thumb: str | None = None,
) -> int:
    m = NewMoment(
        kind=kind,
        ts=ts,
        ocr_text=text if kind == "sight" else "",
        transcript=text if kind == "speech" else None,
        thumb=thumb,
    )
    return store.add(m, embedder.embed([m.body()])[0])


def test_new_store_is_wal_and_at_latest_schema(store: MemoryStore) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert store.integrity() == "ok"


def test_words_and_meaning_find_the_right_moment(store: MemoryStore, embedder) -> None:
    keys = _add(store, embedder, "my car keys are on the kitchen counter", 1000.0, "speech")
    _add(store, embedder, "INSPIRON 1545 Model No PP41L", 2000.0)
    _add(store, embedder, "the train to Leeds leaves from platform 4", 3000.0, "speech")
    assert store.fts_search('"inspiron"', -1e18, 1e18, 5)[0][0] == 2
    best, sim = store.vec_search(embedder.embed(["where did I put my keys"])[0], -1e18, 1e18, 3)[0]
    assert best == keys and sim > 0.4
    # the time window is applied inside the vector search, not after it
    windowed = [i for i, _ in store.vec_search(embedder.embed(["keys"])[0], 1500.0, 1e18, 3)]
    assert keys not in windowed and sorted(windowed) == [2, 3]


def test_delete_removes_rows_words_vectors_and_thumbnail(store: MemoryStore, embedder) -> None:
    thumb = Path("thumbs") / "x.jpg"
    (store.folder / thumb).write_bytes(b"jpeg")
    mid = _add(store, embedder, "secret door code 4711", 10.0, thumb=str(thumb))
    _add(store, embedder, "something else", 20.0)
    assert controls.forget_ids(store, [mid]) == 1
    assert store.get([mid]) == []
    assert store.fts_search('"4711"', -1e18, 1e18, 5) == []
    assert (
        store.conn.execute("SELECT count(*) FROM moments_bin WHERE rowid = ?", (mid,)).fetchone()[0]
        == 0
    )
    assert not (store.folder / thumb).exists()
    assert store.count() == 1


def test_garbage_file_gives_clear_error_and_recover_starts_fresh(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    with pytest.raises(MemoryDatabaseUnreadable) as err:
        MemoryStore(folder)
    assert err.value.code == "memory_db_unreadable" and "oculi memory recover" in (
        err.value.hint or ""
    )
    aside = controls.recover(folder)
    assert aside is not None and aside.read_bytes().startswith(b"this is not")  # kept, not deleted
    with MemoryStore(folder) as fresh:
        assert fresh.count() == 0 and fresh.integrity() == "ok"


def test_truncated_database_is_reported_not_crashed(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "memory"
    with MemoryStore(folder) as s:
        for i in range(50):
            _add(s, embedder, f"moment number {i}", float(i))
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = folder / DB_NAME
    db.write_bytes(db.read_bytes()[:1500])  # torn file: header survives, pages do not
    with pytest.raises(MemoryDatabaseUnreadable), MemoryStore(folder) as s:
        s.count()
        s.fts_search('"moment"', -1e18, 1e18, 5)


def test_database_from_newer_oculi_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    with MemoryStore(folder) as s:
        s.conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(MemoryDatabaseTooNew):
        MemoryStore(folder)


def test_migration_from_empty_database(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    folder.mkdir()
    apsw.Connection(str(folder / DB_NAME)).close()  # an empty SQLite file at version 0
    with MemoryStore(folder) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"moments", "moments_fts", "moments_bin", "ingest_runs", "meta"} <= tables


def test_orphan_thumbnails_are_swept(store: MemoryStore, embedder) -> None:
    kept = Path("thumbs") / "kept.jpg"
    (store.folder / kept).write_bytes(b"a")
    (store.folder / "thumbs" / "orphan.jpg").write_bytes(b"b")
    _add(store, embedder, "with a picture", 5.0, thumb=str(kept))
    assert store.sweep_orphans() == 1
    assert (store.folder / kept).exists()


def test_wrong_embedding_size_is_rejected(store: MemoryStore) -> None:
    with pytest.raises(ValueError):
        store.add(NewMoment(kind="sight", ts=1.0, ocr_text="x"), np.zeros(10, dtype=np.float32))
    assert store.count() == 0


def test_in_memory_codes_follow_other_connections(store: MemoryStore, embedder) -> None:
    """The fast coarse search sees moments another process added or deleted, and gives the same
    candidates as sqlite-vec's own scan."""
    first = _add(store, embedder, "the blue umbrella is by the door", 1.0, "speech")
    q = embedder.embed(["where is my umbrella"])[0]
    assert store.vec_search(q, -1e18, 1e18, 1)[0][0] == first
    with MemoryStore(store.folder) as other:  # e.g. an ingest running in another process
        second = _add(other, embedder, "umbrella: left it at the bakery", 2.0, "speech")
        for i in range(20):
            _add(other, embedder, f"unrelated note {i}", 10.0 + i)
    fast = [i for i, _ in store.vec_search(q, -1e18, 1e18, 5)]
    assert set(fast[:2]) == {first, second}
    assert fast == [i for i, _ in store.vec_search(q, -1e18, 1e18, 5, use_vec0=True)]
    with MemoryStore(store.folder) as other:
        controls.forget_ids(other, [first])
    assert first not in [i for i, _ in store.vec_search(q, -1e18, 1e18, 5)]
    assert [i for i, _ in store.vec_search(q, 1.5, 5.0, 5)] == [second]


def test_migration_from_version_1_keeps_moments(tmp_path: Path, embedder) -> None:
    """A database written before `image_note` existed opens, upgrades and keeps its rows."""
    import sqlite_vec

    from oculi.memory.schema import MIGRATIONS

    folder = tmp_path / "memory"
    folder.mkdir()
    conn = apsw.Connection(str(folder / DB_NAME))
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    with conn:
        conn.execute(MIGRATIONS[0])
        conn.execute("PRAGMA user_version = 1")
        vec = embedder.embed(["an old memory"])[0].tobytes()
        conn.execute(
            "INSERT INTO moments (kind, ts, ocr_text, created, embedding) "
            "VALUES ('sight', 5.0, 'an old memory', 0, ?)",
            (vec,),
        )
    conn.close()
    with MemoryStore(folder) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        (old,) = s.list()
        assert old.ocr_text == "an old memory" and old.image_note is None


def test_words_in_most_moments_are_not_scored(store: MemoryStore, embedder) -> None:
    """A word in more than half of all moments has BM25 weight ~0: recall skips it (its
    matches would cost a lookup each), and still ranks by the words that tell moments apart."""
    from oculi.memory.store import COMMON_WORDS_FROM

    vec = embedder.embed(["a note"])[0]
    with store.conn:
        for i in range(COMMON_WORDS_FROM + 200):
            rare = " tangerine" if i % 100 == 0 else ""
            store.add(NewMoment(kind="sight", ts=float(i), ocr_text=f"receipts {i}{rare}"), vec)
    assert store.common_words(["receipts", "tangerine", "e-mail"]) == {"receipts"}
    hits = store.fts_search('"tangerine"', -1e18, 1e18, 50)
    assert len(hits) == (COMMON_WORDS_FROM + 200) // 100
