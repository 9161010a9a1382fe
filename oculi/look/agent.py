"""The look-and-ask agent: question + frame -> perception (+ VLM) -> grounded, streamed answer.

Runs synchronously on the caller's thread (never an event loop): perception and the LLM
are CPU-bound. `ask` is a generator, so the first answer words reach the wearer while the
rest is still being generated; each stage's time is recorded for `oculi bench look`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from oculi.llm.engine import GenerationOptions, LlamaEngine
from oculi.llm.messages import Finished, TextDelta
from oculi.look.prompt import build_messages, system_message
from oculi.vision.frame import Frame
from oculi.vision.perception.pipeline import Perceiver
from oculi.vision.perception.types import Perception
from oculi.vision.vlm import VisionLanguageModel

VLM_PROMPT = "Describe this picture in one sentence, including any text you can read."


class LookSettings(BaseModel):
    max_tokens: int = Field(160, ge=1, description="answer length limit")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 = the same answer every time")
    vlm_max_tokens: int = Field(80, ge=1)


@dataclass
class Perceived:
    """First event of every look: what was seen, before any answer text."""

    perception: Perception


@dataclass
class LookAnswer:
    """Last event: the whole answer and where the time went (seconds)."""

    text: str
    perception: Perception
    caption: str | None
    timings: dict[str, float] = field(default_factory=dict)
    finish_reason: str = "stop"


class LookAgent:
    def __init__(
        self,
        engine: LlamaEngine,
        perceiver: Perceiver,
        vlm: VisionLanguageModel | None = None,
        settings: LookSettings | None = None,
    ) -> None:
        self.engine = engine
        self.perceiver = perceiver
        self.vlm = vlm
        self.settings = settings or LookSettings()

    def warm_up(self) -> None:
        """Read the look rules into the LLM's context and save them, so the first look after
        start pays only for its findings (~220 tokens, seconds on a 2-core CPU, otherwise)."""
        self.engine.prefill([system_message(self.perceiver.has_objects)])

    def ask(
        self, question: str, frame: Frame, cancel: threading.Event | None = None
    ) -> Iterator[Perceived | TextDelta | LookAnswer]:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        p = self.perceiver.perceive(frame.image)
        timings["perception"] = time.perf_counter() - t0
        timings.update({f"perception.{k}": v for k, v in p.timings.items()})
        yield Perceived(p)
        caption = None
        if self.vlm is not None:
            t1 = time.perf_counter()
            try:
                caption = "".join(
                    self.vlm.describe(frame.image, f"{VLM_PROMPT} Question: {question}", self.settings.vlm_max_tokens, cancel)
                )
            except Exception as exc:  # noqa: BLE001 - a failing VLM must not cost the perception answer
                p.errors["vlm"] = str(exc)
            p.caption = caption
            timings["vlm"] = time.perf_counter() - t1
        messages = build_messages(question, p, self.perceiver.has_objects, caption)
        opts = GenerationOptions(max_tokens=self.settings.max_tokens, temperature=self.settings.temperature, seed=0)
        t2 = time.perf_counter()
        text: list[str] = []
        reason = "stop"
        for ev in self.engine.stream_chat(messages, options=opts, cancel=cancel):
            if isinstance(ev, TextDelta):
                if not text:
                    timings["llm_first_token"] = time.perf_counter() - t2
                    timings["first_token"] = time.perf_counter() - t0
                text.append(ev.text)
                yield ev
            elif isinstance(ev, Finished):
                reason = ev.reason
        timings["llm"] = time.perf_counter() - t2
        timings["total"] = time.perf_counter() - t0
        yield LookAnswer("".join(text).strip(), p, caption, timings, reason)

    def answer(self, question: str, frame: Frame) -> LookAnswer:
        """The whole answer at once (tests, evaluation)."""
        for ev in self.ask(question, frame):
            if isinstance(ev, LookAnswer):
                return ev
        raise RuntimeError("look ended without an answer")  # pragma: no cover
