"""Frame sources behind one protocol; `open_source` picks one from a CLI-style description."""

from __future__ import annotations

from pathlib import Path

from oculi.vision.errors import FrameSourceError
from oculi.vision.sources.base import FrameSource, first_frame
from oculi.vision.sources.camera import CameraSource
from oculi.vision.sources.files import IMAGE_SUFFIXES, FolderSource, ImageFileSource
from oculi.vision.sources.mjpeg import MjpegSource
from oculi.vision.sources.stdin import StdinJpegSource
from oculi.vision.sources.video import RtspSource, VideoFileSource

__all__ = [
    "CameraSource",
    "FolderSource",
    "FrameSource",
    "ImageFileSource",
    "MjpegSource",
    "RtspSource",
    "StdinJpegSource",
    "VideoFileSource",
    "first_frame",
    "open_source",
]


def open_source(target: str, *, at: float | None = None, max_pixels: int = 40_000_000) -> FrameSource:
    """`-` = stdin, `rtsp://` = RTSP, `http(s)://` = MJPEG, a digit = webcam, a folder, else a file."""
    if target == "-":
        return StdinJpegSource(max_pixels=max_pixels)
    if target.startswith(("rtsp://", "rtsps://")):
        return RtspSource(target, max_pixels=max_pixels)
    if target.startswith(("http://", "https://")):
        return MjpegSource(target, max_pixels=max_pixels)
    if target.isdigit():
        return CameraSource(int(target))
    path = Path(target).expanduser()
    if path.is_dir():
        return FolderSource(path, max_pixels=max_pixels)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFileSource(path, max_pixels=max_pixels)
    if path.exists():
        return VideoFileSource(path, at=at, max_pixels=max_pixels)
    raise FrameSourceError(f"no such file or folder: {target}", hint="check the path", code="file_not_found")
