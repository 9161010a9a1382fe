"""The interfaces the server calls. Every method is blocking: the server runs them off the loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from oculi.llm.protocol import ChatEngine as _ChatEngine

# The one chat-engine interface lives in oculi.llm.protocol; the server's modules import it here.
ChatEngine = _ChatEngine


@runtime_checkable
class Embedder(Protocol):
    model_id: str
    dimensions: int

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector per text."""
        ...

    def count_tokens(self, texts: list[str]) -> int: ...


@dataclass
class Transcript:
    text: str
    language: str | None = None
    duration: float | None = None


@runtime_checkable
class Transcriber(Protocol):
    model_id: str

    def transcribe(
        self, audio: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Audio file bytes (any format ffmpeg/PyAV decodes) to text."""
        ...


@runtime_checkable
class SpeechSynthesizer(Protocol):
    model_id: str
    sample_rate: int
    voices: list[str]

    def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        """Text to 16-bit mono little-endian PCM at `sample_rate`."""
        ...


@runtime_checkable
class ImageDescriber(Protocol):
    def describe(self, image: bytes, mime: str, question: str) -> str:
        """A short text the chat model can read in place of the image."""
        ...
