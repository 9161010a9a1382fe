"""Perception steps, one job each: quality, OCR, codes, faces, objects (optional)."""

from oculi.vision.perception.pipeline import Perceiver, build_perceiver, find_detector
from oculi.vision.perception.types import Code, Detection, Face, Perception, Quality, TextLine

__all__ = [
    "Code",
    "Detection",
    "Face",
    "Perceiver",
    "Perception",
    "Quality",
    "TextLine",
    "build_perceiver",
    "find_detector",
]
