"""Vision test fixtures: real photos from ../shared, synthetic images and videos made here."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture
def vizwiz() -> Path:
    d = SHARED / "data" / "vizwiz_captions"
    if not (d / "images").is_dir():
        pytest.skip("../shared/data/vizwiz_captions is absent (the real VizWiz photos)")
    return d


@pytest.fixture
def yolox_path() -> Path:
    p = SHARED / "models" / "yolox_nano.onnx"
    if not p.is_file():
        pytest.skip("../shared/models/yolox_nano.onnx is absent (the optional object detector)")
    return p


@pytest.fixture
def astronaut() -> np.ndarray:
    """A real photo with a face, shipped inside the scikit-image wheel (test dependency)."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-image is not installed (its wheel ships the astronaut photo)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    if not path.is_file():
        pytest.skip("skimage/data/astronaut.png is missing")
    return np.asarray(Image.open(path).convert("RGB"))


def text_image(
    lines: list[str], size: tuple[int, int] = (900, 400), font_size: int = 48, paper: int = 255
) -> np.ndarray:
    """Black text on paper, one line per entry: OCR ground truth we control."""
    img = Image.new("RGB", size, (paper, paper, paper))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_size)
    y = 30
    for line in lines:
        draw.text((40, y), line, fill="black", font=font)
        y += int(font_size * 1.8)
    return np.asarray(img)


def jpeg_bytes(image: np.ndarray, exif_orientation: int | None = None) -> bytes:
    buf = io.BytesIO()
    img = Image.fromarray(image)
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif
    img.save(buf, format="JPEG", quality=90, **kwargs)
    return buf.getvalue()


def write_video(path: Path, frames: int = 10, fps: int = 10, size: tuple[int, int] = (160, 120)) -> None:
    """A small H.264/MPEG-4 video whose frame i has brightness 20*i (to check seeking)."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            arr = np.full((size[1], size[0], 3), min(255, 20 * i), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def write_empty_video(path: Path) -> None:
    """A valid container with a video stream and no frames at all."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 160, 120
        stream.pix_fmt = "yuv420p"
        out.start_encoding()  # header (and, for mp4, an empty index) but no frame
