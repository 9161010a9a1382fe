"""Split a byte stream of concatenated JPEGs into single images.

Why parse markers instead of searching for FF D9: a JPEG's EXIF block often embeds a
thumbnail with its own end marker. Segments before the scan are skipped by their length;
only inside entropy-coded data does FF D9 mean the end of the image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from oculi.vision.errors import ImageDecodeError

SOI = b"\xff\xd8"
MAX_JPEG_BYTES = 50 * 1024 * 1024


def read_jpegs(
    stream: BinaryIO,
    max_bytes: int = MAX_JPEG_BYTES,
    on_error: Callable[[ImageDecodeError], None] | None = None,
) -> Iterator[bytes]:
    """Yield each JPEG in `stream`; bytes between images are ignored.

    A frame with damaged markers is reported to `on_error` (or raised when there is no
    callback) and reading resumes at the next start-of-image marker.
    """
    reader = _Reader(stream)
    while True:
        if not reader.find(SOI):
            return
        out = bytearray(SOI)
        try:
            _read_one(reader, out, max_bytes)
        except ImageDecodeError as exc:
            if on_error is None:
                raise
            on_error(exc)
            continue
        except EOFError:
            raise ImageDecodeError(
                f"the stream ended inside a JPEG ({len(out)} bytes read)",
                hint="the sender stopped mid-frame",
            ) from None
        yield bytes(out)


def _read_one(r: _Reader, out: bytearray, max_bytes: int) -> None:
    while True:  # marker segments up to the start of scan
        b = r.byte()
        if b != 0xFF:
            raise ImageDecodeError("damaged JPEG: expected a marker", hint="the frame is corrupt")
        m = r.byte()
        while m == 0xFF:  # fill bytes
            m = r.byte()
        out += bytes((0xFF, m))
        if m == 0xD9:
            return
        if 0xD0 <= m <= 0xD7 or m == 0x01:
            continue
        length = r.exact(2)
        out += length
        n = int.from_bytes(length, "big") - 2
        if n < 0:
            raise ImageDecodeError("damaged JPEG: bad segment length", hint="the frame is corrupt")
        out += r.exact(n)
        if m == 0xDA:
            break
    while True:  # entropy-coded data until EOI
        b = r.byte()
        out.append(b)
        if len(out) > max_bytes:
            raise ImageDecodeError(f"JPEG larger than {max_bytes} bytes", hint="the stream is not JPEG frames")
        if b != 0xFF:
            continue
        m = r.byte()
        out.append(m)
        if m == 0xD9:
            return


class _Reader:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buf = b""
        self.pos = 0

    def _fill(self) -> bool:
        read1 = getattr(self.stream, "read1", None)
        chunk = read1(65536) if read1 else self.stream.read(65536)
        if not chunk:
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def byte(self) -> int:
        if self.pos >= len(self.buf) and not self._fill():
            raise EOFError
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def exact(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n:
            if not self._fill():
                raise EOFError
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def find(self, marker: bytes) -> bool:
        while True:
            i = self.buf.find(marker, self.pos)
            if i >= 0:
                self.pos = i + len(marker)
                return True
            self.pos = max(self.pos, len(self.buf) - len(marker) + 1)
            if not self._fill():
                return False
