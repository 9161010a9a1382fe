"""The session's agent: a spoken question is answered looking at the latest frame, if any.

Implements `oculi.voice.agent.Agent` for the voice pipeline. With a recent perceived frame the
question goes to the look agent (grounded in what perception found, so "what does this sign
say?" works); without one it is a plain spoken answer with history. The look reuses the
perception the overlay already computed for that frame instead of running OCR again, and it
is reported to the client as tool activity (`tool.started` / `tool.finished`, name "look").
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator

import numpy as np
from pydantic import BaseModel

from oculi.llm.messages import TextDelta
from oculi.look.agent import LookAgent, LookAnswer, LookSettings
from oculi.realtime.engine import ScheduledEngine
from oculi.realtime.frames import FrameWorker, Seen
from oculi.realtime.protocol import ToolFinished, ToolStarted
from oculi.vision.perception.types import Perception
from oculi.voice.agent import LlmAgent
from oculi.voice.settings import VoiceSettings

FRESH_TIMEOUT_S = 120.0  # perception of one frame takes seconds; the loop being gone, forever


class _Perceived:
    """A `Perceiver` stand-in that returns the perception already made for this frame."""

    def __init__(self, perception: Perception, has_objects: bool) -> None:
        self.perception = perception
        self.has_objects = has_objects

    def perceive(self, image: np.ndarray) -> Perception:
        return self.perception


class SessionAgent:
    def __init__(
        self,
        engine: ScheduledEngine,
        voice: VoiceSettings,
        frames: FrameWorker,
        emit_threadsafe: Callable[[BaseModel], None],
    ) -> None:
        self.engine = engine
        self.frames = frames
        self.emit = emit_threadsafe
        self.chat = LlmAgent(engine, voice)  # type: ignore[arg-type]  # duck-typed engine
        self.look_settings = LookSettings(max_tokens=voice.max_answer_tokens,
                                          temperature=voice.temperature)
        self.frame_for: dict[str, int] = {}  # question → the frame its answer looked at

    def _latest(self) -> Seen | None:
        fut = asyncio.run_coroutine_threadsafe(self.frames.fresh(), self.engine.loop)
        return fut.result(timeout=FRESH_TIMEOUT_S)

    def answer(self, question: str, cancel: threading.Event) -> Iterator[str]:
        seen = self._latest() if self.frames.perceiver is not None else None
        if seen is None:
            self.frame_for.pop(question, None)
            yield from self.chat.answer(question, cancel)
            return
        self.frame_for[question] = seen.frame_id
        has_objects = bool(getattr(self.frames.perceiver, "has_objects", False))
        look = LookAgent(self.engine, _Perceived(seen.perception, has_objects),  # type: ignore[arg-type]
                         settings=self.look_settings)
        call_id = f"look-{uuid.uuid4().hex[:12]}"
        self.emit(ToolStarted(call_id=call_id, name="look",
                              detail={"frame_id": seen.frame_id, "question": question}))
        done: LookAnswer | None = None
        try:
            for ev in look.ask(question, seen.frame, cancel):
                if isinstance(ev, TextDelta):
                    yield ev.text
                elif isinstance(ev, LookAnswer):
                    done = ev
        finally:
            detail: dict[str, object] = {"frame_id": seen.frame_id,
                                         "text_lines": len(seen.perception.text)}
            if done is not None:
                detail["timings"] = {k: round(v, 4) for k, v in done.timings.items()}
            self.emit(ToolFinished(call_id=call_id, name="look", ok=done is not None,
                                   detail=detail))

    def record(self, question: str, spoken_answer: str, *, interrupted: bool) -> None:
        self.chat.record(question, spoken_answer, interrupted=interrupted)
