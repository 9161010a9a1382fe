"""The `Speaker` protocol over oculi's text-to-speech and an audio sink (a WAV file, a speaker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class TtsSpeaker:
    def __init__(self, tts: Callable[[], Any], sink: Callable[[], Any]) -> None:
        """`tts()` gives an object with `synthesize(text)` and `sample_rate` (loaded on first
        use); `sink()` opens a sink with `write(samples, rate)` and `close()` for each saying."""
        self.tts = tts
        self.sink = sink

    def say(self, text: str) -> None:
        tts = self.tts()
        sink = self.sink()
        try:
            sink.write(tts.synthesize(text), tts.sample_rate)
        finally:
            sink.close()
