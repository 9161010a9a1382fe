"""OCR with PP-OCRv4 (rapidocr-onnxruntime): text lines with boxes, in reading order.

rapidocr returns lines in detection order, which jumbles multi-column labels and menus.
`reading_order` groups lines into rows by vertical overlap, then sorts rows top to bottom
and lines left to right, which is how a person would read a sign aloud.

The text detector looks at the frame scaled down to `ocr_max_side` (it finds lines as well
at 960 px and takes half the time of a 1296 px glasses frame), while each line is read from
the full-resolution crop, so small print keeps its detail. rapidocr's own size limit cannot
do this: in 1.4.4 its "max" mode ignores the configured side and picks 960/1500/2000 itself.

A line read without confidence is read again both ways up: rapidocr's angle classifier often
misses a label held upside down (a disc on the floor read "LSmopuiM"), and the reader is
surer of the right way up.
"""

from __future__ import annotations

import cv2
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
                det_limit_type="max",  # never upscale small frames: that reads noise as text
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
        raw = self._retry_upside_down(bgr, self._detect_small_read_full(bgr))
        lines = []
        for quad, text, score in raw or []:
            pts = np.asarray(quad, dtype=float)
            box: Box = (int(pts[:, 0].min()), int(pts[:, 1].min()), int(pts[:, 0].max()), int(pts[:, 1].max()))
            text = str(text).strip()
            if text and float(score) >= self.settings.ocr_min_score:
                lines.append(TextLine(text=text, score=float(score), box=box))
        return reading_order(lines)

    def _detect_small_read_full(self, bgr: np.ndarray) -> list:
        h, w = bgr.shape[:2]
        scale = self.settings.ocr_max_side / max(h, w)
        ocr = self._ocr
        if scale >= 1 or max(h, w) / max(1, min(h, w)) > 8 or min(h, w) * scale <= ocr.min_height:
            return ocr(bgr)[0] or []  # small or extreme shapes: rapidocr's own path
        small = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        boxes, _ = ocr.auto_text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = np.asarray(boxes, dtype=np.float32) / np.float32(scale)
        crops = ocr.get_crop_img_list(bgr, boxes)
        crops, _, _ = ocr.text_cls(crops)
        rec, _ = ocr.text_rec(crops, False)
        return [(box.tolist(), text, score) for box, (text, score, *_rest) in zip(boxes, rec)]

    def _retry_upside_down(self, bgr: np.ndarray, raw: list) -> list:
        """Unsure lines re-read from their crop as it is and turned half round; the surest reading wins."""
        weak = [i for i, (_quad, _text, score) in enumerate(raw) if float(score) < UNSURE_LINE]
        if not weak:
            return raw
        quads = np.asarray([raw[i][0] for i in weak], dtype=np.float32)
        crops = self._ocr.get_crop_img_list(bgr, quads)
        both = [c for crop in crops for c in (crop, cv2.rotate(crop, cv2.ROTATE_180))]
        rec, _ = self._ocr.text_rec(both, False)
        out = list(raw)
        for k, i in enumerate(weak):
            readings = [(float(raw[i][2]), raw[i][1])] + [(float(r[1]), r[0]) for r in rec[2 * k : 2 * k + 2]]
            score, text = max(readings, key=lambda r: r[0])
            out[i] = (raw[i][0], text, score)
        return out

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.text = self.read(image)


UNSURE_LINE = 0.9  # lines read with less confidence than this are read again, turned half round


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
