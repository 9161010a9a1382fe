"""Observation of a keyframe: OCR text (rapidocr PP-OCRv4) and a people count (Haar faces).

No captioning model ships offline here, so `caption` stays None; a VLM-backed observer from
oculi/vision can fill it in through the same Observer protocol.
"""

from __future__ import annotations

import re

import numpy as np

from oculi.memory.adapters.faces import HaarFaces
from oculi.memory.errors import MemoryDependencyMissing
from oculi.memory.protocols import Frame, Observation

OCR_MAX_PX = 960  # the models' working size; bigger frames only cost time
MIN_SCORE = 0.6


class RapidOcrObserver:
    def __init__(self, faces: HaarFaces | None = None, threads: int = 2) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise MemoryDependencyMissing(
                "OCR needs rapidocr-onnxruntime", hint="pip install 'rapidocr-onnxruntime==1.4.4'"
            ) from exc
        self._ocr = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        self._faces = faces or HaarFaces()

    def observe(self, rgb: Frame) -> Observation:
        import cv2

        h, w = rgb.shape[:2]
        scale = min(1.0, OCR_MAX_PX / max(h, w))
        img = (
            rgb
            if scale == 1.0
            else cv2.resize(rgb, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        )
        bgr = np.ascontiguousarray(img[..., ::-1])
        result, _ = self._ocr(bgr)
        lines = [text for _box, text, score in (result or []) if float(score) >= MIN_SCORE]
        return Observation(
            ocr_text=" ".join(split_glued(t) for t in lines), people=self._faces.count(rgb)
        )


_GLUED = re.compile(r"[A-Za-z]{10,}")


def split_glued(text: str) -> str:
    """PP-OCR often drops spaces ("repairthiscomputer"); split long letter runs into words so
    full-text search can find them. Short runs are left alone (names, model numbers)."""
    import wordninja

    return _GLUED.sub(lambda m: " ".join(wordninja.split(m.group(0))), text)
