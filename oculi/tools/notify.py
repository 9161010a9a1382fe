"""Notifications from tools (a timer rings, a reminder is due) to whoever shows them.

The voice pipeline speaks them and the HUD draws them; both subscribe by implementing
`Notifier`. Tools never know who is listening.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    kind: Literal["timer", "reminder"]
    id: int
    title: str  # short, for the HUD ("Timer: pasta")
    text: str  # a sentence to speak ("Your pasta timer is done.")
    due_at: float  # epoch seconds
    fired_at: float
    late_seconds: float  # > a few seconds when it was due while oculi was not running


class Notifier(Protocol):
    def notify(self, notification: Notification) -> None: ...


class FanoutNotifier:
    """Several subscribers; one that fails does not keep the others from hearing."""

    def __init__(self, subscribers: Iterable[Notifier] = ()) -> None:
        self.subscribers = list(subscribers)

    def subscribe(self, notifier: Notifier) -> None:
        self.subscribers.append(notifier)

    def subscribe_until(self, notify: Callable[[Notification], None]) -> Callable[[], None]:
        """Subscribe a callable; returns the function that unsubscribes it (a session ends)."""
        sub = _CallableNotifier(notify)
        self.subscribers.append(sub)

        def unsubscribe() -> None:
            if sub in self.subscribers:
                self.subscribers.remove(sub)

        return unsubscribe

    def notify(self, notification: Notification) -> None:
        for sub in list(self.subscribers):
            try:
                sub.notify(notification)
            except Exception:
                log.exception("notifier %r failed", sub)


@dataclass(frozen=True, eq=False)
class _CallableNotifier:
    call: Callable[[Notification], None]

    def notify(self, notification: Notification) -> None:
        self.call(notification)


class LogNotifier:
    """Fallback when nothing else listens: the notification at least reaches the log."""

    def notify(self, notification: Notification) -> None:
        log.warning("%s: %s", notification.title, notification.text)
