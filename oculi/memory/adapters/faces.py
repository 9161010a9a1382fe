"""Faces with OpenCV's Haar cascade: counted (never identified) and blurred.

The cascade ships inside opencv-python 4.x (`cv2/data`); 5.x dropped it, so a missing
cascade is an error, which makes thumbnails fail closed rather than go out unblurred.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.memory.errors import MemoryDependencyMissing
from oculi.memory.protocols import Frame

DETECT_PX = 640  # detect on a downscaled copy: Haar cost grows with pixels


class HaarFaces:
    def __init__(self) -> None:
        try:
            import cv2
        except ImportError as exc:
            raise MemoryDependencyMissing(
                "face detection needs OpenCV", hint="pip install 'opencv-python<5'"
            ) from exc
        cascade = Path(getattr(cv2, "data", None).haarcascades if hasattr(cv2, "data") else "") / (
            "haarcascade_frontalface_default.xml"
        )
        if not hasattr(cv2, "CascadeClassifier") or not cascade.is_file():
            raise MemoryDependencyMissing(
                "this OpenCV has no Haar face cascade (OpenCV 5 removed it)",
                hint="pip install 'opencv-python<5'",
            )
        self._cv2 = cv2
        self._clf = cv2.CascadeClassifier(str(cascade))
        if self._clf.empty():
            raise MemoryDependencyMissing(
                f"cannot load {cascade}", hint="reinstall opencv-python<5"
            )

    def detect(self, rgb: Frame) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) in full-resolution pixels."""
        cv2 = self._cv2
        h, w = rgb.shape[:2]
        scale = min(1.0, DETECT_PX / max(h, w))
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            gray = cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        gray = cv2.equalizeHist(gray)
        boxes = self._clf.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(20, 20))
        return [tuple(int(v / scale) for v in b) for b in boxes]  # type: ignore[misc]

    def count(self, rgb: Frame) -> int:
        return len(self.detect(rgb))

    def blur_faces(self, rgb: Frame) -> Frame:
        out = np.array(rgb, dtype=np.uint8, copy=True)
        for x, y, w, h in self.detect(rgb):
            # grow the box: Haar boxes are tight and hair/ears identify people too
            x0, y0 = max(0, x - w // 4), max(0, y - h // 4)
            x1, y1 = min(out.shape[1], x + w + w // 4), min(out.shape[0], y + h + h // 4)
            roi = out[y0:y1, x0:x1]
            k = max(31, (max(roi.shape[:2]) // 3) | 1)
            out[y0:y1, x0:x1] = self._cv2.GaussianBlur(roi, (k, k), 0)
        return out
