"""Each perception step with its real shipped model, on images whose content we know."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from oculi.vision.annotate import annotate, blur_faces
from oculi.vision.decode import decode_image_file
from oculi.vision.errors import PerceptionError
from oculi.vision.perception import build_perceiver
from oculi.vision.perception.codes import CodeStep
from oculi.vision.perception.faces import FaceStep
from oculi.vision.perception.objects import YoloxDetector, load_labels
from oculi.vision.perception.ocr import OcrStep, reading_order
from oculi.vision.perception.quality import assess
from oculi.vision.perception.types import TextLine
from oculi.vision.settings import VisionSettings
from tests.vision.conftest import text_image

SETTINGS = VisionSettings()


@pytest.fixture(scope="module")
def ocr() -> OcrStep:
    return OcrStep(SETTINGS)


def _norm(s: str) -> str:
    return "".join(ch for ch in s.upper() if ch.isalnum())


def test_ocr_reads_lines_in_order(ocr: OcrStep) -> None:
    img = text_image(["OPEN 9 TO 5", "COFFEE 2.50"])
    lines = ocr.read(img)
    assert [_norm(t.text) for t in lines] == ["OPEN9TO5", "COFFEE250"]
    assert lines[0].box[1] < lines[1].box[1] and all(t.score > 0.8 for t in lines)


def test_ocr_on_a_large_frame_reports_full_resolution_boxes(ocr: OcrStep) -> None:
    """Detection runs on the frame scaled to 960 px; boxes come back in the frame's pixels."""
    frame = np.full((1600, 2400, 3), 255, np.uint8)
    frame[1000:1400, 1200:2100] = text_image(["OPEN 9 TO 5", "COFFEE 2.50"])
    lines = ocr.read(frame)
    assert [_norm(t.text) for t in lines] == ["OPEN9TO5", "COFFEE250"]
    for t in lines:
        assert 1200 <= t.box[0] < t.box[2] <= 2100 and 1000 <= t.box[1] < t.box[3] <= 1400, t.box


def test_an_unsure_line_is_read_again_the_other_way_up(ocr: OcrStep) -> None:
    """A label upside down: the retry reads the turned crop and keeps the surer reading."""
    upside_down = np.ascontiguousarray(text_image(["WINDOWS SEVEN"], size=(700, 120))[::-1, ::-1])
    bgr = np.ascontiguousarray(upside_down[:, :, ::-1])
    quad = [[20.0, 10.0], [690.0, 10.0], [690.0, 110.0], [20.0, 110.0]]
    fixed = ocr._retry_upside_down(bgr, [(quad, "N3A3S SMOQNIM", 0.4)])
    assert _norm(fixed[0][1]) == "WINDOWSSEVEN" and fixed[0][2] > 0.8
    sure = [(quad, "KEEP", 0.95)]
    assert ocr._retry_upside_down(bgr, sure) == sure  # confident lines are not read twice


def test_colours_are_named_from_the_pixels_inside_a_box() -> None:
    from oculi.vision.perception.colour import ColourStep, colour_names, inner_region
    from oculi.vision.perception.types import Detection, Face, Perception

    def solid(rgb: tuple[int, int, int]) -> np.ndarray:
        return np.full((20, 20, 3), rgb, np.uint8)

    named = {c: colour_names(solid(c)) for c in [(20, 60, 200), (10, 10, 10), (240, 240, 240), (200, 30, 30), (30, 160, 40), (30, 40, 90)]}
    assert list(named.values()) == [("blue",), ("black",), ("white",), ("red",), ("green",), ("dark blue",)]
    half = np.concatenate([solid((200, 30, 30)), solid((240, 240, 240))], axis=1)
    assert set(colour_names(half)) == {"red", "white"}
    # a person's colour comes from the clothes band, not the head above it or the floor below
    img = np.full((300, 200, 3), 128, np.uint8)
    img[0:90] = (230, 180, 150)  # face
    img[90:210] = (20, 60, 200)  # coat
    img[210:] = (10, 10, 10)  # trousers
    assert inner_region((0, 0, 200, 300), "person") == (50, 90, 150, 210)
    result = Perception(200, 300, objects=[Detection("person", 0.9, (0, 0, 200, 300))])
    ColourStep().run(img, result)
    assert result.objects is not None and result.objects[0].colours == ("blue",)
    assert result.centre_colours == ("blue",)
    # a close-up: the face fills the clothes band, so the shirt below it is what is named
    portrait = np.full((300, 200, 3), (20, 20, 20), np.uint8)
    portrait[0:200] = (220, 120, 100)  # face and skin
    close = Perception(200, 300, faces=[Face((40, 20, 160, 180))], objects=[Detection("person", 0.9, (0, 0, 200, 300))])
    ColourStep().run(portrait, close)
    assert close.objects is not None and close.objects[0].colours == ("black",)
    # the detector saw only the face: the shirt below it is still named, not the skin
    alone = Perception(200, 300, faces=[Face((60, 40, 140, 180))], objects=[])
    ColourStep().run(portrait, alone)
    assert alone.faces[0].clothes == ("black",) and alone.centre_colours == ("red",)


