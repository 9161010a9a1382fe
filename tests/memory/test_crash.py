"""kill -9 during ingest, 20 times: nothing committed is lost, the database stays consistent,
and the next ingest continues where the last one stopped (no duplicates, no gaps)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from oculi.memory.store import MemoryStore

CHILD = Path(__file__).with_name("crash_child.py")


def _run_and_kill(folder: Path, mode: str, delay: float, *extra: str) -> tuple[list[int], bool]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(folder), mode, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    committed: list[int] = []
    finished = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.strip()
            if line == "ready":
                timer = threading.Timer(
                    delay, lambda: proc.poll() is None and os.kill(proc.pid, signal.SIGKILL)
                )
                timer.daemon = True
                timer.start()
            elif line == "done":
                finished.set()
            elif line.isdigit():
                committed.append(int(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc.wait(timeout=300)
    reader.join(timeout=10)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(
            f"child failed ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}"
        )
    return committed, finished.is_set()


def _check(folder: Path, committed: set[int]) -> MemoryStore:
    store = MemoryStore(folder)
    assert store.integrity() == "ok"
    ids = {r[0] for r in store.conn.execute("SELECT id FROM moments")}
    assert committed <= ids, f"lost committed moments: {sorted(committed - ids)[:10]}"
    # words and vectors exist for exactly the stored moments: no half-written moment
    assert {r[0] for r in store.conn.execute("SELECT rowid FROM moments_fts")} == ids
    assert {r[0] for r in store.conn.execute("SELECT rowid FROM moments_bin")} == ids
    # resumed ingests never store the same item twice
    dup = store.conn.execute("SELECT count(*) - count(DISTINCT ts) FROM moments").fetchone()[0]
    assert dup == 0
    return store


def test_kill_during_speech_ingest_20_times(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    rng = random.Random(4)
    committed: set[int] = set()
    for _ in range(20):
        ids, _done = _run_and_kill(folder, "speech", rng.uniform(0.05, 0.6))
        committed |= set(ids)
        _check(folder, committed).close()
    with MemoryStore(folder) as store:
        # every run resumed after the previous: the stored notes are 0..n-1 without a gap
        ts = [r[0] for r in store.conn.execute("SELECT ts FROM moments ORDER BY ts")]
        assert ts == [1e9 + i for i in range(len(ts))]
        assert len(ts) >= len(committed) > 20


@pytest.mark.slow
def test_kill_during_photo_ingest_20_times(tmp_path: Path, photos: list[Path]) -> None:
    """The full frame path: OCR, faces, thumbnails on disk, vectors."""
    folder = tmp_path / "memory"
    rng = random.Random(5)
    committed: set[int] = set()
    for _ in range(20):
        ids, done = _run_and_kill(folder, "photos", rng.uniform(0.5, 6.0), str(photos[0].parent))
        committed |= set(ids)
        store = _check(folder, committed)
        store.sweep_orphans()
        for (thumb,) in store.conn.execute("SELECT thumb FROM moments WHERE thumb IS NOT NULL"):
            assert (folder / thumb).is_file()
        store.close()
        if done:
            break
    assert committed
