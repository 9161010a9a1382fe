"""Image-quality checks: glasses cameras often see too little, and the answer must say so.

Cheap global statistics (mean luminance, share of clipped pixels, variance of the Laplacian
on a downscaled grey image) catch the three failures blind users' photos show most: dark,
over-exposed/glare and motion blur. Each comes with advice the wearer can act on.
"""

from __future__ import annotations

import cv2
import numpy as np

from oculi.vision.perception.types import Perception, Quality
from oculi.vision.settings import VisionSettings

ADVICE = {
    "dark": "it is too dark: turn on a light or move closer to one",
    "over-exposed": "there is glare or the picture is washed out: tilt the object or turn away from the light",
    "blurred": "the picture is blurred: hold still for a moment and look again",
}


def assess(image: np.ndarray, settings: VisionSettings) -> Quality:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    scale = 640 / max(h, w)
    if scale < 1:  # blur is judged at a fixed size, so thresholds don't depend on resolution
        grey = cv2.resize(grey, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    brightness = float(grey.mean())
    clipped = float((grey >= 250).mean())
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    problems: list[str] = []
    if brightness < settings.dark_luma:
        problems.append("dark")
    contrast = float(grey.std())
    # bright alone is fine (a white page); bright with the detail washed out is glare
    if (brightness > settings.bright_luma or clipped > settings.clipped_fraction) and contrast < settings.min_contrast:
        problems.append("over-exposed")
    if sharpness < settings.blur_variance and "dark" not in problems:
        problems.append("blurred")
    advice = "; ".join(ADVICE[p] for p in problems)
    return Quality(brightness, sharpness, clipped, tuple(problems), advice)


class QualityStep:
    name = "quality"

    def __init__(self, settings: VisionSettings) -> None:
        self.settings = settings

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.quality = assess(image, self.settings)
