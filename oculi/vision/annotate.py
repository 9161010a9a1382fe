"""Draw what was recognised onto a copy of the frame, with every face blurred.

Bystanders matter: this is the only way a frame leaves perception for storage or display
(`--show out.png`), so blurring is not optional here.
"""

from __future__ import annotations

import cv2
import numpy as np

from oculi.vision.perception.types import Box, Face, Perception


def blur_faces(image: np.ndarray, faces: list[Face], margin: float = 0.15) -> np.ndarray:
    """A copy with each face (plus a margin) pixelated beyond recognition."""
    out = image.copy()
    h, w = out.shape[:2]
    for f in faces:
        x0, y0, x1, y1 = f.box
        mx, my = int((x1 - x0) * margin), int((y1 - y0) * margin)
        x0, y0, x1, y1 = max(0, x0 - mx), max(0, y0 - my), min(w, x1 + mx), min(h, y1 + my)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        roi = out[y0:y1, x0:x1]
        # at most 6 blocks across, fewer for a small face (it stays small in a thumbnail, where
        # 6 blocks would still carry its layout), then smoothed so no block edge remains
        side = min(x1 - x0, y1 - y0)
        n = int(np.clip(side // 24, 2, 6))
        tiny = cv2.resize(roi, (n, n), interpolation=cv2.INTER_AREA)
        out[y0:y1, x0:x1] = cv2.GaussianBlur(
            cv2.resize(tiny, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST), (0, 0), max(3.0, side / 8)
        )
    return out


def blur_all(image: np.ndarray) -> np.ndarray:
    """The whole frame pixelated: what is shown when it is not known where the faces are."""
    h, w = image.shape[:2]
    return blur_faces(image, [Face(box=(0, 0, w, h))], margin=0.0)


def annotate(image: np.ndarray, p: Perception, faces: list[Face] | None = None) -> np.ndarray:
    """Faces blurred, then boxes: text green, codes magenta, objects orange.

    `faces` overrides the perception's own (the look path counts faces with a fast detector;
    an image that leaves the device is blurred with the thorough one). When no face list is
    trustworthy (the face step failed), the whole frame is blurred: fail closed.
    """
    if faces is None and "faces" in p.errors:
        out = blur_all(image)
    else:
        out = blur_faces(image, p.faces if faces is None else faces)
    thick = max(1, round(max(out.shape[:2]) / 600))
    for t in p.text:
        _box(out, t.box, (40, 200, 60), thick, t.text[:40])
    for c in p.codes:
        _box(out, c.box, (220, 40, 220), thick, f"{c.kind}: {c.text[:30]}")
    for o in p.objects or []:
        _box(out, o.box, (255, 140, 0), thick, f"{o.label} {o.score:.2f}")
    for f in p.faces if faces is None else faces:
        _box(out, f.box, (60, 120, 255), thick, "face")
    if p.quality and p.quality.problems:
        cv2.putText(out, ", ".join(p.quality.problems), (8, 24 * thick), cv2.FONT_HERSHEY_SIMPLEX,
                    0.7 * thick, (255, 0, 0), thick, cv2.LINE_AA)
    return out


def _box(img: np.ndarray, box: Box, color: tuple[int, int, int], thick: int, label: str) -> None:
    x0, y0, x1, y1 = box
    cv2.rectangle(img, (x0, y0), (x1, y1), color, thick)
    label = label.encode("ascii", "replace").decode()  # Hershey fonts draw ASCII only
    cv2.putText(img, label, (x0, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45 * thick, color,
                thick, cv2.LINE_AA)
