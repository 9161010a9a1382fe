"""Barcodes and QR codes with zxing-cpp: reads product codes (EAN/UPC) and QR links."""

from __future__ import annotations

import numpy as np

from oculi.vision.errors import PerceptionError
from oculi.vision.perception.types import Code, Perception


class CodeStep:
    name = "codes"

    def __init__(self) -> None:
        try:
            import zxingcpp
        except ImportError as exc:
            raise PerceptionError(
                "the barcode reader is not installed", hint="pip install zxing-cpp", code="package_missing"
            ) from exc
        self._zx = zxingcpp

    def read(self, image: np.ndarray) -> list[Code]:
        found = []
        for r in self._zx.read_barcodes(image):
            p = r.position
            xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
            ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
            found.append(Code(kind=str(r.format.name), text=r.text, box=(min(xs), min(ys), max(xs), max(ys))))
        return found

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.codes = self.read(image)
