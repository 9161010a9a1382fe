"""Text-to-speech with hibari (Kokoro-distilled ONNX, 24 kHz); only voice "heart" is offline.

With the realtime API on, the synthesiser is the voice subsystem's (`sharing`), so one hibari
serves /v1/audio/speech and spoken answers; its lock keeps their calls in turn.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import numpy as np


class HibariSynthesizer:
    model_id = "hibari-tts"
    voices: ClassVar[list[str]] = ["heart"]

    def __init__(self, *, threads: int = 1) -> None:
        from hibari import SAMPLE_RATE, Hibari

        self.sample_rate = int(SAMPLE_RATE)
        self._tts: Any = Hibari(voice="heart", threads=threads)
        self._lock = threading.Lock()

    @classmethod
    def sharing(cls, tts: Any) -> HibariSynthesizer:
        """Speak with the voice pipeline's `HibariTTS` model (and its lock)."""
        self = cls.__new__(cls)
        self.sample_rate = int(tts.sample_rate)
        self._tts = tts.model
        self._lock = tts.lock
        return self

    def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        with self._lock:
            audio = self._tts(text, speed=speed, seed=0)
        return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
