"""Child for the reminder kill -9 test: creates timers and reminders through the real tool
functions while the real scheduler fires the short ones, printing `made ID` after each create
returned (committed) and `fired ID` from the notifier (after the fired mark committed).

Usage: python reminder_child.py DB_PATH
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from oculi.tools.builtins.reminder_store import ReminderStore
from oculi.tools.builtins.reminders import ReminderTools
from oculi.tools.builtins.scheduler import ReminderScheduler
from oculi.tools.notify import Notification


class PrintingNotifier:
    def notify(self, notification: Notification) -> None:
        print(f"fired {notification.id}", flush=True)


def main() -> None:
    store = ReminderStore(Path(sys.argv[1]))
    scheduler = ReminderScheduler(store, PrintingNotifier())
    tools = ReminderTools(store, on_change=scheduler.wake)
    scheduler.start()
    print("ready", flush=True)
    for i in itertools.count():
        if i % 3 == 0:
            out = tools.set_reminder(text=f"call the dentist #{i}", when="in 600 minutes")
            rid = out["reminder_set"]["id"]
        else:
            out = tools.set_timer(seconds=1 + i % 2, label=f"tea {i}")
            rid = out["timer_set"]["id"]
        print(f"made {rid}", flush=True)


if __name__ == "__main__":
    main()
