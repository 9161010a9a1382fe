"""Speech in an audio file → timestamped utterances, on voice's Whisper model (one loader).

`oculi.voice.stt.WhisperSTT` turns a turn of live audio into text; memory needs the segments
of a whole recording with their times, which faster-whisper's `transcribe` gives for a file
path (decoding it with PyAV, skipping silence with its bundled Silero VAD). This adapter asks
the voice model for exactly that and nothing else: the model, its threads, compute type and
language come from voice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oculi.memory.errors import MemoryInputError
from oculi.memory.protocols import Utterance
from oculi.voice.settings import VoiceSettings


class WhisperSegments:
    """Times are seconds from the start of the audio file; ingest shifts them to wall time."""

    def __init__(self, stt: Any) -> None:
        self.stt = stt  # an oculi.voice.stt.WhisperSTT

    def transcribe(self, audio: str) -> Iterator[Utterance]:
        if not Path(audio).is_file():
            raise MemoryInputError(f"no such audio file: {audio}", hint="check the --audio path")
        # Utterances are handed on as Whisper finishes them, so each is stored (and survives a
        # crash) before the next is transcribed.
        try:
            for start, end, text in self.stt.segments(audio):
                yield Utterance(start, end, text)
        except (ValueError, RuntimeError, OSError) as exc:  # PyAV errors subclass these
            raise MemoryInputError(
                f"cannot decode audio {audio}: {exc}", hint="pass a WAV/FLAC/MP3 file"
            ) from exc


def load_transcriber(voice: VoiceSettings | None = None, threads: int = 2) -> WhisperSegments:
    """Voice's Whisper model with the voice settings (model, language, compute type)."""
    from oculi.voice.stt import WhisperSTT

    settings = (voice or VoiceSettings()).model_copy(update={"stt_threads": threads})
    return WhisperSegments(WhisperSTT.from_store(settings))
