"""The frame-source protocol: anything that yields timestamped RGB frames.

Files, folders, videos, webcams and network streams all look the same to perception and to
the look-and-ask agent, so a test can feed a folder where a user has a camera.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from oculi.vision.frame import Frame


@runtime_checkable
class FrameSource(Protocol):
    """Yields frames until the input ends (files) or `close()` is called (live streams).

    Errors that concern the whole input (cannot open, not a video, no frames) raise an
    `OculiError`; a single bad frame inside a live stream is skipped and counted in
    `skipped`, so one corrupt JPEG never ends a running session.
    """

    name: str
    skipped: list[Exception]

    def frames(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


def first_frame(source: FrameSource) -> Frame:
    """The first frame a source gives (a "look" at a stream), closing the source after."""
    from oculi.vision.errors import NoFrames

    try:
        for frame in source.frames():
            return frame
    finally:
        source.close()
    raise NoFrames(f"{source.name} gave no frames", hint="check that the input holds images or video")
