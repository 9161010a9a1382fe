"""Speech to timestamped utterances with faster-whisper (whisper-base, int8, CPU)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from oculi.memory.errors import MemoryDependencyMissing, MemoryInputError
from oculi.memory.protocols import Utterance


class WhisperTranscriber:
    """Times are seconds from the start of the audio file; ingest shifts them to wall time."""

    def __init__(self, model_folder: Path, threads: int = 2, language: str | None = None) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise MemoryDependencyMissing(
                "speech needs faster-whisper", hint="pip install faster-whisper"
            ) from exc
        self._model = WhisperModel(
            str(model_folder), device="cpu", compute_type="int8", cpu_threads=threads
        )
        self.language = language

    def transcribe(self, audio: str) -> Iterator[Utterance]:
        if not Path(audio).is_file():
            raise MemoryInputError(f"no such audio file: {audio}", hint="check the --audio path")
        try:
            segments, _info = self._model.transcribe(
                audio, beam_size=1, vad_filter=True, language=self.language
            )
            for seg in segments:
                text = seg.text.strip()
                if text:
                    yield Utterance(float(seg.start), float(seg.end), text)
        except (ValueError, RuntimeError, OSError) as exc:  # PyAV decode errors subclass these
            raise MemoryInputError(
                f"cannot decode audio {audio}: {exc}", hint="pass a WAV/FLAC/MP3 file"
            ) from exc


def load_transcriber(model_id: str = "whisper-base", threads: int = 2) -> WhisperTranscriber:
    from oculi.models.store import default_store

    return WhisperTranscriber(default_store().path(model_id), threads=threads)