def test_reading_order_rows_then_columns() -> None:
    right = TextLine("right", 0.9, (400, 12, 500, 40))
    left = TextLine("left", 0.9, (10, 10, 100, 38))
    below = TextLine("below", 0.9, (10, 80, 100, 110))
    assert [t.text for t in reading_order([below, right, left])] == ["left", "right", "below"]


def test_ocr_on_real_photo(ocr: OcrStep, vizwiz: Path) -> None:
    img = decode_image_file(vizwiz / "images" / "VizWiz_val_00000019.jpg")
    text = _norm(" ".join(t.text for t in ocr.read(img)))
    assert "INSPIRON1545" in text and "DELL" in text


def test_qr_and_barcode() -> None:
    import zxingcpp

    qr = np.asarray(zxingcpp.write_barcode(zxingcpp.BarcodeFormat.QRCode, "https://oculi.example/menu", width=200, height=200))
    ean = np.asarray(zxingcpp.write_barcode(zxingcpp.BarcodeFormat.EAN13, "4006381333931", width=380, height=100))
    canvas = np.full((700, 1000, 3), 255, dtype=np.uint8)
    for code, (y, x) in ((qr, (40, 40)), (ean, (400, 450))):
        grey = code.reshape(code.shape[0], code.shape[1], -1)[..., :1]
        canvas[y : y + grey.shape[0], x : x + grey.shape[1]] = grey
    found = {c.kind: c.text for c in CodeStep().read(canvas)}
    assert found.get("QRCode") == "https://oculi.example/menu"
    assert found.get("EAN13") == "4006381333931"


def test_faces_found_and_blurred(astronaut: np.ndarray) -> None:
    faces = FaceStep().detect(astronaut)
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0].box
    assert 150 < (x0 + x1) / 2 < 300 and 50 < (y0 + y1) / 2 < 200  # her face, top centre
    blurred = blur_faces(astronaut, faces)
    assert FaceStep().detect(blurred) == []  # no longer recognisable as a face
    roi_before = astronaut[y0:y1, x0:x1].astype(float)
    roi_after = blurred[y0:y1, x0:x1].astype(float)
    assert cv2.Laplacian(roi_after, cv2.CV_64F).var() < 0.1 * cv2.Laplacian(roi_before, cv2.CV_64F).var()
    assert np.array_equal(blurred[400:, 400:], astronaut[400:, 400:])  # the rest untouched


def test_no_faces_on_text() -> None:
    assert FaceStep().detect(text_image(["NO FACES HERE"])) == []


