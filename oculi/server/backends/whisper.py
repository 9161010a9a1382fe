"""Speech-to-text with faster-whisper (CTranslate2, int8 on CPU) from the installed model folder.

A thin adapter until the voice subsystem offers its own `Transcriber`. faster-whisper decodes
any container PyAV reads (WAV, MP3, OGG, M4A, WebM…), so uploads are passed through as bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from oculi.server.backends.protocols import Transcript
from oculi.server.errors import invalid


class WhisperTranscriber:
    def __init__(self, folder: Path, *, model_id: str = "whisper-base", threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self.model_id = model_id
        self.model = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                  cpu_threads=threads)

    def transcribe(
        self, audio: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        try:
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
