"""HTTP MJPEG streams (`multipart/x-mixed-replace`): IP cameras, ESP32 glasses, phones.

Each part carries one JPEG. Parts with a Content-Length are read exactly; parts without one
are read up to the JPEG end marker, so both common camera firmwares work.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from oculi.errors import OculiError
from oculi.vision.decode import decode_image_bytes
from oculi.vision.errors import FrameSourceError
from oculi.vision.frame import Frame
from oculi.vision.sources.jpeg_stream import read_jpegs


class MjpegSource:
    def __init__(self, url: str, timeout: float = 5.0, max_pixels: int = 40_000_000) -> None:
        self.url = url
        self.name = url
        self.timeout = timeout
        self.max_pixels = max_pixels
        self.skipped: list[Exception] = []
        self._resp = None

    def frames(self) -> Iterator[Frame]:
        try:
            self._resp = resp = urllib.request.urlopen(self.url, timeout=self.timeout)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise FrameSourceError(
                f"cannot open MJPEG stream {self.url}: {getattr(exc, 'reason', exc)}",
                hint="check the address and that the camera is streaming",
            ) from exc
        ctype = resp.headers.get("Content-Type", "")
        if "multipart" not in ctype and "jpeg" not in ctype:
            self.close()
            raise FrameSourceError(
                f"{self.url} is not an MJPEG stream (Content-Type: {ctype or 'none'})",
                hint="MJPEG streams are served as multipart/x-mixed-replace",
            )
        count = 0
        try:
            for data in read_jpegs(resp, on_error=self.skipped.append):
                try:
                    image = decode_image_bytes(data, f"MJPEG frame {count}", self.max_pixels)
                except OculiError as exc:
                    self.skipped.append(exc)
                    continue
                yield Frame(image=image, timestamp=time.time(), source=self.name, index=count)
                count += 1
        except (OSError, urllib.error.URLError) as exc:
            raise FrameSourceError(f"MJPEG stream {self.url} broke: {exc}", hint="is the camera still on?") from exc
        finally:
            self.close()

    def close(self) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp = None
