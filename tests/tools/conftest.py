"""Shared helpers for tool tests: a notifier that records what it was told."""

from __future__ import annotations

import threading

import pytest

from oculi.tools.notify import Notification


class RecordingNotifier:
    def __init__(self) -> None:
        self.received: list[Notification] = []
        self._event = threading.Condition()

    def notify(self, notification: Notification) -> None:
        with self._event:
            self.received.append(notification)
            self._event.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._event:
            return self._event.wait_for(lambda: len(self.received) >= count, timeout=timeout)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()
