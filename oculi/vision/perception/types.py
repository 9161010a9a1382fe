"""What perception found in one frame, as plain data the agent, annotator and tests share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float
    box: Box


@dataclass(frozen=True)
class Code:
    kind: str  # "QRCode", "EAN13", ...
    text: str
    box: Box


@dataclass(frozen=True)
class Face:
    box: Box
    score: float = 1.0  # the detector's confidence
    clothes: tuple[str, ...] = ()  # colours below the face, for a face no person box holds


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: Box
    colours: tuple[str, ...] = ()  # named by the colour step ("blue", "white"), most of the box first


@dataclass(frozen=True)
class Quality:
    brightness: float  # mean luminance 0-255
    sharpness: float  # variance of the Laplacian
    clipped: float  # share of near-white pixels
    problems: tuple[str, ...] = ()  # "dark", "blurred", "over-exposed"
    advice: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Perception:
    """Everything seen in one frame; `None` for a step that did not run (e.g. no detector)."""

    width: int
    height: int
    quality: Quality | None = None
    text: list[TextLine] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    objects: list[Detection] | None = None
    classes: list[Detection] | None = None  # an image classifier's best guess (whole frame), when one is added
    caption: str | None = None  # from a vision-language model, when one is installed
    centre_colours: tuple[str, ...] = ()  # the colours in the middle of the view
    timings: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # step -> message (a step failed)

    @property
    def full_text(self) -> str:
        return "\n".join(line.text for line in self.text)


class PerceptionStep(Protocol):
    """One job on one frame; writes its findings into `result`."""

    name: str

    def run(self, image: np.ndarray, result: Perception) -> None: ...
