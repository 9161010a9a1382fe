"""Build a test video from still photos (a slideshow with slight camera shake).

There is no real first-person video in the shared data; a slideshow of real photos gives
ingest real pixels, real scene changes and a known answer for which photo was when.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps


def make_slideshow(
    images: Sequence[Path],
    out: Path,
    seconds_each: float = 5.0,
    fps: int = 15,
    size: tuple[int, int] = (640, 480),
) -> float:
    """Write an H.264 MP4; returns its duration in seconds."""
    import av

    rng = np.random.default_rng(0)
    with av.open(str(out), "w") as c:
        stream = c.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "28"}
        for path in images:
            with Image.open(path) as im:
                base = ImageOps.pad(
                    ImageOps.exif_transpose(im).convert("RGB"), (size[0] + 16, size[1] + 16)
                )
            arr = np.asarray(base)
            for _ in range(int(seconds_each * fps)):
                dx, dy = rng.integers(0, 16, size=2)  # hand shake: the frames are never identical
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(arr[dy : dy + size[1], dx : dx + size[0]]), format="rgb24"
                )
                for packet in stream.encode(frame):
                    c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    return len(images) * seconds_each
