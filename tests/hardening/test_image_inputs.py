"""Image decoding under hostile input: every bad file is a coded OculiError, never a crash or a
gigabyte allocation. Complements tests/vision/test_decode.py (which covers 0-byte, text,
truncated JPEG, the header-only bomb and EXIF 6) with real encoder output in more formats and
a property test over mangled bytes."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from oculi.errors import OculiError
from oculi.vision.decode import decode_image_bytes, decode_image_file
from oculi.vision.errors import ImageDecodeError, ImageTooLarge


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _pattern(w: int = 64, h: int = 48) -> Image.Image:
    arr = np.zeros((h, w, 3), np.uint8)
    arr[: h // 2, : w // 2] = (255, 0, 0)  # red top-left quarter marks the orientation
    arr[h // 2 :, w // 2 :] = (0, 0, 255)
    return Image.fromarray(arr)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_other_formats_decode_to_rgb(fmt: str) -> None:
    out = decode_image_bytes(_encode(_pattern().convert("P") if fmt == "GIF" else _pattern(), fmt))
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    assert out[5, 5, 0] > 200 and out[5, 5, 2] < 60  # red corner survives every codec


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "I;16", "CMYK", "1"])
def test_unusual_pixel_modes_become_rgb(mode: str) -> None:
    img = _pattern().convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "I;16") else "PNG"
    out = decode_image_bytes(_encode(img, fmt))
    assert out.shape == (48, 64, 3)


@pytest.mark.parametrize("orientation,shape", [(3, (48, 64)), (6, (64, 48)), (8, (64, 48))])
def test_exif_rotation_puts_the_photo_upright(orientation: int, shape: tuple[int, int]) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = decode_image_bytes(_encode(_pattern(), "JPEG", exif=exif, quality=95))
    assert out.shape[:2] == shape
    # where the stored top-left red quarter lands after the turn the camera asked for
    red = {3: (40, 55), 6: (5, 40), 8: (55, 5)}[orientation]
    assert out[red][0] > 180 and out[red][2] < 90


def test_broken_exif_keeps_the_photo() -> None:
    data = bytearray(_encode(_pattern(), "JPEG", exif=b"Exif\x00\x00MM\x00*garbage-garbage"))
    out = decode_image_bytes(bytes(data))
    assert out.shape == (48, 64, 3)


def test_heic_or_unknown_container_is_named(tmp_path: Path) -> None:
    # an ISO-BMFF 'ftypheic' header: what an iPhone writes; Pillow has no HEIC decoder here
    p = tmp_path / "IMG_0001.HEIC"
    p.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200))
    with pytest.raises(ImageDecodeError, match="not an image") as e:
        decode_image_file(p)
    assert e.value.hint and "JPEG" in e.value.hint


def test_directory_and_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError) as e:
        decode_image_file(tmp_path)
    assert e.value.hint


@pytest.mark.parametrize("fmt,size", [("PNG", (20000, 20000)), ("GIF", (30000, 30000)),
                                      ("PNG", (1, 2_000_000_000)), ("BMP", (16000, 16000))])
def test_bombs_are_refused_from_the_header(fmt: str, size: tuple[int, int]) -> None:
    """A real encoder's tiny image, with the header's dimensions rewritten: no pixels may be
    decoded (tracemalloc peak stays small) and the error names the size."""
    data = bytearray(_encode(Image.new("P" if fmt == "GIF" else "RGB", (8, 8)), fmt))
    w, h = size
    if fmt == "PNG":
        import struct
        import zlib

        data[16:24] = struct.pack(">II", w, h)
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    elif fmt == "GIF":
        data[6:10] = min(w, 65535).to_bytes(2, "little") + min(h, 65535).to_bytes(2, "little")
        # the image descriptor also carries the frame size
        i = data.index(b",")
        data[i + 5 : i + 9] = min(w, 65535).to_bytes(2, "little") + min(h, 65535).to_bytes(2, "little")
    else:
        data[18:26] = w.to_bytes(4, "little") + h.to_bytes(4, "little", signed=True)
    tracemalloc.start()
    try:
        with pytest.raises((ImageTooLarge, ImageDecodeError)) as e:
            decode_image_bytes(bytes(data), f"bomb.{fmt.lower()}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024
    assert isinstance(e.value, ImageTooLarge), e.value
    assert e.value.hint


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"]),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=8),
)
def test_mangled_bytes_never_escape_as_anything_but_oculi_errors(
    fmt: str, cut: float, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(_encode(_pattern(32, 24).convert("P") if fmt == "GIF" else _pattern(32, 24), fmt))
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = data[: max(0, int(cut * len(data)))] if cut < 0.98 else data
    try:
        out = decode_image_bytes(bytes(data), f"fuzz.{fmt.lower()}", max_pixels=4_000_000)
    except OculiError as exc:
        assert exc.code in ("image_decode_failed", "image_too_large") and exc.hint
    else:
        assert out.ndim == 3 and out.shape[2] == 3 and out.dtype == np.uint8
