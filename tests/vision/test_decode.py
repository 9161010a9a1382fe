"""Safe decoding: every bad file gets a clear error; bombs are refused before allocation."""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from oculi.errors import OculiError
from oculi.vision.decode import decode_image_bytes, decode_image_file
from oculi.vision.errors import ImageDecodeError, ImageTooLarge
from tests.vision.conftest import jpeg_bytes


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that *claims* width x height (the header is all a bomb needs to be dangerous)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_zero_byte_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(ImageDecodeError, match="empty") as e:
        decode_image_file(p)
    assert e.value.hint and e.value.code == "image_decode_failed"


def test_text_file_named_jpg(tmp_path: Path) -> None:
    p = tmp_path / "notes.jpg"
    p.write_text("this is not a picture\n")
    with pytest.raises(ImageDecodeError, match="not an image.*text"):
        decode_image_file(p)


def test_truncated_jpeg(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = jpeg_bytes(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8))
    p = tmp_path / "cut.jpg"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match="damaged or truncated"):
        decode_image_file(p)


def test_decompression_bomb_is_refused_without_allocating() -> None:
    bomb = _png_header_only(20000, 20000)
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLarge) as e:
            decode_image_bytes(bomb, "bomb.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # 20000x20000 RGB would be 1.2 GB
    assert "20000x20000" in str(e.value) or "bomb" in str(e.value)
    assert isinstance(e.value, OculiError) and e.value.hint


def test_own_pixel_limit_applies_below_pillows() -> None:
    data = jpeg_bytes(np.zeros((100, 200, 3), dtype=np.uint8))
    with pytest.raises(ImageTooLarge, match="100x|200x100"):
        decode_image_bytes(data, "big.jpg", max_pixels=10_000)
    assert decode_image_bytes(data, "ok.jpg", max_pixels=20_000).shape == (100, 200, 3)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError) as e:
        decode_image_file(tmp_path / "nope.jpg")
    assert e.value.code == "file_not_found"


def test_exif_orientation_applied() -> None:
    img = np.zeros((20, 40, 3), dtype=np.uint8)  # stored landscape 40 wide
    img[:, :20] = 255  # left half white
    out = decode_image_bytes(jpeg_bytes(img, exif_orientation=6), "rot.jpg")
    assert out.shape == (40, 20, 3)  # shown portrait after a 90 degree turn
    assert out[:20].mean() > 200 and out[20:].mean() < 50  # the white half is now on top


def test_real_photos_decode_upright(vizwiz: Path) -> None:
    images = sorted((vizwiz / "images").glob("*.jpg"))
    assert len(images) == 25
    shapes = {p.name: decode_image_file(p).shape for p in images}
    # 010 and 014 carry EXIF orientation 6: stored 960x720 / 2592x1936, shown portrait
    assert shapes["VizWiz_val_00000010.jpg"] == (960, 720, 3)
    assert shapes["VizWiz_val_00000014.jpg"] == (2592, 1936, 3)
    assert shapes["VizWiz_val_00000001.jpg"] == (162, 121, 3)
