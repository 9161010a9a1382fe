"""Optional object detection: YOLOX (ONNX, COCO labels) for "what's on the table?".

No registry package ships a general detector, so this backend runs only when the user has
added one (`oculi models add yolox_nano.onnx`); a labels file (`*labels*.txt`, one per line)
must lie beside it. Without it, perception reports objects as "not available" and oculi
still reads text, codes and faces.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from oculi.vision.errors import PerceptionError
from oculi.vision.perception.types import Box, Detection, Perception


class YoloxDetector:
    name = "objects"

    def __init__(
        self, model_path: Path, labels: list[str] | None, threads: int = 2, min_score: float = 0.35
    ) -> None:
        """`labels=None` reads them from the file beside the model."""
        import onnxruntime as ort

        if not Path(model_path).is_file():
            raise PerceptionError(f"detector model not found: {model_path}", hint="oculi models add FILE.onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self._sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise PerceptionError(
                f"cannot load detector {Path(model_path).name}: {exc}",
                hint="the ONNX file is damaged; add it again with `oculi models add`",
                code="model_load_failed",
            ) from exc
        inp = self._sess.get_inputs()[0]
        self._input = inp.name
        self._size = (int(inp.shape[2]), int(inp.shape[3])) if isinstance(inp.shape[2], int) else (416, 416)
        n_classes = int(self._sess.get_outputs()[0].shape[-1]) - 5
        if labels is None:
            labels = load_labels(Path(model_path), n_classes)
        if len(labels) != n_classes:
            raise PerceptionError(
                f"{Path(model_path).name} predicts {n_classes} classes but its labels file has {len(labels)}",
                hint="give the labels file that belongs to this model",
                code="labels_mismatch",
            )
        self.labels = [canonical_label(lb) for lb in labels]
        self.min_score = min_score
        self._grid, self._strides = _grids(self._size)

    @classmethod
    def from_file(cls, model_path: Path, threads: int = 2, min_score: float = 0.35) -> YoloxDetector:
        return cls(model_path, None, threads, min_score)

    def detect(self, image: np.ndarray) -> list[Detection]:
        h, w = image.shape[:2]
        th, tw = self._size
        r = min(th / h, tw / w)
        resized = cv2.resize(image[:, :, ::-1], (int(w * r), int(h * r)), interpolation=cv2.INTER_LINEAR)
        canvas = np.full((th, tw, 3), 114, dtype=np.uint8)
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        out = self._sess.run(None, {self._input: blob})[0][0]
        if out.shape[0] == self._grid.shape[0]:  # raw head output: decode the grid
            xy = (out[:, :2] + self._grid) * self._strides
            wh = np.exp(out[:, 2:4]) * self._strides
        else:
            xy, wh = out[:, :2], out[:, 2:4]
        cls_ids = out[:, 5:].argmax(1)
        scores = out[:, 4] * out[np.arange(len(out)), 5 + cls_ids]
        keep = scores >= self.min_score
        if not keep.any():
            return []
        xy, wh, scores, cls_ids = xy[keep] / r, wh[keep] / r, scores[keep], cls_ids[keep]
        boxes = np.concatenate([xy - wh / 2, wh], axis=1)
        idx = cv2.dnn.NMSBoxesBatched(boxes.tolist(), scores.tolist(), cls_ids.tolist(), self.min_score, 0.45)
        dets = []
        for i in np.asarray(idx).reshape(-1):
            x, y, bw, bh = boxes[i]
            box = (max(0, int(x)), max(0, int(y)), min(w, int(x + bw)), min(h, int(y + bh)))
            label = self.labels[cls_ids[i]] if cls_ids[i] < len(self.labels) else f"class {cls_ids[i]}"
            dets.append(Detection(label=label, score=float(scores[i]), box=box))
        return drop_nested(dets)

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.objects = self.detect(image)


NESTED = 0.85  # a box lying this much inside another of its kind is the same thing seen twice


def drop_nested(dets: list[Detection]) -> list[Detection]:
    """Best first, without boxes that lie inside a surer box of the same kind.

    Overlap suppression (IoU 0.45) keeps a small box inside a big one: YOLOv3-tiny found one
    puppy as a head box and a whole-body box, and "how many dogs?" got 4 for 3. People are
    left alone: a child in front of an adult is two people (and faces count them anyway)."""
    kept: list[Detection] = []
    for d in sorted(dets, key=lambda d: -d.score):
        if d.label != "person" and any(k.label == d.label and _inside(d.box, k.box) >= NESTED for k in kept):
            continue
        kept.append(d)
    return kept


def _inside(a: Box, b: Box) -> float:
    """How much of the smaller of the two boxes lies inside the other (0..1)."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / small if small > 0 else 0.0


# The 80 COCO classes, in the order COCO-trained detectors predict them: the labels of a
# detector pulled without a labels file beside it (YOLOX-Nano from the hub).
COCO80 = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)


# The Darknet release names some COCO classes the 2014 way; one set of names downstream.
DARKNET_NAMES = {
    "tvmonitor": "tv",
    "sofa": "couch",
    "pottedplant": "potted plant",
    "diningtable": "dining table",
    "aeroplane": "airplane",
    "motorbike": "motorcycle",
}


def canonical_label(label: str) -> str:
    """COCO 2017 class names, whichever release of the label file a detector came with."""
    return DARKNET_NAMES.get(label, label)


def load_labels(model_path: Path, n_classes: int | None = None) -> list[str]:
    """Class names from a text file beside the model (`<stem>.txt`, `labels.txt`, `*labels*.txt`).

    COCO label files often keep the 91-id layout with "n/a" gaps; those are dropped when the
    count would not match the model. With `n_classes`, the first file that fits is used, so
    an ImageNet or VOC list in the same folder is never taken for COCO.
    """
    folder = model_path.parent
    candidates = dict.fromkeys([folder / f"{model_path.stem}.txt", folder / "labels.txt", *sorted(folder.glob("*labels*.txt"))])
    found = False
    for c in candidates:
        if not c.is_file():
            continue
        found = True
        labels = [ln.strip() for ln in c.read_text(encoding="utf-8").splitlines() if ln.strip()]
        if n_classes is not None and len(labels) != n_classes:
            labels = [lb for lb in labels if lb.lower() not in ("n/a", "__background__", "background")]
        if n_classes is None or len(labels) == n_classes:
            return labels
    if not found and n_classes == len(COCO80):
        return list(COCO80)
    if found:
        raise PerceptionError(
            f"{model_path.name} predicts {n_classes} classes but no labels file beside it has {n_classes} names",
            hint="give the labels file that belongs to this model",
            code="labels_mismatch",
        )
    raise PerceptionError(
        f"no labels file beside {model_path.name}",
        hint=f"put the class names, one per line, in {folder / (model_path.stem + '.txt')}",
        code="labels_missing",
    )


def _grids(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    grids, strides = [], []
    for s in (8, 16, 32):
        gh, gw = size[0] // s, size[1] // s
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        grids.append(np.stack([xs, ys], -1).reshape(-1, 2))
        strides.append(np.full((gh * gw, 1), s))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)