def test_quality_flags_dark_bright_and_blur() -> None:
    sharp = text_image(["SHARP TEXT", "MORE LINES"], paper=200)  # paper as a camera sees it
    assert assess(sharp, SETTINGS).ok
    dark = (sharp * 0.08).astype(np.uint8)
    q = assess(dark, SETTINGS)
    assert q.problems == ("dark",) and "light" in q.advice
    # a lit subject on a black background: a dark mean, but well exposed where it matters
    spotlit = np.zeros_like(sharp)
    h, w = sharp.shape[:2]
    spotlit[h // 3 : h // 3 + h // 4, w // 3 : w // 3 + w // 4] = sharp[h // 3 : h // 3 + h // 4, w // 3 : w // 3 + w // 4]
    assert "dark" not in assess(spotlit, SETTINGS).problems
    bright = np.full_like(sharp, 252)
    assert "over-exposed" in assess(bright, SETTINGS).problems
    blurred = cv2.GaussianBlur(sharp, (0, 0), 8)
    q = assess(blurred, SETTINGS)
    assert "blurred" in q.problems and "hold still" in q.advice


def test_quality_on_real_photos(vizwiz: Path) -> None:
    imgs = vizwiz / "images"
    glare = assess(decode_image_file(imgs / "VizWiz_val_00000014.jpg"), SETTINGS)
    assert "over-exposed" in glare.problems  # "a bright blinding light"
    assert not assess(decode_image_file(imgs / "VizWiz_val_00000006.jpg"), SETTINGS).ok  # "unanswerable"
    assert assess(decode_image_file(imgs / "VizWiz_val_00000019.jpg"), SETTINGS).ok  # legible label


def test_yolox_detector(yolox_path: Path, vizwiz: Path, astronaut: np.ndarray) -> None:
    det = YoloxDetector.from_file(yolox_path)
    assert len(det.labels) == 80  # the 90-line COCO file's "n/a" gaps removed
    labels = [d.label for d in det.detect(astronaut)]
    assert labels[0] == "person"
    monitor = det.detect(decode_image_file(vizwiz / "images" / "VizWiz_val_00000023.jpg"))
    assert "tv" in [d.label for d in monitor]


def test_detector_errors(tmp_path: Path, yolox_path: Path) -> None:
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    (tmp_path / "broken.txt").write_text("a\nb\n")
    with pytest.raises(PerceptionError, match="cannot load detector"):
        YoloxDetector.from_file(bad)
    lonely = tmp_path / "alone" / "m.onnx"
    lonely.parent.mkdir()
    lonely.write_bytes(b"x")
    with pytest.raises(PerceptionError) as e:
        load_labels(lonely)
    assert e.value.code == "labels_missing"
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "yolox_nano.onnx").symlink_to(yolox_path)
    (wrong / "yolox_nano.txt").write_text("cat\ndog\n")
    with pytest.raises(PerceptionError) as e:
        YoloxDetector.from_file(wrong / "yolox_nano.onnx")
    assert e.value.code == "labels_mismatch"


def test_pipeline_without_detector_and_annotation(astronaut: np.ndarray, tmp_path: Path) -> None:
    from oculi.models.store import ModelStore

    perceiver = build_perceiver(SETTINGS, store=ModelStore(tmp_path / "models"))  # nothing added
    assert not perceiver.has_objects
    big = cv2.resize(astronaut, (2048, 2048))  # larger than max_side: boxes must map back
    p = perceiver.perceive(big)
    assert p.objects is None and p.quality is not None and not p.errors
    assert len(p.faces) == 1 and p.faces[0].box[2] > 1000  # in full-size pixels
    assert set(p.timings) == {"quality", "ocr", "codes", "faces", "colours"}
    out = annotate(big, p)
    assert out.shape == big.shape and not np.array_equal(out, big)
    assert FaceStep().detect(out) == []


def test_pipeline_isolates_a_failing_step(astronaut: np.ndarray) -> None:
    class Broken:
        name = "broken"

        def run(self, image: np.ndarray, result: object) -> None:
            raise RuntimeError("boom")

    perceiver = build_perceiver(SETTINGS, detector=Broken())  # type: ignore[arg-type]
    p = perceiver.perceive(astronaut)
    assert p.errors == {"broken": "boom"} and len(p.faces) == 1


def test_a_box_inside_a_surer_box_of_its_kind_is_one_thing_but_people_stay() -> None:
    """One puppy found as a head box and a body box is one dog; a child in front of an adult is two people."""
    from oculi.vision.perception.objects import drop_nested
    from oculi.vision.perception.types import Detection

    dogs = [Detection("dog", 0.65, (172, 65, 218, 148)), Detection("dog", 0.71, (184, 71, 205, 140)), Detection("dog", 0.37, (48, 57, 104, 146))]
    assert [d.score for d in drop_nested(dogs)] == [0.71, 0.37]
    other_kind = [Detection("bear", 0.44, (118, 36, 163, 147)), Detection("dog", 0.38, (117, 31, 164, 144))]
    assert len(drop_nested(other_kind)) == 2
    family = [Detection("person", 0.9, (0, 0, 200, 400)), Detection("person", 0.8, (50, 200, 120, 380))]
    assert len(drop_nested(family)) == 2
