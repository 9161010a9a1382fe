"""The memory store: one SQLite file (WAL) plus a folder of face-blurred thumbnails.

Why apsw: this Python's `sqlite3` cannot load extensions, and sqlite-vec is an extension.
Every moment is written in one transaction together with its full-text row, its vector and
the ingest progress marker, so a process killed at any instant leaves either all of them or
none. Thumbnails are written *before* that commit; a crash in between leaves an orphan file,
which `sweep_orphans` removes (never a row pointing at a missing file).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import apsw
import numpy as np
from numpy.typing import NDArray

from oculi.memory.errors import MemoryDatabaseUnreadable, MemoryDependencyMissing
from oculi.memory.schema import EMBED_DIM, migrate
from oculi.memory.vecindex import BinaryIndex

DB_NAME = "memory.db"
COMMON_WORDS_FROM = 1000  # moments; see MemoryStore.common_words
THUMBS = "thumbs"
_COLUMNS = (
    "id, kind, ts, end_ts, source, ocr_text, caption, people, transcript, thumb, location, "
    "image_note"
)


@dataclass(frozen=True)
class NewMoment:
    kind: str  # 'sight' | 'speech'
    ts: float
    end_ts: float | None = None
    source: str = ""
    ocr_text: str = ""
    caption: str | None = None
    people: int | None = None
    transcript: str | None = None
    thumb: str | None = None  # path relative to the store folder
    location: str | None = None
    image_note: str | None = None  # why there is no thumbnail, when one was withheld

    def body(self) -> str:
        """The text that words and meaning are searched in."""
        parts = [self.caption or "", self.ocr_text, self.transcript or ""]
        if self.people:
            parts.append(f"{self.people} {'person' if self.people == 1 else 'people'} visible")
        return " ".join(p.strip() for p in parts if p and p.strip())


@dataclass(frozen=True)
class Moment(NewMoment):
    id: int = 0

    def to_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in _COLUMNS.split(", ")}


def _row(r: Sequence[object]) -> Moment:
    return Moment(
        id=r[0],
        kind=r[1],
        ts=r[2],
        end_ts=r[3],
        source=r[4],
        ocr_text=r[5],  # type: ignore[arg-type]
        caption=r[6],
        people=r[7],
        transcript=r[8],
        thumb=r[9],
        location=r[10],  # type: ignore[arg-type]
        image_note=r[11],  # type: ignore[arg-type]
    )


def _vec_extension() -> str:
    try:
        import sqlite_vec
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MemoryDependencyMissing(
            "sqlite-vec is not installed", hint="pip install 'sqlite-vec==0.1.9'"
        ) from exc
    return str(sqlite_vec.loadable_path())


class MemoryStore:
    """Owns one connection; use one store per thread (apsw connections are not shared)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db_path = folder / DB_NAME
        self.thumbs = folder / THUMBS
        self.index = BinaryIndex()
        self._tokenizer: apsw.FTS5Tokenizer | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.thumbs.mkdir(exist_ok=True)
        try:
            self.conn = apsw.Connection(str(self.db_path))
            self.conn.set_busy_timeout(10_000)
            self.conn.enable_load_extension(True)
            self.conn.load_extension(_vec_extension())
            self.conn.enable_load_extension(False)
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            # NORMAL in WAL mode: a committed transaction survives a killed process; only an
            # OS crash or power loss may drop the last commits (never corrupts).
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            # forget means forget: deleted rows are overwritten with zeros, not left in free pages
            self.conn.execute("PRAGMA secure_delete = ON")
            if mode != "wal":
                raise apsw.NotADBError(f"journal mode is {mode}")
            migrate(self.conn, str(self.db_path))
            # per-word document counts, read from the FTS index itself (nothing stored)
            self.conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.moments_vocab "
                "USING fts5vocab(main, 'moments_fts', 'row')"
            )
        except (apsw.NotADBError, apsw.CorruptError, apsw.CantOpenError, apsw.IOError) as exc:
            raise MemoryDatabaseUnreadable(
                f"memory database {self.db_path} cannot be read ({exc})",
                hint="run `oculi memory recover`: it moves the file aside (kept for forensics) "
                "and starts an empty memory",
            ) from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- settings kept in the database (so every process sees pause/retention) -------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- writing ----------------------------------------------------------------------------
    def add(
        self,
        moment: NewMoment,
        embedding: NDArray[np.float32],
        progress: tuple[str, float] | None = None,
    ) -> int:
        """Store a moment, its words and vector (and the ingest marker) atomically."""
        vec = np.ascontiguousarray(embedding, dtype=np.float32).reshape(-1)
        if vec.shape[0] != EMBED_DIM:
            raise ValueError(f"embedding has {vec.shape[0]} dimensions, expected {EMBED_DIM}")
        with self.conn:
            self.conn.execute(
                "INSERT INTO moments (kind, ts, end_ts, source, ocr_text, caption, people, "
                "transcript, thumb, location, image_note, created, embedding) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    moment.kind,
                    moment.ts,
                    moment.end_ts,
                    moment.source,
                    moment.ocr_text,
                    moment.caption,
                    moment.people,
                    moment.transcript,
                    moment.thumb,
                    moment.location,
                    moment.image_note,
                    time.time(),
                    vec.tobytes(),
                ),
            )
            mid = self.conn.last_insert_rowid()
            self.conn.execute(
                "INSERT INTO moments_fts(rowid, body) VALUES (?, ?)", (mid, moment.body())
            )
            self.conn.execute(
                "INSERT INTO moments_bin(rowid, embedding, ts) VALUES (?, vec_quantize_binary(?), ?)",
                (mid, vec.tobytes(), float(moment.ts)),
            )
            if progress is not None:
                self._mark(progress[0], progress[1], done=False)
        self.index.touched()
        return mid

    def _mark(self, source_key: str, last_ts: float, *, done: bool) -> None:
        self.conn.execute(
            "INSERT INTO ingest_runs(source_key, last_ts, done, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(source_key) DO UPDATE SET last_ts = max(last_ts, excluded.last_ts), "
            "done = excluded.done, updated = excluded.updated",
            (source_key, last_ts, int(done), time.time()),
        )

    def mark_progress(self, source_key: str, last_ts: float, *, done: bool = False) -> None:
        with self.conn:
            self._mark(source_key, last_ts, done=done)

    def progress(self, source_key: str) -> tuple[float, bool] | None:
        row = self.conn.execute(
            "SELECT last_ts, done FROM ingest_runs WHERE source_key = ?", (source_key,)
        ).fetchone()
        return (row[0], bool(row[1])) if row else None

    def delete(self, ids: Iterable[int]) -> int:
        """Really delete: rows, words, vectors, then the thumbnail files."""
        ids = list(ids)
        thumbs: list[str] = []
        self.index.touched()
        with self.conn:
            for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
                marks = ",".join("?" * len(chunk))
                thumbs += [
                    r[0]
                    for r in self.conn.execute(
                        f"SELECT thumb FROM moments WHERE id IN ({marks}) AND thumb IS NOT NULL",
                        chunk,
                    )
                ]
                self.conn.execute(f"DELETE FROM moments_fts WHERE rowid IN ({marks})", chunk)
                self.conn.execute(f"DELETE FROM moments_bin WHERE rowid IN ({marks})", chunk)
                self.conn.execute(f"DELETE FROM moments WHERE id IN ({marks})", chunk)
            if ids:
                # FTS5 keeps deleted terms in old index segments until merged: merge now
                self.conn.execute("INSERT INTO moments_fts(moments_fts) VALUES ('optimize')")
        if ids:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old pages leave the WAL too
        for rel in set(thumbs):
            if not self.thumb_in_use(rel):
                (self.folder / rel).unlink(missing_ok=True)
        return len(ids)

    def delete_all(self) -> int:
        n = self.count()
        self.index.touched()
        with self.conn:
            for table in ("moments_fts", "moments_bin", "moments", "ingest_runs"):
                self.conn.execute(f"DELETE FROM {table}")
        for f in self.thumbs.rglob("*"):
            if f.is_file():
                f.unlink()
        self.conn.execute("VACUUM")  # rebuild the file so no page of the old text survives
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # …and none in the WAL either
        return n

    def thumb_in_use(self, rel: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM moments WHERE thumb = ? LIMIT 1", (rel,)).fetchone()
            is not None
        )

    def sweep_orphans(self) -> int:
        """Remove thumbnails no row refers to (left by a crash between write and commit)."""
        used = {
            r[0] for r in self.conn.execute("SELECT thumb FROM moments WHERE thumb IS NOT NULL")
        }
        removed = 0
        for f in self.thumbs.rglob("*"):
            if f.is_file() and str(f.relative_to(self.folder)) not in used:
                f.unlink()
                removed += 1
        return removed

    # -- reading ----------------------------------------------------------------------------
    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM moments").fetchone()[0])

    def get(self, ids: Sequence[int]) -> list[Moment]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {
            r[0]: _row(r)
            for r in self.conn.execute(
                f"SELECT {_COLUMNS} FROM moments WHERE id IN ({marks})", list(ids)
            )
        }
        return [rows[i] for i in ids if i in rows]

    def list(
        self,
        start: float | None = None,
        end: float | None = None,
        limit: int = 50,
        kind: str | None = None,
        newest_first: bool = True,
    ) -> list[Moment]:
        sql = f"SELECT {_COLUMNS} FROM moments WHERE ts >= ? AND ts < ?"
        args: list[object] = [
            start if start is not None else -1e18,
            end if end is not None else 1e18,
        ]
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        sql += f" ORDER BY ts {'DESC' if newest_first else 'ASC'}, id LIMIT ?"
        args.append(limit)
        return [_row(r) for r in self.conn.execute(sql, args)]

    def ids_between(self, start: float, end: float) -> list[int]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM moments WHERE ts >= ? AND ts < ?", (start, end)
            )
        ]

    def nearest_thumb(self, ts: float, within_s: float = 120.0) -> str | None:
        row = self.conn.execute(
            "SELECT thumb FROM moments WHERE thumb IS NOT NULL AND ts BETWEEN ? AND ? "
            "ORDER BY abs(ts - ?) LIMIT 1",
            (ts - within_s, ts + within_s, ts),
        ).fetchone()
        return row[0] if row else None

    def fts_search(
        self, match: str, start: float, end: float, limit: int
    ) -> list[tuple[int, float]]:
        """(id, bm25) best first; `match` is an FTS5 query built by recall.

        FTS5 scores every row that matches before it can sort, so a common word costs a
        lookup per matching moment. With a time window, the ids stored in that window (read
        from the covering `ts` index) bound the rowids FTS5 walks: moments are mostly stored
        in time order, so "this morning" scores a morning's matches, not a month's. The bound
        never drops a row (every id in the window lies within it); the `ts` test stays.
        """
        if start < -1e17 and end > 1e17:  # no window: FTS5's own rank order, no join
            rows = self.conn.execute(
                "SELECT rowid, rank FROM moments_fts WHERE moments_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, limit),
            )
            return [(r[0], r[1]) for r in rows]
        lo, hi = self.conn.execute(
            "SELECT min(id), max(id) FROM moments WHERE ts >= ? AND ts < ?", (start, end)
        ).fetchone()
        if lo is None:
            return []
        rows = self.conn.execute(
            "SELECT f.rowid, bm25(moments_fts) AS score FROM moments_fts f "
            "JOIN moments m ON m.id = f.rowid "
            "WHERE moments_fts MATCH ? AND f.rowid >= ? AND f.rowid <= ? "
            "AND m.ts >= ? AND m.ts < ? ORDER BY score LIMIT ?",
            (match, lo, hi, start, end, limit),
        )
        return [(r[0], r[1]) for r in rows]

    def common_words(self, words: Sequence[str]) -> set[str]:
        """The words found in more than half of all moments.

        FTS5's BM25 gives such a word an IDF of ~0 (log((N - df + 0.5) / (df + 0.5)) <= 0 is
        floored to 1e-6), so it cannot change the ranking, yet scoring its matches costs a
        lookup per matching moment (~100 ms for 60k matches). N is bounded from above by the
        rowid range, so a word is only called common when it really is. Words the tokenizer
        splits (e-mail) stay: their phrase may be rarer than each part. Small stores keep
        every word: scoring is cheap there, and in a handful of memories a word in most of
        them may still be the one asked about.
        """
        if self._tokenizer is None:
            self._tokenizer = self.conn.fts5_tokenizer("porter", ["unicode61"])
        lo, hi = self.conn.execute(  # separate subqueries: each is one index seek
            "SELECT (SELECT min(id) FROM moments), (SELECT max(id) FROM moments)"
        ).fetchone()
        if lo is None or hi - lo + 1 < COMMON_WORDS_FROM:
            return set()
        half = (hi - lo + 1) / 2
        common = set()
        for w in words:
            tokens = self._tokenizer(w.encode(), apsw.FTS5_TOKENIZE_QUERY, None)
            if len(tokens) != 1:
                continue
            row = self.conn.execute(
                "SELECT doc FROM temp.moments_vocab WHERE term = ?", (tokens[0][2],)
            ).fetchone()
            if row and row[0] > half:
                common.add(w)
        return common

    def vec_search(
        self,
        query: NDArray[np.float32],
        start: float,
        end: float,
        k: int,
        candidates: int = 200,
        use_vec0: bool = False,
    ) -> list[tuple[int, float]]:
        """(id, cosine similarity) best first: Hamming KNN on binary codes, exact rerank.

        `use_vec0` runs the coarse step inside SQLite (sqlite-vec's own scan) instead of the
        in-memory copy of the same codes; both give the same candidates.
        """
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if use_vec0:
            sql = "SELECT rowid FROM moments_bin WHERE embedding MATCH vec_quantize_binary(?) AND k = ?"
            args: list[object] = [q.tobytes(), max(candidates, k)]
            if start > -1e17 or end < 1e17:
                sql += " AND ts >= ? AND ts < ?"
                args += [start, end]
            cand = [r[0] for r in self.conn.execute(sql, args)]
        else:
            self.index.refresh(self.conn)
            cand = self.index.search(q, start, end, max(candidates, k))
        if not cand:
            return []
        marks = ",".join("?" * len(cand))
        ids, blobs = [], []
        for mid, blob in self.conn.execute(
            f"SELECT id, embedding FROM moments WHERE id IN ({marks})", cand
        ):
            ids.append(mid)
            blobs.append(blob)
        mat = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
        sims = mat @ q
        order = np.argsort(-sims)[:k]
        return [(int(ids[i]), float(sims[i])) for i in order]

    def integrity(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def stats(self) -> dict[str, object]:
        thumbs = [f for f in self.thumbs.rglob("*") if f.is_file()]
        db_bytes = sum(p.stat().st_size for p in self.folder.glob(DB_NAME + "*"))
        return {
            "moments": self.count(),
            "db_bytes": db_bytes,
            "thumb_files": len(thumbs),
            "thumb_bytes": sum(f.stat().st_size for f in thumbs),
            "paused": self.get_meta("paused") == "1",
            "retention_days": json.loads(self.get_meta("retention_days", "null") or "null"),
        }
