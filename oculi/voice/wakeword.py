"""Wake word (openWakeWord via pyopen-wakeword) and the gate that decides when we listen.

Licence: the openWakeWord models bundled in pyopen-wakeword are CC BY-NC-SA 4.0 — free for
non-commercial use only. A commercial product must train its own wake-word model or use
push-to-talk, which needs no model at all.

The gate has three modes: "wake_word" (listen after the wake phrase), "push_to_talk" (listen
while a button is held) and "open" (always listening, used for files and tests). After each
answer it stays open for `follow_up_s`, so a follow-up question needs no wake word.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import numpy as np

from oculi.voice.audio_in import float_to_pcm16
from oculi.voice.errors import VoiceModelMissing
from oculi.voice.settings import VoiceSettings

WAKE_CHUNK = 1280  # 80 ms, openWakeWord's step
GateMode = Literal["wake_word", "push_to_talk", "open"]


class WakeWordDetector:
    """Scores 16 kHz audio for one wake phrase; `push` returns the best score in that audio."""

    def __init__(self, name: str, models_dir: Path | None = None) -> None:
        try:
            from pyopen_wakeword import Model, OpenWakeWord, OpenWakeWordFeatures
        except ImportError as exc:
            raise VoiceModelMissing("wake word needs pyopen-wakeword", hint="pip install pyopen-wakeword==1.1.0") from exc
        names = [m.value for m in Model]
        if name not in names:
            raise VoiceModelMissing(f"unknown wake word {name!r}", hint=f"choose one of: {', '.join(names)}")
        if models_dir is None:
            from oculi.models.store import default_store

            models_dir = default_store().path("openwakeword")
        self.name = name
        self._features = OpenWakeWordFeatures.from_builtin(models_dir=models_dir)
        self._model = OpenWakeWord.from_builtin(Model(name), models_dir=models_dir)
        self._pending = np.zeros(0, np.float32)

    def reset(self) -> None:
        self._features.reset()
        self._model.reset()
        self._pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> float:
        data = np.concatenate([self._pending, samples])
        n = len(data) // WAKE_CHUNK * WAKE_CHUNK
        self._pending = data[n:]
        best = 0.0
        for i in range(0, n, WAKE_CHUNK):
            for emb in self._features.process_streaming(float_to_pcm16(data[i:i + WAKE_CHUNK])):
                for p in self._model.process_streaming(emb):
                    best = max(best, p)
        return best


class ListenGate:
    """Whether incoming speech should become a turn right now."""

    def __init__(self, mode: GateMode, settings: VoiceSettings, clock=time.monotonic) -> None:
        self.mode = mode
        self.follow_up_s = settings.follow_up_s
        self.wake_window_s = 8.0  # after the wake phrase, time allowed to start the question
        self._clock = clock
        self._open_until = 0.0
        self._held = False

    # wake word / follow-up
    def woke(self) -> None:
        self._open_until = self._clock() + self.wake_window_s

    def answer_finished(self) -> None:
        if self.mode == "push_to_talk":
            return  # the button alone opens a push-to-talk turn, never a follow-up window
        self._open_until = max(self._open_until, self._clock() + self.follow_up_s)

    def turn_started(self) -> None:
        self._open_until = float("inf")  # stays open until the turn ends

    def turn_ended(self) -> None:
        self._open_until = 0.0

    # push to talk
    def press(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        """The push-to-talk button is down (the turn lasts until it is released)."""
        return self.mode == "push_to_talk" and self._held

    @property
    def is_open(self) -> bool:
        if self.mode == "open":
            return True
        if self.mode == "push_to_talk":
            return self._held or self._clock() < self._open_until
        return self._clock() < self._open_until

    @property
    def needs_wake_word(self) -> bool:
        return self.mode == "wake_word" and not self.is_open
