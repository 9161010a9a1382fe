"""Face detection with OpenCV's Haar cascade (shipped inside the opencv-python 4.x wheel).

Used to count people ("is anyone in front of me?") and to blur bystanders in anything
stored. Haar is old but ships in a registry package and needs no download; opencv 5 dropped
it, which is why oculi pins opencv < 5.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from oculi.vision.errors import PerceptionError
from oculi.vision.perception.types import Face, Perception

CASCADE = "haarcascade_frontalface_default.xml"


class FaceStep:
    name = "faces"

    def __init__(self, min_size: int = 36, min_neighbors: int = 8) -> None:
        if not hasattr(cv2, "CascadeClassifier"):
            raise PerceptionError(
                f"OpenCV {cv2.__version__} has no CascadeClassifier (opencv 5 removed it)",
                hint='pip install "opencv-python>=4.8,<5" (opencv 5 dropped the Haar cascades)',
                code="package_missing",
            )
        path = Path(getattr(getattr(cv2, "data", None), "haarcascades", "")) / CASCADE
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise PerceptionError(
                f"the face model {path} is missing or damaged",
                hint='reinstall "opencv-python>=4.8,<5"',
                code="model_load_failed",
            )
        self.min_size = min_size
        self.min_neighbors = min_neighbors

    def detect(self, image: np.ndarray) -> list[Face]:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        h, w = grey.shape
        scale = min(1.0, 800 / max(h, w))  # Haar cost grows with area; 800 px finds faces >= ~30 px
        if scale < 1:
            grey = cv2.resize(grey, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        grey = cv2.equalizeHist(grey)
        found = self._cascade.detectMultiScale(
            grey, scaleFactor=1.1, minNeighbors=self.min_neighbors, minSize=(self.min_size, self.min_size)
        )
        return [
            Face(box=(int(x / scale), int(y / scale), int((x + fw) / scale), int((y + fh) / scale)))
            for (x, y, fw, fh) in (found if len(found) else [])
        ]

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.faces = self.detect(image)
