"""JPEG frames piped on standard input (`ffmpeg ... -f mjpeg - | oculi ask --stdin ...`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import BinaryIO

from oculi.errors import OculiError
from oculi.vision.decode import decode_image_bytes
from oculi.vision.frame import Frame
from oculi.vision.sources.jpeg_stream import read_jpegs


class StdinJpegSource:
    """Concatenated JPEGs from a byte stream (stdin by default); bad frames are skipped."""

    def __init__(self, stream: BinaryIO | None = None, max_pixels: int = 40_000_000) -> None:
        self.stream = stream if stream is not None else sys.stdin.buffer
        self.name = "stdin"
        self.max_pixels = max_pixels
        self.skipped: list[Exception] = []
        self._closed = False

    def frames(self) -> Iterator[Frame]:
        count = 0
        for data in read_jpegs(self.stream, on_error=self.skipped.append):
            if self._closed:
                return
            try:
                image = decode_image_bytes(data, f"stdin frame {count}", self.max_pixels)
            except OculiError as exc:
                self.skipped.append(exc)
                continue
            yield Frame(image=image, timestamp=time.time(), source=self.name, index=count)
            count += 1

    def close(self) -> None:
        self._closed = True
