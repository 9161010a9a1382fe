"""Fires due timers and reminders as notifications, on time, from one background thread.

The thread sleeps until the earliest pending item is due (or until `wake()` says the set
changed), so an idle device does no polling. On start it fires at once whatever fell due
while oculi was not running, marked late, so nothing is silently lost across a restart.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

from oculi.tools.builtins.reminder_store import Reminder, ReminderStore
from oculi.tools.notify import Notification, Notifier

log = logging.getLogger(__name__)

MAX_SLEEP = 60.0  # re-read the store at least this often (another process may have added)


# A label that only restates the duration ("10 seconds"): said as "Your 10-second timer".
_DURATION_LABEL = re.compile(r"(\d+)[\s-]*(second|minute|hour)s?", re.IGNORECASE)


def notification_for(r: Reminder, fired_at: float) -> Notification:
    if r.kind == "timer":
        label = r.text.strip()
        if m := _DURATION_LABEL.fullmatch(label):
            label = f"{m.group(1)}-{m.group(2).lower()}"
        title = f"Timer: {label}" if label else "Timer"
        text = f"Your {label} timer is done." if label else "Your timer is done."
    else:
        title, text = "Reminder", f"Reminder: {r.text}"
    return Notification(r.kind, r.id, title, text, r.due_at, fired_at, max(0.0, fired_at - r.due_at))


class ReminderScheduler:
    def __init__(
        self, store: ReminderStore, notifier: Notifier, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="oculi-reminders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def wake(self) -> None:
        """Call after adding or cancelling, so a sooner item is not slept through."""
        with self._wake:
            self._wake.notify_all()

    def fire_due(self) -> list[Reminder]:
        """Fire everything due now; returns what was fired (also used by the thread)."""
        now = self.clock()
        fired = []
        for r in self.store.pending():
            if r.due_at > now:
                break
            if self.store.mark_fired(r.id, now):
                fired.append(r)
                try:
                    self.notifier.notify(notification_for(r, now))
                except Exception:  # a broken subscriber must not stop later reminders
                    log.exception("notifier failed for reminder %s", r.id)
        return fired

    def _run(self) -> None:
        while True:
            try:
                self.fire_due()
                pending = self.store.pending()
            except Exception:
                log.exception("reminder scheduler: store error; retrying")
                pending = []
            delay = MAX_SLEEP
            if pending:
                delay = min(MAX_SLEEP, max(0.0, pending[0].due_at - self.clock()))
            with self._wake:
                if self._stopping:
                    return
                self._wake.wait(timeout=delay)
                if self._stopping:
                    return
