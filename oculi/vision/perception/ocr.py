"""OCR with PP-OCRv4 (rapidocr-onnxruntime): text lines with boxes, in reading order.

rapidocr returns lines in detection order, which jumbles multi-column labels and menus.
`reading_order` groups lines into rows by vertical overlap, then sorts rows top to bottom
and lines left to right, which is how a person would read a sign aloud.
"""

from __future__ import annotations

import numpy as np

from oculi.vision.errors import PerceptionError
from oculi.vision.perception.types import Box, Perception, TextLine
from oculi.vision.settings import VisionSettings


class OcrStep:
    name = "ocr"

    def __init__(self, settings: VisionSettings) -> None:
        self.settings = settings
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise PerceptionError(
                "the OCR runtime is not installed",
                hint="pip install rapidocr-onnxruntime==1.4.4 --no-deps (see the README)",
                code="package_missing",
            ) from exc
        try:
            self._ocr = RapidOCR(
                intra_op_num_threads=settings.threads,
                inter_op_num_threads=1,
                det_limit_side_len=960,
                det_limit_type="max",
                text_score=settings.ocr_min_score,
            )
        except Exception as exc:  # a damaged install: model files missing or unreadable
            raise PerceptionError(
                f"cannot load the OCR models: {exc}",
                hint="reinstall rapidocr-onnxruntime; `oculi models verify rapidocr-ppocrv4`",
                code="model_load_failed",
            ) from exc

    def read(self, image: np.ndarray) -> list[TextLine]:
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        raw, _ = self._ocr(bgr)
        lines = []
        for quad, text, score in raw or []:
            pts = np.asarray(quad, dtype=float)
            box: Box = (int(pts[:, 0].min()), int(pts[:, 1].min()), int(pts[:, 0].max()), int(pts[:, 1].max()))
            text = str(text).strip()
            if text and float(score) >= self.settings.ocr_min_score:
                lines.append(TextLine(text=text, score=float(score), box=box))
        return reading_order(lines)

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.text = self.read(image)


def reading_order(lines: list[TextLine]) -> list[TextLine]:
    """Rows top to bottom (lines whose vertical centres fall within half a line height), then left to right."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        cy = (line.box[1] + line.box[3]) / 2
        h = max(1, line.box[3] - line.box[1])
        if rows:
            last = rows[-1]
            ref = sum((ln.box[1] + ln.box[3]) / 2 for ln in last) / len(last)
            ref_h = max(1, sum(ln.box[3] - ln.box[1] for ln in last) / len(last))
            if abs(cy - ref) <= 0.5 * min(h, ref_h):
                last.append(line)
                continue
        rows.append([line])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.box[0])]
