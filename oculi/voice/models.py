"""Loads the voice models once, so a CLI run, a benchmark or a test session shares them.

Whisper and hibari are stateless between calls and take seconds to load; Silero VAD keeps a
per-stream state, so each pipeline gets its own small session (`new_vad`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oculi.voice.settings import VoiceSettings
from oculi.voice.stt import WhisperSTT
from oculi.voice.tts import HibariTTS
from oculi.voice.vad import SileroVAD


@dataclass
class VoiceModels:
    stt: WhisperSTT
    tts: HibariTTS
    vad_path: Path

    @classmethod
    def load(cls, settings: VoiceSettings) -> "VoiceModels":
        from oculi.models.store import default_store

        store = default_store()
        vad_path = store.path("silero-vad")
        return cls(stt=WhisperSTT(store.path(settings.stt_model), settings), tts=HibariTTS(settings), vad_path=vad_path)

    def warm_up(self) -> None:
        """First calls pay for lazy loading (hibari's lexicons, CTranslate2 buffers): pay it now."""
        import numpy as np

        self.tts.synthesize("Ready.")
        self.stt.transcribe(np.zeros(16_000, np.float32))

    def new_vad(self) -> SileroVAD:
        return SileroVAD(self.vad_path)
