"""Settings → the backends the perception and memory tools run on.

The camera tools (take_photo, record_video, describe_view, read_text_aloud) exist only when
a camera source is configured (`[tools] camera = "0"`, a stream URL, or a file given on the
command line); remember/recall when `[tools] memory` is on (the default: the store is local).
Every model behind them loads on first use, so listing tools stays instant.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oculi.config import Settings
from oculi.tools.builtins.perception import Backends
from oculi.tools.settings import ToolsSettings


def build_backends(
    settings: Settings,
    *,
    data_dir: Path,
    engine: Callable[[], Any] | None = None,
    tools: ToolsSettings | None = None,
    camera: str | None = None,
    speak_to: Path | None = None,
) -> Backends:
    """`tools` defaults to `settings.tools`; `camera` overrides its camera (e.g. a photo for
    `oculi tools call`); `speak_to` makes read_text_aloud write its speech to a WAV file."""
    tools = tools or settings.tools
    backends = Backends()
    target = camera if camera is not None else tools.camera
    if target:
        from oculi.tools.backends.camera import VisionCamera
        from oculi.tools.backends.viewer import LookViewer
        from oculi.vision.sources import open_source

        vision = settings.vision

        def open_camera() -> Any:
            return open_source(target, max_pixels=vision.max_pixels)

        @functools.cache
        def perceiver() -> Any:
            from oculi.models.store import default_store
            from oculi.vision.perception import build_perceiver

            return build_perceiver(vision, store=default_store())

        @functools.cache
        def vlm() -> Any:
            from oculi.models.store import default_store
            from oculi.vision.vlm import load_vlm

            return load_vlm(vision, default_store(), threads=settings.llm.threads)

        backends.camera = VisionCamera(open_camera, tools.media_folder or data_dir / "media")
        backends.viewer = LookViewer(open_camera, perceiver, engine, vlm)
    if speak_to is not None:
        from oculi.tools.backends.speaker import TtsSpeaker
        from oculi.voice.audio_out import WavSink

        @functools.cache
        def tts() -> Any:
            from oculi.voice.tts import HibariTTS

            return HibariTTS(settings.voice)

        backends.speaker = TtsSpeaker(tts, lambda: WavSink(speak_to))
    if tools.memory:
        from oculi.memory.service import MemoryService
        from oculi.tools.backends.memory import ServiceMemory

        backends.memory = ServiceMemory(MemoryService(settings.memory), engine)
    return backends
