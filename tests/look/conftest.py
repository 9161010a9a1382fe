"""Look-and-ask fixtures: a perceiver with the real models, frames from real and drawn images."""

from __future__ import annotations

from pathlib import Path

import pytest

from oculi.vision.perception import Perceiver, build_perceiver
from oculi.vision.perception.objects import YoloxDetector
from oculi.vision.settings import VisionSettings

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def perceiver() -> Perceiver:
    """Quality, OCR, codes and faces; plus YOLOX when ../shared has it (as a user would add it)."""
    settings = VisionSettings()
    yolox = SHARED / "models" / "yolox_nano.onnx"
    detector = YoloxDetector.from_file(yolox) if yolox.is_file() else None
    return build_perceiver(settings, detector=detector)


@pytest.fixture
def vizwiz() -> Path:
    d = SHARED / "data" / "vizwiz_captions"
    if not (d / "images").is_dir():
        pytest.skip("../shared/data/vizwiz_captions is absent (the real VizWiz photos)")
    return d


@pytest.fixture(scope="session")
def default_perceiver() -> Perceiver:
    """What a default install sees with: the best installed detector from the user's model
    cache (YOLOv3-tiny after `oculi models pull --stack default`), skipped when absent."""
    from oculi.models.store import default_store
    from oculi.vision.perception.pipeline import find_detector

    store = default_store()
    detector = find_detector(VisionSettings(detector_model="yolov3-tiny"), store)
    if detector is None:
        pytest.skip("no object detector installed: run `oculi models pull yolov3-tiny`")
    return build_perceiver(VisionSettings(), detector=detector)
