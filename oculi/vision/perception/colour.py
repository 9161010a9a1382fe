"""Colour names for what was found: "which colour is the scarf?", "is that jacket blue?".

A detector says "tie" and "person" but nothing about colour, and a text-only LLM asked
"what colour…?" can only guess. This step names the one or two colours a person would use
for each detected thing, from the pixels inside its box, plus the colour in the middle of
the view (what a wearer points their head at).

Pixels are classed in HSV by fixed, documented ranges (OpenCV's 0-179 hue): dark pixels are
black, unsaturated ones white or grey, the rest by hue, with dim oranges and reds called
brown. Only the inner part of a box is used, since its edges are mostly background; for a
person, the band below the head where clothes are (below any face found in it), so "what
colour is her coat?" is answered from the coat, not the face or the wall behind. It is a
plain rule, not a learnt model: it names strong colours well and is unsure of dim, tinted
light; shares below a quarter of the region are not named at all.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from oculi.vision.perception.scene import lone_faces
from oculi.vision.perception.types import Box, Detection, Face, Perception

# hue upper bounds (OpenCV hue is 0-179), checked in order; the wrap-around red is last
HUES = ((8, "red"), (20, "orange"), (33, "yellow"), (85, "green"), (130, "blue"), (148, "purple"), (170, "pink"), (180, "red"))
BLACK_V = 55  # darker than this is black, whatever the hue
GREY_S = 55  # less saturated than this is white or grey
WHITE_V = 190
DARK_V = 110  # a chromatic colour dimmer than this is "dark …" ("dark blue" for navy)
MIN_SHARE = 0.25  # a colour must cover this share of the region to be named
MAX_PIXELS = 4096  # regions are sampled down to about this many pixels


def colour_names(region: np.ndarray, limit: int = 2) -> tuple[str, ...]:
    """The colours covering most of an RGB region, the most common first ('blue', 'white')."""
    if region.size == 0:
        return ()
    step = max(1, int(np.sqrt(region.shape[0] * region.shape[1] / MAX_PIXELS)))
    hsv = cv2.cvtColor(np.ascontiguousarray(region[::step, ::step]), cv2.COLOR_RGB2HSV).reshape(-1, 3)
    names = [_name(int(h), int(s), int(v)) for h, s, v in hsv]
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return tuple(n for n, c in ranked[:limit] if c >= MIN_SHARE * len(names))


def _name(h: int, s: int, v: int) -> str:
    if v < BLACK_V:
        return "black"
    if s < GREY_S:
        return "white" if v >= WHITE_V else "dark grey" if v < DARK_V else "grey"
    hue = next(name for bound, name in HUES if h < bound)
    if hue in ("orange", "red") and v < 150 and h < 20 and s < 200:
        return "brown"
    if hue == "yellow" and v < DARK_V:
        return "brown"
    return f"dark {hue}" if v < DARK_V else hue


def inner_region(box: Box, label: str) -> Box:
    """The part of a box that shows the thing itself: the middle half, or a person's clothes."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if label == "person":  # below the head, above the legs (or the frame's edge)
        return (x0 + w // 4, y0 + int(h * 0.3), x1 - w // 4, y0 + int(h * 0.7))
    return (x0 + w // 4, y0 + h // 4, x1 - w // 4, y1 - h // 4)


def clothes_below_face(region: Box, detection: Detection, result: Perception) -> Box:
    """A close-up portrait's person box is mostly face: its clothes start below the face found
    in it, or the skin is named as the shirt's colour ("red")."""
    if detection.label != "person":
        return region
    x0, y0, x1, y1 = region
    for f in result.faces:
        fx = (f.box[0] + f.box[2]) / 2
        if x0 <= fx <= x1 and f.box[1] < y1 and f.box[3] > y0:  # a face inside the band
            face_h = f.box[3] - f.box[1]
            y0 = max(y0, f.box[3] + face_h // 4)  # start below the chin...
            y1 = max(y1, min(detection.box[3], y0 + face_h))  # ...and look a face's height down
    return (x0, min(y0, y1), x1, y1)  # empty when the face reaches the box's bottom: no clothes in view


def clothes_below(image: np.ndarray, face: Face) -> Face:
    """A face no sure person box holds (a close-up: the detector saw only a face) gets the
    colours of the band below it, where the shirt is, so a question about the wearer's top
    is not answered with the colour of the skin."""
    x0, y0, x1, y1 = face.box
    w, h = x1 - x0, y1 - y0
    below = (x0 - w // 2, y1 + h // 4, x1 + w // 2, y1 + h // 4 + h)
    return replace(face, clothes=colour_names(crop(image, below)))


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    return image[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else image[0:0, 0:0]


class ColourStep:
    """Runs after the detector: names the colours of each detection and of the view's middle."""

    name = "colours"

    def run(self, image: np.ndarray, result: Perception) -> None:
        h, w = image.shape[:2]
        result.centre_colours = colour_names(crop(image, (w // 3, h // 3, 2 * w // 3, 2 * h // 3)))
        lone = lone_faces(result.objects, result.faces)
        result.faces = [clothes_below(image, f) if f in lone else f for f in result.faces]
        if result.objects:
            result.objects = [
                replace(o, colours=colour_names(crop(image, clothes_below_face(inner_region(o.box, o.label), o, result))))
                for o in result.objects
            ]
