"""Speech-to-text with faster-whisper (CTranslate2, int8 on CPU) from the installed model folder.

faster-whisper decodes any container PyAV reads (WAV, MP3, OGG, M4A, WebM…), so uploads are
passed through as bytes. With the realtime API on, the model is the voice subsystem's
(`sharing`), so one Whisper serves both; its lock keeps calls from the two sides in turn.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

from oculi.server.backends.protocols import Transcript
from oculi.server.errors import invalid


class WhisperTranscriber:
    def __init__(self, folder: Path, *, model_id: str = "whisper-base", threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self.model_id = model_id
        self.model: Any = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                       cpu_threads=threads)
        self._lock = threading.Lock()

    @classmethod
    def sharing(cls, stt: Any, *, model_id: str = "whisper-base") -> WhisperTranscriber:
        """Serve uploads with the voice pipeline's `WhisperSTT` model (and its lock)."""
        self = cls.__new__(cls)
        self.model_id = model_id
        self.model = stt.model
        self._lock = stt.lock
        return self

    def transcribe(
        self, audio: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        try:
            with self._lock:
                segments, info = self.model.transcribe(
                    io.BytesIO(audio), language=language, initial_prompt=prompt, beam_size=1,
                    vad_filter=False,
                )
                text = "".join(s.text for s in segments).strip()
        except (ValueError, OSError) as exc:
            raise invalid(f"cannot decode the audio file: {exc}", param="file",
                          code="invalid_audio") from exc
        except Exception as exc:
            if type(exc).__module__.startswith("av"):
                raise invalid(f"cannot decode the audio file: {exc}", param="file",
                              code="invalid_audio") from exc
            raise
        return Transcript(text=text, language=info.language, duration=info.duration)
