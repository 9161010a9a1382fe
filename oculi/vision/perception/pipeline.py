"""Run every perception step on a frame, timing each, isolating failures.

Frames are downscaled once to `max_side` (OCR and detector cost grows with area, and phone
photos are larger than any step needs); boxes are mapped back to the frame's own pixels so
the annotator can blur faces in the full-size image. A step that fails records its error in
`Perception.errors` instead of ending the look: the other steps still answer.
"""

from __future__ import annotations

import time
from dataclasses import replace

import cv2
import numpy as np

from oculi.errors import OculiError
from oculi.models.store import ModelStore
from oculi.vision.perception.codes import CodeStep
from oculi.vision.perception.colour import ColourStep
from oculi.vision.perception.darknet import DarknetDetector
from oculi.vision.perception.faces import FaceStep
from oculi.vision.perception.objects import YoloxDetector
from oculi.vision.perception.ocr import OcrStep
from oculi.vision.perception.quality import QualityStep
from oculi.vision.perception.types import Perception, PerceptionStep
from oculi.vision.settings import VisionSettings


class Perceiver:
    def __init__(self, settings: VisionSettings, steps: list[PerceptionStep]) -> None:
        self.settings = settings
        self.steps = steps

    @property
    def has_objects(self) -> bool:
        return any(s.name == "objects" for s in self.steps)

    @property
    def detector_name(self) -> str | None:
        """Which detector runs ('yolov3-tiny', 'yolox-nano', …): for the prompt and the HUD."""
        return next((getattr(s, "model_id", None) or type(s).__name__ for s in self.steps if s.name == "objects"), None)

    def perceive(self, image: np.ndarray) -> Perception:
        h, w = image.shape[:2]
        scale = min(1.0, self.settings.max_side / max(h, w))
        small = image
        if scale < 1:
            small = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        result = Perception(width=w, height=h)
        for step in self.steps:
            t0 = time.perf_counter()
            try:
                step.run(small, result)
            except Exception as exc:  # noqa: BLE001 - one broken step must not cost the others
                result.errors[step.name] = str(exc)
            result.timings[step.name] = time.perf_counter() - t0
        if scale < 1:
            _rescale(result, 1 / scale)
        return result


class UnavailableStep:
    """A step whose model could not be loaded: every frame records why, so callers that must
    fail closed (face blurring) see the failure instead of an empty result."""

    def __init__(self, name: str, error: str) -> None:
        self.name = name
        self.error = error

    def run(self, image: np.ndarray, result: Perception) -> None:
        raise RuntimeError(self.error)


def build_perceiver(
    settings: VisionSettings,
    store: ModelStore | None = None,
    detector: PerceptionStep | None = None,
    faces: PerceptionStep | None = None,
) -> Perceiver:
    """OCR, codes, faces, then the best installed object detector (or the one given), the
    colours of what it found, then the quality check, which judges blur where the other
    steps found detail."""
    if faces is None:
        try:
            faces = FaceStep.for_counting(threads=settings.threads)
        except OculiError as exc:
            faces = UnavailableStep("faces", f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
    steps: list[PerceptionStep] = [OcrStep(settings), CodeStep(), faces]
    if detector is None and store is not None:
        detector = find_detector(settings, store)
    if detector is not None:
        steps.append(detector)
    steps.append(ColourStep())
    if store is not None:
        classifier = find_classifier(settings, store)
        if classifier is not None:
            steps.append(classifier)
    steps.append(QualityStep(settings))
    return Perceiver(settings, steps)


def find_detector(settings: VisionSettings, store: ModelStore) -> PerceptionStep | None:
    """The configured detector, or the best installed one; None (not an error) when none is."""
    from oculi.vision.levels import vision_level

    model_id = vision_level(settings, store).detector
    if model_id is None:
        return None
    spec = store.get(model_id)
    path = store.path(model_id)
    det: PerceptionStep
    if spec.format == "darknet":
        det = DarknetDetector(path, settings.threads, settings.darknet_min_score)
    else:
        det = YoloxDetector.from_file(path, settings.threads, settings.detector_min_score)
    det.model_id = model_id  # type: ignore[attr-defined]
    return det


def find_classifier(settings: VisionSettings, store: ModelStore) -> PerceptionStep | None:
    """The best installed image classifier (MobileNetV2 added or pulled), or None."""
    from oculi.vision.levels import vision_level
    from oculi.vision.perception.classify import TfliteClassifier

    model_id = vision_level(settings, store).classifier
    if model_id is None:
        return None
    try:
        return TfliteClassifier(store.path(model_id), settings.threads)
    except OculiError:
        return None  # a classifier is an extra: a broken one costs nothing else


def _rescale(result: Perception, f: float) -> None:
    def s(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (int(box[0] * f), int(box[1] * f), int(box[2] * f), int(box[3] * f))

    result.text = [replace(t, box=s(t.box)) for t in result.text]
    result.codes = [replace(c, box=s(c.box)) for c in result.codes]
    result.faces = [replace(x, box=s(x.box)) for x in result.faces]
    if result.objects is not None:
        result.objects = [replace(o, box=s(o.box)) for o in result.objects]
