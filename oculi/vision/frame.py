"""The one thing every source yields: an RGB image with the time it was seen."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Frame:
    """An RGB uint8 image (H x W x 3) and when it was captured.

    `timestamp` is seconds: position in the stream for files and videos, wall-clock time
    (time.time()) for live cameras and streams, so a memory can be placed in time either way.
    """

    image: np.ndarray
    timestamp: float
    source: str
    index: int = 0
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])
