"""kill -9 while reminders and timers are created (and short timers fire), 20 times: every id
the child printed after its commit still exists, every fired mark printed is kept, the database
passes PRAGMA integrity_check, and the scheduler starts and fires what fell due meanwhile."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from oculi.tools.builtins.reminder_store import ReminderStore
from oculi.tools.builtins.scheduler import ReminderScheduler
from oculi.tools.notify import Notification

CHILD = Path(__file__).with_name("reminder_child.py")
REPO = Path(__file__).resolve().parents[2]


def _run_and_kill(db: Path, delay: float) -> tuple[set[int], set[int]]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    made: set[int] = set()
    fired: set[int] = set()
    assert proc.stdout is not None

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            kind, _, rid = line.strip().partition(" ")
            if kind == "ready":
                threading.Timer(delay, lambda: proc.poll() is None
                                and os.kill(proc.pid, signal.SIGKILL)).start()
            elif kind == "made":
                made.add(int(rid))
            elif kind == "fired":
                fired.add(int(rid))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc.wait(timeout=120)
    reader.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    return made, fired


class Recording:
    def __init__(self) -> None:
        self.got: list[Notification] = []

    def notify(self, n: Notification) -> None:
        self.got.append(n)


def test_kill_during_reminder_creation_20_times(tmp_path: Path) -> None:
    db = tmp_path / "tools" / "reminders.db"
    rng = random.Random(11)
    made: set[int] = set()
    fired: set[int] = set()
    for _ in range(20):
        m, f = _run_and_kill(db, rng.uniform(0.05, 1.5))
        made |= m
        fired |= f
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = {r[0]: r[1] for r in conn.execute("SELECT id, fired_at FROM reminders")}
        conn.close()
        assert made <= set(rows), f"lost committed reminders: {sorted(made - set(rows))[:10]}"
        assert all(rows[r] is not None for r in fired), "a fired mark was lost"
    assert len(made) > 100 and fired  # the runs really created and fired things

    # the next start: the scheduler opens the same file and fires what fell due while off
    time.sleep(2.1)  # every timer made above (1-2 s) is now due
    store = ReminderStore(db)
    due_before = [r.id for r in store.pending() if r.due_at <= time.time()]
    rec = Recording()
    sched = ReminderScheduler(store, rec)
    sched.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(rec.got) < len(due_before):
            time.sleep(0.05)
    finally:
        sched.stop()
    assert {n.id for n in rec.got} >= set(due_before)
    assert not [r for r in store.pending() if r.due_at <= time.time() - 1]
