"""The perception and memory tools on their real backends: camera, view, speech, memory.

Real models and real photos: the astronaut photo shipped in scikit-image's wheel (a face),
../shared's VizWiz label photo (text), MiniLM for memory, hibari for speech.
"""

from __future__ import annotations

import importlib.util
import json
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from oculi.memory.service import MemoryService
from oculi.memory.settings import MemorySettings
from oculi.tools.backends.camera import PrivacyError, VisionCamera
from oculi.tools.backends.memory import ServiceMemory
from oculi.tools.backends.viewer import LookViewer
from oculi.tools.builtins.perception import Backends, perception_tools
from oculi.tools.errors import InvalidToolArguments
from oculi.tools.files import inside
from oculi.tools.registry import ToolRegistry
from oculi.vision.perception import build_perceiver
from oculi.vision.perception.faces import FaceStep
from oculi.vision.settings import VisionSettings
from oculi.vision.sources import open_source

LABEL = "VizWiz_val_00000019.jpg"  # a Dell Inspiron 1545 label


@pytest.fixture(scope="module")
def astronaut_path(tmp_path_factory) -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-image is not installed (its wheel ships the astronaut photo)")
    png = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    if not png.is_file():
        pytest.skip("skimage/data/astronaut.png is missing")
    out = tmp_path_factory.mktemp("photos") / "astronaut.jpg"
    Image.open(png).convert("RGB").save(out, quality=95)
    return out


@pytest.fixture
def label_photo(shared: Path) -> Path:
    path = shared / "data" / "vizwiz_captions" / "images" / LABEL
    if not path.is_file():
        pytest.skip(f"{LABEL} is missing from ../shared")
    return path


@pytest.fixture(scope="module")
def faces() -> FaceStep:
    return FaceStep()


def _camera(target: Path, folder: Path, faces: FaceStep) -> VisionCamera:
    return VisionCamera(lambda: open_source(str(target)), folder, faces)


def test_photo_is_saved_with_the_face_blurred(astronaut_path, tmp_path, faces):
    original = np.asarray(Image.open(astronaut_path).convert("RGB"))
    assert len(faces.detect(original)) == 1
    reg = ToolRegistry()
    reg.register_all(
        perception_tools(Backends(camera=_camera(astronaut_path, tmp_path / "media", faces)))
    )
    r = reg.call("take_photo", {})
    assert r.ok, r.content
    saved = Path(r.value["photo_saved"])
    assert saved.parent == (tmp_path / "media").resolve() and saved.suffix == ".jpg"
    stored = np.asarray(Image.open(saved).convert("RGB"))
    assert stored.shape == original.shape
    assert faces.detect(stored) == []  # the face is no longer recognisable as one
    assert list((tmp_path / "media").glob("*.part*")) == []
    again = reg.call("take_photo", {})  # same second: a new name, nothing overwritten
    assert again.ok and Path(again.value["photo_saved"]) != saved


def test_nothing_is_saved_when_faces_cannot_be_checked(astronaut_path, tmp_path):
    class BrokenFaces(FaceStep):
        def detect(self, image):
            raise RuntimeError("cascade unavailable")

    cam = _camera(astronaut_path, tmp_path / "media", BrokenFaces())
    with pytest.raises(PrivacyError):
        cam.take_photo()
    reg = ToolRegistry()
    reg.register_all(perception_tools(Backends(camera=cam)))
    r = reg.call("take_photo", {})
    assert not r.ok and r.error_code == "privacy_blur_failed"
    assert not any((tmp_path / "media").glob("*.jpg"))


def test_clip_is_recorded_from_a_video_with_faces_blurred(astronaut_path, tmp_path, faces):
    frame = cv2.imread(str(astronaut_path))
    video = tmp_path / "walk.mp4"
    w = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (frame.shape[1], frame.shape[0])
    )
    for _ in range(30):  # 3 s at 10 fps
        w.write(frame)
    w.release()
    cam = _camera(video, tmp_path / "media", faces)
    clip = cam.record_clip(1.0)
    cap = cv2.VideoCapture(str(clip))
    n, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS)
    ok, first = cap.read()
    cap.release()
    assert ok and 9 <= n <= 11 and abs(fps - 10.0) < 0.5  # one second, at the source's rate
    assert faces.detect(cv2.cvtColor(first, cv2.COLOR_BGR2RGB)) == []


@pytest.fixture(scope="module")
def perceiver():
    return build_perceiver(VisionSettings())


@pytest.mark.slow
def test_read_text_aloud_reads_a_real_label_and_speaks_it(label_photo, perceiver, tmp_path):
    from oculi.tools.backends.speaker import TtsSpeaker
    from oculi.voice.audio_out import WavSink
    from oculi.voice.settings import VoiceSettings
    from oculi.voice.tts import HibariTTS

    viewer = LookViewer(lambda: open_source(str(label_photo)), lambda: perceiver)
    wav = tmp_path / "said.wav"
    speaker = TtsSpeaker(lambda: HibariTTS(VoiceSettings()), lambda: WavSink(wav))
    reg = ToolRegistry()
    reg.register_all(perception_tools(Backends(viewer=viewer, speaker=speaker)))
    r = reg.call("read_text_aloud", {})
    assert r.ok, r.content
    text = "".join(ch for ch in r.value["text_read"].upper() if ch.isalnum())
    assert "DELL" in text and "INSPIRON1545" in text
    with wave.open(str(wav)) as f:
        assert f.getnframes() / f.getframerate() > 1.0  # a real spoken reading, not silence


