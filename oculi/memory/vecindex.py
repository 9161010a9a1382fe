"""An in-memory copy of the binary codes for fast coarse KNN.

sqlite-vec stores the 384-bit codes (durably, inside the transaction of each moment), but its
`vec0` scan over 100k codes costs ~25–90 ms on this CPU. The same codes kept here as six
64-bit words per moment, column by column (six contiguous arrays), take ~2 ms: one XOR and
one popcount per word over contiguous memory, summed into 16-bit distances (a row-wise sum
over 48 bytes per code was 5x slower). Moments are usually stored in time order, so a time
window is a slice found by binary search; otherwise a mask.

The copy follows the database: `PRAGMA data_version` tells when another connection committed,
new ids are appended incrementally, any deletion triggers a reload.
"""

from __future__ import annotations

import apsw
import numpy as np
from numpy.typing import NDArray

WORDS = 6  # 384 bits


class BinaryIndex:
    def __init__(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.ts = np.zeros(0, dtype=np.float64)
        self.codes = np.zeros((WORDS, 0), dtype=np.uint64)  # one row per 64-bit word
        self._sorted = True  # ts ascending with ids: windows are slices
        self._version: tuple[int, int] | None = None  # (data_version, local changes)
        self._local_changes = 0

    def touched(self) -> None:
        """This connection wrote: data_version does not count our own commits."""
        self._local_changes += 1

    def refresh(self, conn: apsw.Connection) -> None:
        version = (int(conn.execute("PRAGMA data_version").fetchone()[0]), self._local_changes)
        if version == self._version:
            return
        count = int(conn.execute("SELECT count(*) FROM moments").fetchone()[0])
        last = int(self.ids[-1]) if len(self.ids) else 0
        if count >= len(self.ids) and (
            len(self.ids) == 0 or count - len(self.ids) == self._new_rows(conn, last)
        ):
            self._append(conn, last)
        else:
            self.ids, self.ts = self.ids[:0], self.ts[:0]
            self.codes = self.codes[:, :0]
            self._sorted = True
            self._append(conn, 0)
        self._version = version

    @staticmethod
    def _new_rows(conn: apsw.Connection, after: int) -> int:
        return int(
            conn.execute("SELECT count(*) FROM moments WHERE id > ?", (after,)).fetchone()[0]
        )

    def _append(self, conn: apsw.Connection, after: int) -> None:
        rows = conn.execute(
            "SELECT rowid, ts, embedding FROM moments_bin WHERE rowid > ? ORDER BY rowid", (after,)
        ).fetchall()
        if not rows:
            return
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        ts = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        codes = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint64).reshape(len(rows), -1)
        joined = np.concatenate([self.ts[-1:], ts])
        self._sorted = self._sorted and bool(np.all(joined[1:] >= joined[:-1]))
        self.ids = np.concatenate([self.ids, ids])
        self.ts = np.concatenate([self.ts, ts])
        self.codes = np.concatenate([self.codes, codes.T], axis=1)

    def search(self, query: NDArray[np.float32], start: float, end: float, k: int) -> list[int]:
        """Ids of the k codes nearest in Hamming distance to the query's sign bits."""
        if not len(self.ids) or k <= 0:
            return []
        q = np.packbits(query > 0, bitorder="little").view(np.uint64)
        lo, hi = 0, len(self.ids)
        windowed = start > -1e17 or end < 1e17
        if windowed and self._sorted:
            lo, hi = (int(i) for i in np.searchsorted(self.ts, [start, end], side="left"))
            windowed = False
        if hi <= lo:
            return []
        dist = np.zeros(hi - lo, dtype=np.uint16)
        for w in range(WORDS):
            dist += np.bitwise_count(self.codes[w, lo:hi] ^ q[w])
        if windowed:  # stored out of time order (an older recording imported later): mask
            inside = (self.ts >= start) & (self.ts < end)
            dist = np.where(inside, dist, np.uint16(65535))
            k = min(k, int(inside.sum()))
            if k <= 0:
                return []
        top = np.argpartition(dist, k - 1)[:k] if k < len(dist) else np.arange(len(dist))
        return [int(i) for i in self.ids[lo + top[np.argsort(dist[top], kind="stable")]]]
