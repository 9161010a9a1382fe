"""The agent stage: the conversation history and the LLM call behind a spoken answer.

Generation is a blocking iterator (llama.cpp), so the pipeline runs `answer` on a worker
thread and stops it with the engine's `cancel` Event. History is written only through
`record`, with what the wearer actually heard — an interrupted answer is remembered as cut,
so the model does not later assume it said things the user never heard.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

from oculi.llm.engine import GenerationOptions, LlamaEngine
from oculi.llm.messages import ChatMessage, TextDelta
from oculi.voice.settings import VoiceSettings


class Agent(Protocol):
    def answer(self, question: str, cancel: threading.Event,
               released: threading.Event | None = None) -> Iterator[str]:
        """Yield the answer's text as it is generated; stop soon after `cancel` is set.
        `released` is clear while the answer is held (speculative): act on nothing yet."""
        ...

    def record(self, question: str, spoken_answer: str, *, interrupted: bool) -> None:
        """Add the finished (or interrupted) exchange to the history."""
        ...


class LlmAgent:
    """A spoken conversation with the on-device LLM (no tools or vision wired in yet)."""

    def __init__(self, engine: LlamaEngine, settings: VoiceSettings, *, max_history_turns: int = 8) -> None:
        self.engine = engine
        self.options = GenerationOptions(
            max_tokens=settings.max_answer_tokens, temperature=settings.temperature, seed=0
        )
        self.system = ChatMessage(role="system", content=settings.system_prompt)
        self.history: list[ChatMessage] = []
        self.max_history_turns = max_history_turns

    def messages_for(self, question: str) -> list[ChatMessage]:
        recent = self.history[-2 * self.max_history_turns:]
        return [self.system, *recent, ChatMessage(role="user", content=question)]

    def prefill(self, partial_question: str, stop: threading.Event | None = None) -> int:
        """Read the question so far, as if it were final, while the wearer is still saying it:
        if it is, the answer starts after one decode step; if not, only the words that differ
        are read again. A busy engine is not waited for; `stop` ends the read early."""
        if len(partial_question.split()) < 2:
            return 0
        return self.engine.prefill(self.messages_for(partial_question), wait=False, stop=stop)

    def answer(self, question: str, cancel: threading.Event,
               released: threading.Event | None = None) -> Iterator[str]:
        for ev in self.engine.stream_chat(self.messages_for(question), options=self.options, cancel=cancel):
            if isinstance(ev, TextDelta):
                yield ev.text

    def warm_up(self) -> None:
        """One token, so the first spoken answer does not pay llama.cpp's first-call set-up."""
        opts = GenerationOptions(max_tokens=1, temperature=0.0, seed=0)
        self.engine.chat(self.messages_for("Hello."), options=opts)

    def record(self, question: str, spoken_answer: str, *, interrupted: bool) -> None:
        self.history.append(ChatMessage(role="user", content=question))
        if spoken_answer.strip():  # cut before the first word: the user heard no answer at all
            self.history.append(ChatMessage(role="assistant", content=spoken_answer))