def test_read_text_without_a_speaker_hands_the_text_to_the_answer(label_photo, perceiver):
    viewer = LookViewer(lambda: open_source(str(label_photo)), lambda: perceiver)
    reg = ToolRegistry()
    reg.register_all(perception_tools(Backends(viewer=viewer)))
    r = reg.call("read_text_aloud", {})
    assert r.ok and "DELL" in r.value["text_read"].upper() and "word for word" in r.value["note"]


def test_read_text_says_why_nothing_was_readable(tmp_path, perceiver):
    dark = tmp_path / "dark.jpg"
    Image.fromarray(np.full((480, 640, 3), 8, np.uint8)).save(dark)
    reg = ToolRegistry()
    reg.register_all(
        perception_tools(
            Backends(viewer=LookViewer(lambda: open_source(str(dark)), lambda: perceiver))
        )
    )
    r = reg.call("read_text_aloud", {})
    body = json.loads(r.content)
    assert (
        not r.ok
        and r.error_code == "nothing_readable"
        and "dark" in body["message"]
        and body["hint"]
    )


@pytest.mark.slow
def test_describe_view_answers_from_the_photo(label_photo, perceiver, tiny_engine):
    viewer = LookViewer(
        lambda: open_source(str(label_photo)), lambda: perceiver, engine=lambda: tiny_engine
    )
    # called directly: on a shared 2-core machine the tool's own 120 s limit is not the subject
    answer = viewer.describe("What does the label say?")
    assert answer.strip()
    assert [t.name for t in perception_tools(Backends(viewer=viewer))] == [
        "describe_view",
        "read_text_aloud",
    ]


def test_camera_tools_report_a_camera_that_gives_nothing(tmp_path):
    reg = ToolRegistry()
    missing = tmp_path / "gone.jpg"
    cam = VisionCamera(lambda: open_source(str(missing)), tmp_path / "media")
    reg.register_all(perception_tools(Backends(camera=cam)))
    r = reg.call("take_photo", {})
    assert not r.ok and r.error_code == "tool_unavailable"


@pytest.fixture(scope="module")
def embedder():
    from oculi.memory.embeddings import load_embedder
    from tests.conftest import _installed_or_skip

    _installed_or_skip("minilm-l6-v2")
    return load_embedder("minilm-l6-v2", 2)


def test_remember_then_recall_from_the_memory_store(tmp_path, embedder):
    service = MemoryService(MemorySettings(folder=tmp_path / "memory"), embedder=embedder)
    reg = ToolRegistry()
    reg.register_all(perception_tools(Backends(memory=ServiceMemory(service))))
    assert reg.call("remember", {"fact": "My locker number is 41"}).ok
    assert reg.call("remember", {"fact": "Sam prefers tea over coffee"}).ok
    service.close()
    # a new process: the facts were stored, not kept in RAM
    service2 = MemoryService(MemorySettings(folder=tmp_path / "memory"), embedder=embedder)
    reg2 = ToolRegistry()
    reg2.register_all(perception_tools(Backends(memory=ServiceMemory(service2))))
    r = reg2.call("recall", {"question": "what is my locker number?"})
    assert r.ok, r.content
    out = json.loads(r.content)
    assert "41" in out["answer"] and out["memories"][0]["kind"] == "speech"
    # without an engine the answer is a list of moments: the best one comes as a sentence to say
    assert out["say"].startswith("The closest memory I have: at ") and "locker number is 41" in out["say"]
    service2.close()


def test_remember_is_refused_while_memory_is_paused(tmp_path, embedder):
    from oculi.memory import controls

    service = MemoryService(MemorySettings(folder=tmp_path / "memory"), embedder=embedder)
    controls.pause(service.store())
    reg = ToolRegistry()
    reg.register_all(perception_tools(Backends(memory=ServiceMemory(service))))
    r = reg.call("remember", {"fact": "the door code is 1234"})
    assert not r.ok and r.error_code == "memory_paused"
    assert service.store().count() == 0
    service.close()


@pytest.mark.parametrize(
    "name", ["../x.jpg", "a/../../x.jpg", "/etc/passwd", "~/x", "", "a\x00b", "."]
)
def test_files_outside_the_tool_folder_are_refused(tmp_path, name):
    with pytest.raises(InvalidToolArguments):
        inside(tmp_path / "media", name)


def test_a_symlink_out_of_the_tool_folder_is_refused(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "out").symlink_to(tmp_path)
    with pytest.raises(InvalidToolArguments):
        inside(media, "out/secret.txt")
    assert inside(media, "photo.jpg") == (media / "photo.jpg").resolve()
