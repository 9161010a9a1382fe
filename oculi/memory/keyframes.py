"""Keyframe selection: keep a frame when the scene changed (or too long passed) and it is sharp.

Storing every frame would cost OCR time and disk for near-duplicates; storing blurred frames
would give OCR nothing to read. Scene change is the Bhattacharyya distance between
hue–saturation histograms of the frame and the last keyframe; sharpness is the variance of
the Laplacian on a small grey copy (the usual blur measure).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from oculi.memory.protocols import Frame, TimedFrame

WORK_PX = 256


@dataclass(frozen=True)
class FrameFeatures:
    hist: np.ndarray
    sharpness: float


def features(rgb: Frame) -> FrameFeatures:
    h, w = rgb.shape[:2]
    scale = WORK_PX / max(h, w)
    small = cv2.resize(
        rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA
    )
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    cv2.normalize(hist, hist)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    return FrameFeatures(hist, float(cv2.Laplacian(gray, cv2.CV_64F).var()))


class KeyframeSelector:
    def __init__(
        self, scene_threshold: float = 0.35, max_gap_s: float = 30.0, min_sharpness: float = 15.0
    ) -> None:
        self.scene_threshold = scene_threshold
        self.max_gap_s = max_gap_s
        self.min_sharpness = min_sharpness
        self._last: FrameFeatures | None = None
        self._last_ts: float | None = None
        self._first_ts: float | None = None

    def offer(self, frame: TimedFrame) -> bool:
        """True when this frame should become a keyframe (and remembers it as the last one)."""
        f = features(frame.rgb)
        if self._first_ts is None:
            self._first_ts = frame.ts
        since = frame.ts - (self._last_ts if self._last_ts is not None else self._first_ts)
        if self._last is None:
            changed = True
        else:
            changed = (
                cv2.compareHist(self._last.hist, f.hist, cv2.HISTCMP_BHATTACHARYYA)
                > self.scene_threshold
            )
        due = since >= self.max_gap_s
        sharp = f.sharpness >= self.min_sharpness
        # A scene that never gets sharp is still kept once per two gaps: better a blurred
        # moment than a hole in the day.
        if (changed or due) and sharp or since >= 2 * self.max_gap_s:
            self._last, self._last_ts = f, frame.ts
            return True
        return False
