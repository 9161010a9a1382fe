"""Text-to-speech with hibari (Kokoro-distilled ONNX, 24 kHz); only voice "heart" is offline.

A thin adapter until the voice subsystem offers its own `SpeechSynthesizer`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np


class HibariSynthesizer:
    model_id = "hibari-tts"
    voices: ClassVar[list[str]] = ["heart"]

    def __init__(self, *, threads: int = 1) -> None:
        from hibari import SAMPLE_RATE, Hibari

        self.sample_rate = int(SAMPLE_RATE)
        self._tts = Hibari(voice="heart", threads=threads)

    def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        audio = self._tts(text, speed=speed, seed=0)
        return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
