"""Photos and clips from the glasses' camera, saved with every face blurred.

Bystanders never consented to being stored: each frame goes through face detection before
it is written, and if detection fails nothing is saved (fail closed). Files are named by
the device, inside one media folder; the model never chooses a path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from oculi.tools.errors import ToolError, ToolUnavailable
from oculi.tools.files import inside
from oculi.vision.annotate import blur_faces
from oculi.vision.frame import Frame
from oculi.vision.perception.faces import FaceStep
from oculi.vision.sources import FrameSource, first_frame

OpenSource = Callable[[], FrameSource]


class PrivacyError(ToolError):
    code = "privacy_blur_failed"


def blurred(image: np.ndarray, faces: FaceStep) -> np.ndarray:
    """A copy with every detected face blurred; raises instead of returning an unblurred frame."""
    try:
        return blur_faces(image, faces.detect(image))
    except Exception as exc:
        raise PrivacyError(
            f"face detection failed, so nothing was saved: {exc}",
            hint="tell the wearer the photo could not be stored safely",
        ) from exc


class VisionCamera:
    """The `Camera` protocol over any oculi frame source (webcam, stream, file)."""

    def __init__(
        self,
        open_source: OpenSource,
        folder: Path,
        faces: FaceStep | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.open_source = open_source
        self.folder = folder
        self._faces = faces
        self.clock = clock

    @property
    def faces(self) -> FaceStep:
        if self._faces is None:
            self._faces = FaceStep()
        return self._faces

    def _new_path(self, kind: str, suffix: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{kind}-{self.clock().strftime('%Y%m%d-%H%M%S')}"
        path = inside(self.folder, f"{stem}{suffix}")
        n = 1
        while path.exists():
            n += 1
            path = inside(self.folder, f"{stem}-{n}{suffix}")
        return path

    def grab(self) -> Frame:
        try:
            return first_frame(self.open_source())
        except ToolError:
            raise
        except Exception as exc:
            raise ToolUnavailable(
                f"the camera gave no picture: {exc}",
                hint="check the camera source in [tools] camera",
            ) from exc

    def take_photo(self, blur_faces: bool = True) -> Path:
        frame = self.grab()
        image = blurred(frame.image, self.faces) if blur_faces else frame.image
        path = self._new_path("photo", ".jpg")
        tmp = path.with_suffix(".part.jpg")
        if not cv2.imwrite(
            str(tmp), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
        ):
            raise ToolError(f"could not write {path.name}", hint="check free storage")
        tmp.replace(path)
        return path

    def record_clip(self, seconds: float, blur_faces: bool = True) -> Path:
        """Frames for `seconds` of stream time (a file source may end sooner), as an MP4."""
        source = self.open_source()
        path = self._new_path("video", ".mp4")
        tmp = path.with_suffix(".part.mp4")
        writer: cv2.VideoWriter | None = None
        size: tuple[int, int] | None = None
        first_t: float | None = None
        held: list[Frame] = []  # the first frame waits for the second, which gives the rate
        deadline = time.monotonic() + seconds + 30  # a stalled live stream must not hang the tool
        try:
            for frame in source.frames():
                first_t = frame.timestamp if first_t is None else first_t
                if frame.timestamp - first_t >= seconds or time.monotonic() > deadline:
                    break
                size = size or (frame.width, frame.height)
                if (frame.width, frame.height) != size:
                    continue  # a stream that changes size mid-clip: keep the first size only
                if writer is None and not held:
                    held.append(frame)
                    continue
                if writer is None:
                    writer = self._writer(tmp, size, frame.timestamp - held[0].timestamp)
                for f in (*held, frame):
                    image = blurred(f.image, self.faces) if blur_faces else f.image
                    writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
                held = []
            if writer is None and held and size is not None:  # a one-frame clip
                writer = self._writer(tmp, size, 0.0)
                image = blurred(held[0].image, self.faces) if blur_faces else held[0].image
                writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        except BaseException:
            if writer is not None:
                writer.release()
            tmp.unlink(missing_ok=True)
            raise
        finally:
            source.close()
        if writer is None:
            raise ToolUnavailable("the camera gave no frames", hint="check the camera source")
        writer.release()
        tmp.replace(path)
        return path

    @staticmethod
    def _writer(tmp: Path, size: tuple[int, int], frame_gap: float) -> cv2.VideoWriter:
        fps = 1.0 / frame_gap if 1 / 120 <= frame_gap <= 1.0 else 15.0
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not writer.isOpened():
            raise ToolError("could not start the video file", hint="check free storage")
        return writer
