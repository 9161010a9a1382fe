"""A webcam (or any device OpenCV's VideoCapture can open) as a frame source."""

from __future__ import annotations

import time
from collections.abc import Iterator

from oculi.vision.errors import FrameSourceError
from oculi.vision.frame import Frame


class CameraSource:
    """Frames from `cv2.VideoCapture(device)`; a failed read ends the stream after `retries`.

    `device` is a camera index (0 = first webcam) or anything VideoCapture accepts (a device
    path, a file), which is how the tests drive this real code without a camera.
    """

    def __init__(
        self, device: int | str = 0, retries: int = 3, max_frames: int | None = None, warmup_frames: int = 0
    ) -> None:
        self.device = device
        self.warmup_frames = warmup_frames  # webcams need a few frames to settle exposure
        self.name = f"camera {device}"
        self.retries = retries
        self.max_frames = max_frames
        self.skipped: list[Exception] = []
        self._cap = None

    def frames(self) -> Iterator[Frame]:
        import cv2

        self._cap = cap = cv2.VideoCapture(self.device)
        if not cap.isOpened():
            self.close()
            raise FrameSourceError(
                f"cannot open {self.name}",
                hint="check that the camera is connected and not used by another program "
                "(`ls /dev/video*`), or pass another --camera index",
                code="camera_unavailable",
            )
        count = failures = 0
        warmup = self.warmup_frames
        try:
            while self.max_frames is None or count < self.max_frames:
                ok, bgr = cap.read()
                if not ok or bgr is None:
                    failures += 1
                    if failures > self.retries:
                        break
                    continue
                failures = 0
                if warmup > 0:
                    warmup -= 1
                    continue
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                yield Frame(image=rgb, timestamp=time.time(), source=self.name, index=count)
                count += 1
        finally:
            self.close()
        if count == 0:
            raise FrameSourceError(
                f"{self.name} opened but gave no frames", hint="the camera may be busy or covered",
                code="camera_unavailable",
            )

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
