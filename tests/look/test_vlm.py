"""VLM plumbing: real loading code and its errors, and the agent with a stand-in VLM.

No vision-language weights can be obtained here, so the loader is tested on what it must
refuse (missing files, non-GGUF files, a projector that is not one) with the real llama.cpp,
and the look path is tested with a stand-in behind the same protocol. The stand-in is itself
built on a real model (YOLOX), so its "caption" is computed from the pixels, not canned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from oculi.look import LookAgent, LookSettings
from oculi.models.store import ModelStore
from oculi.vision.errors import VlmLoadError
from oculi.vision.frame import Frame
from oculi.vision.perception.objects import YoloxDetector
from oculi.vision.settings import VisionSettings
from oculi.vision.vlm import LlamaMtmdVlm, VisionLanguageModel, find_vlm_files, load_vlm

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(VlmLoadError) as e:
        LlamaMtmdVlm(tmp_path / "model.gguf", tmp_path / "mmproj.gguf")
    assert e.value.code == "file_not_found" and "oculi models pull" in (e.value.hint or "")


def test_not_a_gguf(tmp_path: Path, tiny_model_path: Path) -> None:
    proj = tmp_path / "mmproj-x.gguf"
    proj.write_text("<html>404 not found</html>")  # what a failed download often leaves
    with pytest.raises(VlmLoadError) as e:
        LlamaMtmdVlm(tiny_model_path, proj)
    assert e.value.code == "corrupt_model_file" and "mmproj" in e.value.message


def test_truncated_gguf(tmp_path: Path, tiny_model_path: Path) -> None:
    cut = tmp_path / "model.gguf"
    cut.write_bytes(tiny_model_path.read_bytes()[:1_000_000])
    with pytest.raises(VlmLoadError, match="cannot load VLM"):
        LlamaMtmdVlm(cut, tiny_model_path)


def test_projector_that_is_not_one(tiny_model_path: Path) -> None:
    """A real GGUF language model passed as the projector: llama.cpp's libmtmd refuses it."""
    with pytest.raises(VlmLoadError, match="projector") as e:
        LlamaMtmdVlm(tiny_model_path, tiny_model_path)
    assert e.value.hint


def test_find_vlm_files(tmp_path: Path) -> None:
    (tmp_path / "SmolVLM-256M-Instruct-Q8_0.gguf").write_bytes(b"GGUF")
    with pytest.raises(VlmLoadError, match="one mmproj"):
        find_vlm_files(tmp_path)
    (tmp_path / "mmproj-SmolVLM-256M-Instruct-Q8_0.gguf").write_bytes(b"GGUF")
    model, proj = find_vlm_files(tmp_path)
    assert model.name.startswith("SmolVLM") and proj.name.startswith("mmproj")


def test_no_vlm_configured_or_installed(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    assert load_vlm(VisionSettings(), store) is None
    assert load_vlm(VisionSettings(vlm_model="smolvlm-256m-instruct"), store) is None  # not pulled


class DetectorCaptioner:
    """Stand-in VLM: captions from YOLOX detections, streamed word by word."""

    name = "stand-in (YOLOX captions)"

    def __init__(self, detector: YoloxDetector) -> None:
        self.detector = detector
        self.prompts: list[str] = []

    def describe(
        self, image: np.ndarray, prompt: str, max_tokens: int = 96, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        labels = [d.label for d in self.detector.detect(image)]
        text = f"A photo showing {' and '.join(dict.fromkeys(labels))}." if labels else "A photo."
        for word in text.split(" ")[:max_tokens]:
            if cancel is not None and cancel.is_set():
                return
            yield word + " "


def test_agent_with_stand_in_vlm(tiny_engine, perceiver, vizwiz: Path) -> None:
    yolox = SHARED / "models" / "yolox_nano.onnx"
    if not yolox.is_file():
        pytest.skip("../shared/models/yolox_nano.onnx is absent")
    vlm = DetectorCaptioner(YoloxDetector.from_file(yolox))
    assert isinstance(vlm, VisionLanguageModel)
    from oculi.vision.sources import ImageFileSource, first_frame

    frame = first_frame(ImageFileSource(vizwiz / "images" / "VizWiz_val_00000023.jpg"))
    agent = LookAgent(tiny_engine, perceiver, vlm=vlm, settings=LookSettings(max_tokens=16))
    answer = agent.answer("What is in front of me?", frame)
    assert answer.caption and "tv" in answer.caption  # the computer monitor, from the pixels
    assert "What is in front of me?" in vlm.prompts[0]
    assert answer.perception.caption == answer.caption
    assert answer.timings["vlm"] >= 0 and answer.text


def test_failing_vlm_does_not_cost_the_answer(tiny_engine, perceiver) -> None:
    class Broken:
        name = "broken"

        def describe(self, image, prompt, max_tokens=96, cancel=None):
            raise RuntimeError("projector crashed")
            yield ""  # pragma: no cover

    from tests.vision.conftest import text_image

    frame = Frame(text_image(["HELLO"], paper=210), time.time(), "test")
    answer = LookAgent(tiny_engine, perceiver, vlm=Broken(), settings=LookSettings(max_tokens=8)).answer("Read it", frame)
    assert answer.perception.errors["vlm"] == "projector crashed" and answer.text


@pytest.mark.slow
def test_tiny_random_vlm_end_to_end(tmp_path: Path, tiny_engine, perceiver) -> None:
    """The path a user who pulls SmolVLM takes, on a tiny VLM built here (tests/look/tiny_vlm.py):
    registered with `oculi models add`, chosen automatically (vision level 3), loaded by
    llama.cpp's libmtmd, the image encoded by the projector and tokens generated."""
    from tests.look.tiny_vlm import build
    from tests.vision.conftest import text_image

    model, proj = build(tmp_path / "vlm")
    assert model.stat().st_size + proj.stat().st_size < 5_000_000
    store = ModelStore(tmp_path / "models")
    store.add(model, "tiny-vlm", task="vision-language")
    from oculi.vision.levels import vision_level

    level = vision_level(VisionSettings(), store)
    assert level.level == 3 and level.vlm == "tiny-vlm" and level.next_step == ""
    vlm = load_vlm(VisionSettings(), store)
    assert isinstance(vlm, LlamaMtmdVlm)
    img = text_image(["HELLO"], paper=210)
    t0 = time.perf_counter()
    pieces = list(vlm.describe(img, "What is this?", max_tokens=6))
    print(f"tiny VLM: image encoded and {len(pieces)} pieces generated in {time.perf_counter() - t0:.2f} s")
    assert pieces  # random weights: random tokens, but every stage ran
    answer = LookAgent(tiny_engine, perceiver, vlm=vlm, settings=LookSettings(max_tokens=8, vlm_max_tokens=6)).answer(
        "What is in front of me?", Frame(img, time.time(), "test")
    )
    assert "vlm" not in answer.perception.errors and answer.caption is not None and answer.timings["vlm"] > 0
