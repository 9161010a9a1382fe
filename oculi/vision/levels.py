"""Which way of seeing is active: the best vision models installed, chosen automatically.

From most to least capable: a vision-language model (looks at the pixels itself) > an added
detector and/or classifier (YOLOX-Nano, MobileNetV2) > the default detector (YOLOv3-tiny,
shipped in a PyPI package) > text, codes and faces only. Nobody should have to edit a
configuration file to use a model they just pulled; `oculi doctor` and `oculi models list`
show the level in use and the command that reaches the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from oculi.models.catalog import ModelSpec
from oculi.models.store import ModelStore
from oculi.vision.settings import VisionSettings

DEFAULT_DETECTOR = "yolov3-tiny"
LEVELS = {
    3: "vision-language model",
    2: "detector + classifier",
    1: "default detector",
    0: "text, codes and faces only",
}
NEXT = {
    0: f"oculi models pull {DEFAULT_DETECTOR}",
    1: "oculi models pull yolox-nano mobilenet-v2 (needs a network), or add the files you have: "
    "oculi models add yolox_nano.onnx; oculi models add mobilenet_v2_1.0_224_quant.tflite",
    2: "oculi models pull smolvlm-256m-instruct (needs a network), then set vision.vlm_model",
    3: "",
}


@dataclass(frozen=True)
class VisionLevel:
    level: int
    detector: str | None  # model ids in use
    classifier: str | None
    vlm: str | None

    @property
    def name(self) -> str:
        return LEVELS[self.level]

    @property
    def next_step(self) -> str:
        return NEXT[self.level]

    def describe(self) -> str:
        used = ", ".join(m for m in (self.vlm, self.detector, self.classifier) if m) or "no vision model"
        return f"{self.name} ({used})"


def _installed(store: ModelStore, spec: ModelSpec) -> bool:
    try:
        return store.status(spec).installed
    except Exception:  # noqa: BLE001 - a broken entry is simply not usable
        return False


def _pick(store: ModelStore, wanted: str | None, task: str, prefer: tuple[str, ...] = ()) -> str | None:
    """The configured model if installed, else the installed model of `task` that ranks best
    (formats in `prefer` first, the user's own files before catalog defaults)."""
    if wanted:
        try:
            spec = store.get(wanted)
        except Exception:  # noqa: BLE001
            spec = None
        if spec is not None and _installed(store, spec):
            return spec.id
    found = [m for m in store.models() if m.task == task and _installed(store, m)]
    if not found:
        return None

    def rank(m: ModelSpec) -> tuple[int, int]:
        fmt = prefer.index(m.format) if m.format in prefer else len(prefer)
        return (fmt, 0 if m.provider == "local" else 1)

    return sorted(found, key=rank)[0].id


def vision_level(settings: VisionSettings, store: ModelStore) -> VisionLevel:
    detector = _pick(store, settings.detector_model, "detector", prefer=("onnx", "darknet"))
    classifier = _pick(store, None, "classifier", prefer=("tflite",))
    vlm = _pick(store, settings.vlm_model, "vision-language")
    if vlm:
        level = 3
    elif (detector and detector != DEFAULT_DETECTOR) or classifier:
        level = 2
    elif detector:
        level = 1
    else:
        level = 0
    return VisionLevel(level, detector, classifier, vlm)
