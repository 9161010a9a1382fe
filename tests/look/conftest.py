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
