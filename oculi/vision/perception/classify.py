"""Optional image classifier (MobileNetV2, ImageNet): names the main thing in view.

A detector knows 80 kinds; ImageNet's 1000 include foods, plants, tools, instruments and
animals it cannot name ("espresso", "pot plant", "screwdriver"). It runs only when the user
added one (`oculi models add mobilenet_v2_1.0_224_quant.tflite`, ImageNet labels file beside
it) or pulled `mobilenet-v2`; its best guess, when sure enough, is one terse line of findings.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from oculi.vision.errors import PerceptionError
from oculi.vision.perception.objects import load_labels
from oculi.vision.perception.types import Detection, Perception


class TfliteClassifier:
    name = "classify"

    def __init__(self, model_path: Path, threads: int = 2, min_score: float = 0.4) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise PerceptionError("the TFLite runtime is not installed", hint="pip install ai-edge-litert",
                                  code="package_missing") from exc
        try:
            self._it = Interpreter(model_path=str(model_path), num_threads=threads)
            self._it.allocate_tensors()
        except Exception as exc:  # noqa: BLE001
            raise PerceptionError(f"cannot load classifier {Path(model_path).name}: {exc}",
                                  hint="add the .tflite file again with `oculi models add`",
                                  code="model_load_failed") from exc
        inp = self._it.get_input_details()[0]
        out = self._it.get_output_details()[0]
        self._in, self._out = inp, out
        self._size = (int(inp["shape"][2]), int(inp["shape"][1]))
        n = int(out["shape"][-1])
        labels = load_labels(Path(model_path), n) if n != 1000 or _has_labels(Path(model_path)) else None
        if labels is None:
            raise PerceptionError(f"no ImageNet labels file beside {Path(model_path).name}",
                                  hint="put imagenet_labels.txt (one name per line) beside it", code="labels_missing")
        self.labels = labels
        self.min_score = min_score

    def classify(self, image: np.ndarray) -> list[Detection]:
        x = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        if self._in["dtype"] == np.uint8:
            blob = x[None].astype(np.uint8)
        else:
            blob = (x[None].astype(np.float32) / 127.5) - 1.0
        self._it.set_tensor(self._in["index"], blob)
        self._it.invoke()
        y = self._it.get_tensor(self._out["index"])[0].astype(np.float32)
        scale, zero = self._out.get("quantization", (0.0, 0))
        if scale:
            y = (y - zero) * scale
        if y.max() > 1.0 or y.min() < 0.0:  # logits
            y = np.exp(y - y.max())
            y /= y.sum()
        i = int(y.argmax())
        if y[i] < self.min_score or self.labels[i].lower() in ("background", "__background__"):
            return []
        h, w = image.shape[:2]
        return [Detection(label=self.labels[i].split(",")[0].strip(), score=float(y[i]), box=(0, 0, w, h))]

    def run(self, image: np.ndarray, result: Perception) -> None:
        result.classes = self.classify(image)


def _has_labels(model_path: Path) -> bool:
    folder = model_path.parent
    return any(p.is_file() for p in [folder / f"{model_path.stem}.txt", folder / "labels.txt", *folder.glob("*labels*.txt")])
