"""Safe image decoding: refuse bad or hostile files before they cost memory.

Why not just `Image.open(...).convert("RGB")`: a 0-byte file, a text file named .jpg, a
truncated JPEG and a 20000x20000 "decompression bomb" each fail differently in Pillow (or
succeed by allocating gigabytes). Here the header is read first, the pixel count is checked
against a limit *before* any pixel is decoded, and every failure becomes an
`ImageDecodeError`/`ImageTooLarge` that says what was wrong. EXIF orientation is applied, so
a phone photo taken sideways is read upright (OCR fails on rotated text).
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from oculi.vision.errors import ImageDecodeError, ImageTooLarge


def check_pixels(width: int, height: int, max_pixels: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"{name}: image has no pixels ({width}x{height})", hint="re-take the photo")
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"{name}: {width}x{height} is {width * height / 1e6:.0f} megapixels, more than the "
            f"{max_pixels / 1e6:.0f} MP limit",
            hint="downscale the image, or raise vision.max_pixels if it is genuine",
        )


def decode_image_bytes(data: bytes, name: str = "image", max_pixels: int = 40_000_000) -> np.ndarray:
    """Decode JPEG/PNG/WebP/... bytes to an upright RGB uint8 array."""
    if not data:
        raise ImageDecodeError(f"{name} is empty (0 bytes)", hint="the file was not written completely")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns (or raises) on its global limit; ours runs instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(
            f"{name}: refused as a decompression bomb ({exc})",
            hint="downscale the image before asking about it",
        ) from exc
    except UnidentifiedImageError as exc:
        head = data[:16]
        what = "text" if _looks_like_text(head) else "an unknown format"
        raise ImageDecodeError(
            f"{name} is not an image (its content looks like {what})",
            hint="give a JPEG, PNG or WebP file",
        ) from exc
    except _DECODER_ERRORS as exc:  # a known format whose header is damaged
        raise _damaged(name, None, exc) from exc
    width, height = img.size
    check_pixels(width, height, max_pixels, name)
    try:
        img.load()
    except _DECODER_ERRORS as exc:
        raise _damaged(name, img.format, exc) from exc
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001, S110 - a broken EXIF block must not lose an otherwise good photo
        pass
    try:
        if img.mode != "RGB":
            img = img.convert("RGB")
        return np.asarray(img, dtype=np.uint8).copy()
    except _DECODER_ERRORS as exc:  # e.g. a palette image whose palette is cut off
        raise _damaged(name, img.format, exc) from exc


# What Pillow's format plugins raise on hostile bytes (found by fuzzing: a header cut short is
# an OSError, a bad chunk a SyntaxError, a wrong count a struct.error or IndexError, ...).
_DECODER_ERRORS = (
    OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError,
    ZeroDivisionError, OverflowError,
)


def _damaged(name: str, fmt: str | None, exc: BaseException) -> ImageDecodeError:
    return ImageDecodeError(
        f"{name}: the {fmt or 'image'} data is damaged or truncated ({exc or type(exc).__name__})",
        hint="the file was cut short or corrupted; take or copy it again",
    )


def decode_image_file(path: Path, max_pixels: int = 40_000_000) -> np.ndarray:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise ImageDecodeError(f"no such image: {path}", hint="check the path", code="file_not_found") from exc
    except OSError as exc:
        raise ImageDecodeError(f"cannot read {path}: {exc.strerror}", hint="check the permissions") from exc
    return decode_image_bytes(data, name=Path(path).name, max_pixels=max_pixels)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
