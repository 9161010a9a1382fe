"""What ingest and recall need from other subsystems, as small Protocols.

The real implementations adapt vision's OCR and face detector (`perceive.py`) and voice's
Whisper model (`speech.py`); tests inject failing ones to check that memory fails closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]  # H×W×3 RGB


@dataclass(frozen=True)
class TimedFrame:
    """A frame and its wall-clock time in seconds since the Unix epoch."""

    ts: float
    rgb: Frame


@dataclass(frozen=True)
class Observation:
    ocr_text: str
    people: int | None  # None: the face detector failed, the count is unknown
    caption: str | None = None


@dataclass(frozen=True)
class Utterance:
    """Speech with times in seconds since the Unix epoch."""

    start: float
    end: float
    text: str


class FrameSource(Protocol):
    """Frames in time order. `key` identifies the source so an ingest can resume."""

    key: str
    duration_s: float | None

    def frames(self, start_after: float | None = None) -> Iterator[TimedFrame]: ...


class Observer(Protocol):
    def observe(self, rgb: Frame) -> Observation: ...


class FaceBlurrer(Protocol):
    """Returns a copy with every detected face blurred; raises when it cannot tell."""

    def blur_faces(self, rgb: Frame) -> Frame: ...


class Transcriber(Protocol):
    """Speech in an audio file, times in seconds from the file's start."""

    def transcribe(self, audio: str) -> Iterator[Utterance]: ...


class Embedder(Protocol):
    dim: int

    def embed(self, texts: list[str]) -> NDArray[np.float32]: ...


class ChatEngine(Protocol):
    def chat(self, messages: list, **kwargs: object) -> object: ...
