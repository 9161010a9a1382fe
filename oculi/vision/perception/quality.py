"""Image-quality checks: glasses cameras often see too little, and the answer must say so.

Brightness and glare are global statistics (mean luminance, share of clipped pixels, grey
contrast). Blur is judged where the frame has detail, not over the whole frame: a sharp
photo of a smooth thing (a mug, a plant, a cat on a plain sofa) is mostly soft surfaces and
background, and the variance of the Laplacian over all of it reads as "blurred". So the grey
frame (at a fixed 640 px, so thresholds do not depend on resolution) is cut into tiles, and
its sharpness is that of its sharpest few tiles (the 97th percentile), or of the regions
where the other steps found text or objects, whichever is sharper, scaled up for a dim frame
(its contrasts shrink with the exposure; a dim, sharp glasses frame is not a blurred one). A
truly blurred frame has no sharp tile anywhere. Each problem comes with advice the wearer can
act on.

This step runs last in the pipeline, so the text and object boxes are there to look at.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from oculi.vision.perception.types import Box, Perception, Quality
from oculi.vision.settings import VisionSettings

ADVICE = {
    "dark": "it is too dark: turn on a light or move closer to one",
    "over-exposed": "there is glare or the picture is washed out: tilt the object or turn away from the light",
    "blurred": "the picture is blurred: hold still for a moment and look again",
}
SIDE = 640  # blur is judged at this longest side
MID_GREY = 128.0
TILES = 8  # tiles along the shorter side
PERCENTILE = 97
REGION_MIN_SCORE = 0.8  # text or objects surer than this mark where the detail is
REGION_MIN_CHARS = 3  # a stray "7" read from noise marks nothing


def sharpness_where_detailed(grey: np.ndarray, regions: Iterable[Box] = ()) -> float:
    """Variance of the Laplacian in the frame's most detailed parts (see the module doc)."""
    lap = cv2.Laplacian(grey, cv2.CV_64F)
    h, w = grey.shape
    t = max(8, min(h, w) // TILES)
    tiles = [lap[y : y + t, x : x + t].var() for y in range(0, h - t + 1, t) for x in range(0, w - t + 1, t)]
    best = float(np.percentile(tiles, PERCENTILE)) if tiles else float(lap.var())
    for x0, y0, x1, y1 in regions:
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if (x1 - x0) >= 8 and (y1 - y0) >= 8:
            best = max(best, float(lap[y0:y1, x0:x1].var()))
    return best


def assess(image: np.ndarray, settings: VisionSettings, regions: Iterable[Box] = ()) -> Quality:
    """`regions`: boxes (in `image` pixels) where text or objects were found."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    scale = min(1.0, SIDE / max(h, w))
    if scale < 1:
        grey = cv2.resize(grey, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    boxes = [(int(b[0] * scale), int(b[1] * scale), int(b[2] * scale), int(b[3] * scale)) for b in regions]
    brightness = float(grey.mean())
    clipped = float((grey >= 250).mean())
    # The Laplacian's variance grows with the square of contrast, and a dim frame has all its
    # contrasts scaled down by the exposure: judge focus, not light (dark is its own problem).
    exposure = max(min(1.0, brightness / MID_GREY), settings.dark_luma / MID_GREY)
    sharpness = sharpness_where_detailed(grey, boxes) / exposure**2
    problems: list[str] = []
    # a dark mean alone is not a dark frame: a lit parrot on a black background is well exposed
    if brightness < settings.dark_luma and float(np.percentile(grey, 95)) < settings.dark_highlight_luma:
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
        regions = [
            t.box
            for t in result.text
            if t.score >= REGION_MIN_SCORE and sum(ch.isalnum() for ch in t.text) >= REGION_MIN_CHARS
        ]
        regions += [o.box for o in result.objects or [] if o.score >= REGION_MIN_SCORE]
        result.quality = assess(image, self.settings, regions)
