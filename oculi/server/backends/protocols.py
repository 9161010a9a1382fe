"""The interfaces the server calls. Every method is blocking: the server runs them off the loop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from oculi.llm.engine import GenerationOptions, ToolChoice
from oculi.llm.messages import ChatMessage, StreamEvent


@runtime_checkable
class ChatEngine(Protocol):
    """`oculi.llm.engine.LlamaEngine` satisfies this; one instance decodes one stream at a time."""

    def stream_chat(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: ToolChoice = "auto",
        json_schema: dict[str, Any] | None = None,
        json_object: bool = False,
        options: GenerationOptions | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]: ...


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
