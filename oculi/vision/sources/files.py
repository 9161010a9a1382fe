"""Frame sources for still images: one file, or every image in a folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from oculi.errors import OculiError
from oculi.vision.decode import decode_image_file
from oculi.vision.errors import FrameSourceError, NoFrames
from oculi.vision.frame import Frame

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


class ImageFileSource:
    """One photo as one frame; a bad file raises (there is nothing else to look at)."""

    def __init__(self, path: Path, max_pixels: int = 40_000_000) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.max_pixels = max_pixels
        self.skipped: list[Exception] = []

    def frames(self) -> Iterator[Frame]:
        image = decode_image_file(self.path, self.max_pixels)
        yield Frame(image=image, timestamp=_mtime(self.path), source=self.name)

    def close(self) -> None:
        pass


class FolderSource:
    """Every image in a folder, by name; bad files are skipped and kept in `skipped`."""

    def __init__(self, path: Path, max_pixels: int = 40_000_000) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.max_pixels = max_pixels
        self.skipped: list[Exception] = []
        if not self.path.is_dir():
            raise FrameSourceError(f"not a folder: {self.path}", hint="give a folder of images")

    def frames(self) -> Iterator[Frame]:
        files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise NoFrames(
                f"{self.path} holds no images",
                hint=f"supported types: {', '.join(sorted(IMAGE_SUFFIXES))}",
            )
        for i, p in enumerate(files):
            try:
                image = decode_image_file(p, self.max_pixels)
            except OculiError as exc:
                self.skipped.append(exc)
                continue
            yield Frame(image=image, timestamp=_mtime(p), source=str(p), index=i)

    def close(self) -> None:
        pass


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()
