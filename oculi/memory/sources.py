"""Frame sources for ingest: a video file (PyAV), a "day" of photos, an Aria VRS recording.

Each yields `TimedFrame`s in time order, already thinned to `sample_fps` so no time is spent
converting frames keyframe selection would never look at; `start_after` lets a restarted
ingest skip what is already stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from oculi.memory.errors import MemoryDependencyMissing, MemoryInputError
from oculi.memory.protocols import TimedFrame

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def file_key(kind: str, path: Path) -> str:
    """Stable id of a source file: same file → same key → the ingest resumes."""
    st = path.stat()
    digest = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}".encode()).hexdigest()[
        :16
    ]
    return f"{kind}:{path.name}:{digest}"


class VideoFileSource:
    def __init__(self, path: Path, sample_fps: float = 2.0, start: float | None = None) -> None:
        try:
            import av
        except ImportError as exc:
            raise MemoryDependencyMissing("video ingest needs PyAV", hint="pip install av") from exc
        self._av = av
        self.path = path
        self.sample_fps = sample_fps
        if not path.is_file():
            raise MemoryInputError(f"no such video: {path}", hint="check the path")
        try:
            with av.open(str(path)) as c:
                if not c.streams.video:
                    raise MemoryInputError(f"{path} has no video stream", hint="pass a video file")
                self.duration_s = (c.duration / 1_000_000) if c.duration else None
                created = c.metadata.get("creation_time")
        except av.error.FFmpegError as exc:
            raise MemoryInputError(
                f"cannot read video {path}: {exc}", hint="the file is damaged or not a video"
            ) from exc
        self.start = (
            start
            if start is not None
            else _parse_time(created) or (path.stat().st_mtime - (self.duration_s or 0.0))
        )
        self.key = file_key("video", path)

    def frames(self, start_after: float | None = None) -> Iterator[TimedFrame]:
        av = self._av
        step = 1.0 / self.sample_fps
        next_t = 0.0
        skip_to = (start_after - self.start) if start_after is not None else -1.0
        try:
            with av.open(str(self.path)) as c:
                stream = c.streams.video[0]
                stream.thread_type = "AUTO"
                if skip_to > 1.0 and stream.time_base:
                    c.seek(int(max(0.0, skip_to - 1.0) / stream.time_base), stream=stream)
                for frame in c.decode(stream):
                    if frame.time is None:
                        continue
                    t = float(frame.time)
                    if t <= skip_to or t + 1e-6 < next_t:
                        continue
                    next_t = t + step
                    yield TimedFrame(self.start + t, frame.to_ndarray(format="rgb24"))
        except av.error.FFmpegError as exc:
            raise MemoryInputError(
                f"video {self.path} is damaged after {next_t:.1f} s: {exc}",
                hint="what was read before the damage is stored; re-encode the file to read the rest",
            ) from exc


class PhotoDaySource:
    """Still photos as a day: one frame every `gap_minutes`, in file-name order."""

    def __init__(self, folder: Path, start: float, gap_minutes: float = 20.0) -> None:
        self.files = (
            sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXT)
            if folder.is_dir()
            else []
        )
        if not self.files:
            raise MemoryInputError(
                f"no photos in {folder}", hint="pass a folder of .jpg/.png files"
            )
        self.start, self.gap = start, gap_minutes * 60.0
        self.duration_s = self.gap * len(self.files)
        names = "|".join(p.name for p in self.files)
        self.key = f"photos:{folder.name}:{hashlib.sha1(f'{names}|{start}|{gap_minutes}'.encode()).hexdigest()[:16]}"

    def times(self) -> list[float]:
        return [self.start + i * self.gap for i in range(len(self.files))]

    def frames(self, start_after: float | None = None) -> Iterator[TimedFrame]:
        for ts, path in zip(self.times(), self.files):
            if start_after is not None and ts <= start_after:
                continue
            try:
                with Image.open(path) as im:
                    rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
            except (UnidentifiedImageError, OSError) as exc:
                raise MemoryInputError(
                    f"cannot read photo {path}: {exc}", hint="remove or replace it"
                ) from exc
            yield TimedFrame(ts, rgb)


class AriaVrsSource:
    """The RGB camera of a Project Aria VRS recording (`projectaria-tools`).

    Device times are mapped to wall time as recording start (epoch, from the VRS metadata) plus
    the offset from the first RGB frame — the same mapping `aria_transcript` uses.
    """

    RGB = "214-1"

    def __init__(self, path: Path, sample_fps: float = 2.0, start: float | None = None) -> None:
        try:
            from projectaria_tools.core import data_provider
            from projectaria_tools.core.stream_id import StreamId
        except ImportError as exc:
            raise MemoryDependencyMissing(
                "VRS ingest needs projectaria-tools", hint="pip install projectaria-tools"
            ) from exc
        if not path.is_file():
            raise MemoryInputError(f"no such recording: {path}", hint="check the path")
        self.provider = data_provider.create_vrs_data_provider(str(path))
        if self.provider is None:
            raise MemoryInputError(f"cannot read VRS recording {path}", hint="the file is damaged")
        self.stream = StreamId(self.RGB)
        self.n = self.provider.get_num_data(self.stream)
        if self.n == 0:
            raise MemoryInputError(
                f"{path} has no RGB camera frames", hint="record with the RGB camera on"
            )
        meta = self.provider.get_metadata()
        self.t0_ns = int(
            self.provider.get_image_data_by_index(self.stream, 0)[1].capture_timestamp_ns
        )
        self.start = (
            start if start is not None else float(meta.start_time_epoch_sec or path.stat().st_mtime)
        )
        last = int(
            self.provider.get_image_data_by_index(self.stream, self.n - 1)[1].capture_timestamp_ns
        )
        self.duration_s = (last - self.t0_ns) / 1e9
        self.sample_fps = sample_fps
        self.key = file_key("vrs", path)

    def wall_time(self, device_ns: int) -> float:
        return self.start + (device_ns - self.t0_ns) / 1e9

    def frames(self, start_after: float | None = None) -> Iterator[TimedFrame]:
        next_t = -1e18
        for i in range(self.n):
            img, rec = self.provider.get_image_data_by_index(self.stream, i)
            ts = self.wall_time(int(rec.capture_timestamp_ns))
            if (start_after is not None and ts <= start_after) or ts + 1e-6 < next_t:
                continue
            next_t = ts + 1.0 / self.sample_fps
            # Aria's RGB sensor is mounted sideways: rotate so "up" is up in thumbnails and OCR.
            yield TimedFrame(ts, np.ascontiguousarray(np.rot90(img.to_numpy_array(), k=-1)))


def _parse_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
