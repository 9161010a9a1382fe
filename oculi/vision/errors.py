"""Vision errors: every bad frame or input names what was wrong and how to fix it.

A live session keeps running after any of these: sources raise them for one frame or one
input, and the caller decides whether to skip the frame or stop.
"""

from __future__ import annotations

from oculi.errors import OculiError


class ImageDecodeError(OculiError):
    code = "image_decode_failed"


class ImageTooLarge(OculiError):
    code = "image_too_large"


class FrameSourceError(OculiError):
    code = "frame_source_failed"


class NoFrames(OculiError):
    code = "no_frames"


class PerceptionError(OculiError):
    code = "perception_failed"


class VlmLoadError(OculiError):
    code = "vlm_load_failed"
