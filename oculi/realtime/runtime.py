"""What every realtime session shares: the models, the perception worker, the session count.

Speech-to-text and the synthesiser are the voice subsystem's (`WhisperSTT`, `HibariTTS`), and
the server's HTTP audio endpoints are built on the same instances (see server/loading.py), so
one Whisper and one hibari serve both. Perception (OCR, codes, faces, objects) loads on the
first session unless `preload` is set, so `oculi serve` starts as fast as before for users
who never open a session; the first session is told with a `session.status` "loading" event.
Silero VAD keeps per-stream state: each session gets its own small session of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oculi.errors import OculiError
from oculi.models.store import ModelStore
from oculi.realtime.errors import RealtimeUnavailable
from oculi.realtime.settings import RealtimeSettings
from oculi.server.scheduler import ChatScheduler
from oculi.vision.perception.pipeline import Perceiver
from oculi.vision.settings import VisionSettings
from oculi.voice.settings import VoiceSettings
from oculi.voice.stt import SpeechToText
from oculi.voice.tts import TextToSpeech
from oculi.voice.vad import SileroVAD

log = logging.getLogger("oculi.realtime")


@dataclass
class RealtimeModels:
    stt: SpeechToText
    tts: TextToSpeech
    vad_path: Path
    perceiver: Perceiver | None  # None: perception could not load; sessions run without overlays
    perception_error: str | None = None

    def new_vad(self) -> SileroVAD:
        return SileroVAD(self.vad_path)


class RealtimeRuntime:
    def __init__(
        self,
        settings: RealtimeSettings,
        *,
        voice: VoiceSettings,
        vision: VisionSettings,
        chat: ChatScheduler | None,
        chat_model: str | None,
        store: ModelStore | None = None,
        stt: SpeechToText | None = None,
        tts: TextToSpeech | None = None,
        perceiver: Perceiver | None = None,
        host: Any | None = None,
    ) -> None:
        """`host` is the process's `AssistantHost` (tools, reminders, memory), shared by
        every session; without one, a host is built on the first session."""
        self.settings, self.voice, self.vision = settings, voice, vision
        self.chat, self.chat_model = chat, chat_model
        self._store = store
        self._stt, self._tts, self._perceiver = stt, tts, perceiver
        self._models: RealtimeModels | None = None
        self._lock: asyncio.Lock | None = None
        self.perception_x = ThreadPoolExecutor(1, thread_name_prefix="oculi-perception")
        self.sessions = 0
        self.load_seconds: float | None = None
        self.host = host
        self._own_host = False
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, once a session starts

    def assistant_host(self, loop: asyncio.AbstractEventLoop) -> Any:
        """The process's assistant host; its tools reach the model through the scheduler."""
        self.loop = loop
        if self.host is None:
            from oculi.assistant.host import AssistantHost
            from oculi.config import load_settings

            self.host = AssistantHost(load_settings(), engine=self.tool_engine)
            self._own_host = True
        return self.host

    def tool_engine(self) -> Any:
        """For tools that ask the model themselves (translate): the scheduler, not a copy."""
        from oculi.realtime.engine import ScheduledEngine

        if self.chat is None or self.loop is None:
            raise OculiError("no chat model is serving", code="chat_unavailable")
        return ScheduledEngine(self.chat, self.loop)

    @property
    def loaded(self) -> bool:
        return self._models is not None

    def store(self) -> ModelStore:
        if self._store is None:
            from oculi.models.store import default_store

            self._store = default_store()
        return self._store

    def load(self, progress: Callable[[str], None] | None = None) -> RealtimeModels:
        """Load whatever was not handed in (blocking: call from a worker thread or at start)."""
        if self._models is not None:
            return self._models
        import time

        say = progress or log.info

        t0 = time.perf_counter()
        store = self.store()
        try:
            if self._stt is None:
                from oculi.voice.stt import WhisperSTT

                say(f"loading speech-to-text ({self.voice.stt_model})…")
                self._stt = WhisperSTT(store.path(self.voice.stt_model), self.voice)
            if self._tts is None:
                from oculi.voice.tts import HibariTTS

                say("loading text-to-speech (hibari-tts)…")
                self._tts = HibariTTS(self.voice)
            say("loading voice activity detection (silero-vad)…")
            vad_path = store.path("silero-vad")
        except OculiError as exc:
            raise RealtimeUnavailable(f"the realtime session cannot start: {exc.message}",
                                      hint=exc.hint) from exc
        error = None
        if self._perceiver is None:
            from oculi.vision.perception.pipeline import build_perceiver

            say("loading perception (OCR, codes, faces, objects)…")
            try:
                self._perceiver = build_perceiver(self.vision, store)
            except OculiError as exc:
                error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
                log.warning("realtime overlays unavailable: %s", error)
        models = RealtimeModels(self._stt, self._tts, vad_path, self._perceiver, error)
        say("warming up the speech models…")
        import numpy as np

        models.tts.synthesize("Ready.")
        models.stt.transcribe(np.zeros(16_000, np.float32))
        self._models = models
        self.load_seconds = time.perf_counter() - t0
        log.info("realtime models ready in %.1f s", self.load_seconds)
        return models

    async def models(self, report: Callable[[str], None]) -> RealtimeModels:
        """The loaded models; the first caller loads them (off the loop) and is told so."""
        if self._models is not None:
            return self._models
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._models is None:
                report("loading the speech and perception models (first session)…")
                await asyncio.to_thread(self.load)
        assert self._models is not None
        return self._models

    def close(self) -> None:
        self.perception_x.shutdown(wait=True, cancel_futures=True)
        if self.host is not None and self._own_host:
            self.host.close()
