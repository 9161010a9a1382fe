"""What memory sees in a keyframe, on vision's own OCR, object and face detectors.

Memory adds only what it needs on top of `oculi.vision.perception`:
- OCR on a copy downscaled to 960 px (the detector's working size; larger frames cost time and
  read no more), with glued words split so full-text search finds them;
- the objects in view as a short caption ("a cup in the middle, 2 chairs on the left and
  right"), stored in the moment's caption and indexed, so a question about the cup finds
  the frame; the best installed detector is used (YOLOv3-tiny by default);
- a people count, never an identity;
- face blurring for anything stored, with vision's thorough face detector (tiles and quarter
  turns: a false blur costs a few pixels, a missed face costs a bystander's privacy).

The face detections of a frame are kept for that frame only, so counting people and blurring
the thumbnail of the same keyframe run the detector once.
"""

from __future__ import annotations

import logging
import re
import threading

import cv2
import numpy as np

from oculi.memory.protocols import Frame, Observation
from oculi.vision.annotate import blur_faces
from oculi.vision.perception.faces import FaceStep
from oculi.vision.perception.ocr import OcrStep
from oculi.vision.perception.scene import objects_caption
from oculi.vision.perception.types import Face, PerceptionStep
from oculi.vision.settings import VisionSettings

log = logging.getLogger(__name__)

OCR_MAX_PX = 960
OCR_MIN_SCORE = 0.6  # memory keeps fewer, surer words: a wrong word is a false memory
BLUR_MARGIN = 0.25  # hair and ears identify people too


class FaceBlur:
    """Memory's face blurrer: vision's BlazeFace detector and blur. Raises when it cannot tell,
    so callers fail closed (no image stored)."""

    def __init__(self, step: FaceStep | None = None) -> None:
        # FaceStep's defaults are the thorough, blurring configuration; a missing or broken
        # model raises here, before anything is ingested
        self.step = step or FaceStep()
        self._lock = threading.Lock()
        self._last: tuple[Frame, list[Face]] | None = None

    def detect(self, rgb: Frame) -> list[Face]:
        with self._lock:
            if self._last is not None and self._last[0] is rgb:
                return self._last[1]
        faces = self.step.detect(rgb)
        with self._lock:
            self._last = (rgb, faces)
        return faces

    def count(self, rgb: Frame) -> int:
        return len(self.detect(rgb))

    def blur_faces(self, rgb: Frame) -> Frame:
        return blur_faces(np.asarray(rgb, dtype=np.uint8), self.detect(rgb), margin=BLUR_MARGIN)


class VisionObserver:
    """Observation of a keyframe: OCR text in reading order, the objects in view and how many
    people are visible.

    Without a vision-language model the caption is the detector's objects (None when nothing
    was named or no detector is installed). A failing face detector leaves `people` unknown
    (None) instead of stopping the ingest; the thumbnail of that frame is then withheld by
    `save_thumbnail`, which calls the same detector.
    """

    def __init__(
        self, faces: FaceBlur | None = None, threads: int = 2, detector: PerceptionStep | None = None
    ) -> None:
        self._ocr = OcrStep(VisionSettings(threads=threads, ocr_min_score=OCR_MIN_SCORE))
        self._faces = faces or FaceBlur()
        self._detector = detector if detector is not None else _default_detector(threads)

    def observe(self, rgb: Frame) -> Observation:
        h, w = rgb.shape[:2]
        scale = min(1.0, OCR_MAX_PX / max(h, w))
        img = (
            rgb
            if scale == 1.0
            else cv2.resize(rgb, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        )
        lines = self._ocr.read(img)
        try:
            people: int | None = self._faces.count(rgb)
        except Exception as exc:  # noqa: BLE001 - a count is optional; the blur fails closed
            log.warning("face detection failed (%s); people count unknown", exc)
            people = None
        caption = None
        if self._detector is not None:
            try:
                objects = self._detector.detect(img)  # type: ignore[attr-defined]
                caption = objects_caption(objects, img.shape[1], img.shape[0]) or None
            except Exception as exc:  # noqa: BLE001 - objects are optional
                log.warning("object detection failed (%s)", exc)
        return Observation(
            ocr_text=" ".join(split_glued(line.text) for line in lines), people=people, caption=caption
        )


def _default_detector(threads: int) -> PerceptionStep | None:
    """The best installed detector, or None (memory then stores text and people only)."""
    from oculi.models.store import default_store
    from oculi.vision.perception.pipeline import find_detector

    try:
        return find_detector(VisionSettings(threads=threads), default_store())
    except Exception as exc:  # noqa: BLE001 - no detector is a lesser memory, not an error
        log.warning("no object detector for memory (%s)", exc)
        return None


_GLUED = re.compile(r"[A-Za-z]{10,}")


def split_glued(text: str) -> str:
    """PP-OCR often drops spaces ("repairthiscomputer"); split long letter runs into words so
    full-text search can find them. Short runs are left alone (names, model numbers)."""
    import wordninja

    return _GLUED.sub(lambda m: " ".join(wordninja.split(m.group(0))), text)
