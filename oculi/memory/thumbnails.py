"""Thumbnails on disk beside the database, faces blurred — fail closed.

A bystander's face must never be stored: if the blurrer raises (detector crashed, model
missing) or returns no image, no image is written, the moment keeps only its text, and the
reason is kept with it (`image_note`) so the wearer can see why a picture is missing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from oculi.memory.protocols import FaceBlurrer, Frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thumbnail:
    path: str | None  # relative to the store folder; None when withheld
    withheld: str | None = None  # why no image was stored


def make_thumbnail(
    rgb: Frame, blurrer: FaceBlurrer, store_folder: Path, ts: float, max_px: int = 320
) -> Thumbnail:
    """Write a face-blurred JPEG, or say why none was written."""
    try:
        safe = blurrer.blur_faces(rgb)
    except Exception as exc:  # noqa: BLE001 - any failure means we cannot vouch for the image
        log.warning("face blurring failed (%s); thumbnail not stored", exc)
        return Thumbnail(None, f"image withheld: face blurring failed ({exc})"[:300])
    if not isinstance(safe, np.ndarray) or safe.ndim != 3 or safe.shape != np.shape(rgb):
        log.warning("face blurrer returned no image; thumbnail not stored")
        return Thumbnail(None, "image withheld: face blurring returned no image")
    img = Image.fromarray(np.ascontiguousarray(safe, dtype=np.uint8))
    img.thumbnail((max_px, max_px))
    day = datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")
    rel = Path("thumbs") / day / f"{int(ts)}-{uuid.uuid4().hex[:12]}.jpg"
    out = store_folder / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    img.save(tmp, "JPEG", quality=80)
    tmp.replace(out)  # a half-written file never carries the real name
    return Thumbnail(str(rel))


def save_thumbnail(
    rgb: Frame, blurrer: FaceBlurrer, store_folder: Path, ts: float, max_px: int = 320
) -> str | None:
    """Write a blurred JPEG; returns its path relative to `store_folder`, or None (not stored)."""
    return make_thumbnail(rgb, blurrer, store_folder, ts, max_px).path
