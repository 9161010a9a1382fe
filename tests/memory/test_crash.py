"""kill -9 during ingest, 20 times: nothing committed is lost, the database stays consistent,
and the next ingest continues where the last one stopped (no duplicates, no gaps)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
from pathlib import Path

import pytest

from oculi.memory.store import MemoryStore
from tests.memory import crash_child


@pytest.fixture(scope="module")
def forkserver():
    """Children fork from a server that already imported the memory stack (see crash_child)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.memory.crash_child"])
    return ctx


def _run_and_kill(
    ctx, folder: Path, mode: str, delay: float, photo_dir: Path | None = None
) -> tuple[list[int], bool]:
    """Start an ingest, SIGKILL it `delay` s after it is ready; the ids it reported committed."""
    ours, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=crash_child.child,
        args=(str(folder), mode, str(photo_dir) if photo_dir else None, theirs),
        daemon=True,
    )
    proc.start()
    theirs.close()  # the child holds the only write end: its death is our EOF
    committed: list[int] = []
    finished = threading.Event()

    def read() -> None:
        while True:
            try:
                msg = ours.recv()
            except (EOFError, OSError):  # killed, possibly in the middle of a message
                return
            if msg == "ready":
                timer = threading.Timer(
                    delay, lambda: proc.is_alive() and os.kill(proc.pid, signal.SIGKILL)
                )
                timer.daemon = True
                timer.start()
            elif msg == "done":
                finished.set()
            else:
                committed.append(int(msg))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc.join(timeout=300)
    reader.join(timeout=10)
    ours.close()
    if proc.exitcode not in (0, -signal.SIGKILL):
        raise AssertionError(f"child failed with exit code {proc.exitcode}")
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


def test_kill_during_speech_ingest_20_times(tmp_path: Path, forkserver) -> None:
    folder = tmp_path / "memory"
    rng = random.Random(4)
    committed: set[int] = set()
    for _ in range(20):
        ids, _done = _run_and_kill(forkserver, folder, "speech", rng.uniform(0.05, 0.6))
        committed |= set(ids)
        _check(folder, committed).close()
    with MemoryStore(folder) as store:
        # every run resumed after the previous: the stored notes are 0..n-1 without a gap
        ts = [r[0] for r in store.conn.execute("SELECT ts FROM moments ORDER BY ts")]
        assert ts == [1e9 + i for i in range(len(ts))]
        assert len(ts) >= len(committed) > 20


@pytest.mark.slow
def test_kill_during_photo_ingest_20_times(tmp_path: Path, photos: list[Path], forkserver) -> None:
    """The full frame path: OCR, faces, thumbnails on disk, vectors."""
    folder = tmp_path / "memory"
    rng = random.Random(5)
    committed: set[int] = set()
    for _ in range(20):
        ids, done = _run_and_kill(
            forkserver, folder, "photos", rng.uniform(0.5, 6.0), photos[0].parent
        )
        committed |= set(ids)
        store = _check(folder, committed)
        store.sweep_orphans()
        for (thumb,) in store.conn.execute("SELECT thumb FROM moments WHERE thumb IS NOT NULL"):
            assert (folder / thumb).is_file()
        store.close()
        if done:
            break
    assert committed
