"""Video files and RTSP streams through PyAV (FFmpeg), which decodes every common codec.

Why PyAV rather than OpenCV here: it reports damaged input as typed errors, seeks by
timestamp (`--at SECONDS`) and opens RTSP with transport options and a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from oculi.vision.decode import check_pixels
from oculi.vision.errors import FrameSourceError, NoFrames
from oculi.vision.frame import Frame


def _open(target: str, options: dict[str, str] | None = None, timeout: float | None = None):
    import av

    try:
        return av.open(target, mode="r", options=options or {}, timeout=timeout)
    except FileNotFoundError as exc:
        raise FrameSourceError(f"no such video: {target}", hint="check the path", code="file_not_found") from exc
    except av.error.EOFError as exc:  # a container that ends right after its header
        raise NoFrames(f"{target} has no video frames (it ends after its header)", hint="the video is empty") from exc
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise FrameSourceError(
            f"cannot open {target} as video: {exc}",
            hint="the file is damaged or not a video FFmpeg can read",
        ) from exc


class VideoFileSource:
    """Frames of a video file, from `at` seconds onwards; timestamps are positions in the file."""

    def __init__(
        self, path: Path, at: float | None = None, max_pixels: int = 40_000_000
    ) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.at = at
        self.max_pixels = max_pixels
        self.skipped: list[Exception] = []
        self._container = None

    def frames(self) -> Iterator[Frame]:
        import av

        if not self.path.is_file():
            raise FrameSourceError(f"no such video: {self.path}", hint="check the path", code="file_not_found")
        self._container = container = _open(str(self.path))
        if not container.streams.video:
            raise NoFrames(f"{self.path.name} has no video stream", hint="the file is empty or audio only")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if self.at is not None:
            if self.at < 0:
                raise FrameSourceError(f"--at must be >= 0, not {self.at}", code="bad_seek")
            duration = _duration(container, stream)
            if duration is not None and self.at > duration:
                raise FrameSourceError(
                    f"{self.path.name} is {duration:.1f} s long; cannot look at {self.at:.1f} s",
                    hint=f"choose --at between 0 and {duration:.1f}",
                    code="bad_seek",
                )
            if stream.time_base is not None and self.at > 0:
                try:
                    container.seek(int(self.at / stream.time_base), stream=stream, backward=True)
                except av.error.FFmpegError:
                    container.seek(0)
        count = 0
        try:
            for vf in container.decode(stream):
                t = float(vf.time) if vf.time is not None else count / float(stream.average_rate or 25)
                if self.at is not None and t + 1e-6 < self.at:
                    continue
                check_pixels(vf.width, vf.height, self.max_pixels, self.path.name)
                yield Frame(image=vf.to_ndarray(format="rgb24"), timestamp=t, source=self.name, index=count)
                count += 1
        except av.error.FFmpegError as exc:
            if count == 0:
                raise FrameSourceError(
                    f"{self.path.name}: video data is damaged ({exc})",
                    hint="the file was cut short or corrupted",
                ) from exc
            self.skipped.append(exc)  # damaged tail: keep what decoded
        finally:
            self.close()
        if count == 0:
            where = f" at or after {self.at:.1f} s" if self.at else ""
            raise NoFrames(f"{self.path.name} has no video frames{where}", hint="the video is empty")

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


class RtspSource:
    """A live RTSP stream (IP cameras, glasses that stream). Timestamps are wall-clock time."""

    def __init__(self, url: str, timeout: float = 5.0, max_pixels: int = 40_000_000) -> None:
        self.url = url
        self.name = url
        self.timeout = timeout
        self.max_pixels = max_pixels
        self.skipped: list[Exception] = []
        self._container = None
        self._closed = False

    def frames(self) -> Iterator[Frame]:
        import av

        self._container = container = _open(
            self.url, options={"rtsp_transport": "tcp"}, timeout=self.timeout
        )
        if not container.streams.video:
            raise NoFrames(f"{self.url} carries no video", hint="check the stream path")
        stream = container.streams.video[0]
        count = 0
        try:
            for packet in container.demux(stream):
                if self._closed:
                    return
                try:
                    decoded = packet.decode()
                except av.error.FFmpegError as exc:  # one bad packet: skip it, keep watching
                    self.skipped.append(exc)
                    continue
                for vf in decoded:
                    check_pixels(vf.width, vf.height, self.max_pixels, self.url)
                    yield Frame(vf.to_ndarray(format="rgb24"), time.time(), self.name, count)
                    count += 1
        except av.error.FFmpegError as exc:
            raise FrameSourceError(f"RTSP stream {self.url} failed: {exc}", hint="is the camera still on?") from exc
        finally:
            self.close()

    def close(self) -> None:
        self._closed = True
        if self._container is not None:
            self._container.close()
            self._container = None


def _duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None
