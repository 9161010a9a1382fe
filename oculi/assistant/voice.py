"""The assistant as the voice pipeline's agent: spoken turns with tools, looking and memory.

Implements `oculi.voice.agent.Agent`. The pipeline calls `prefill` with each partial
transcript, `answer` with the final one (possibly early, on a draft, held back until the
end of the turn is confirmed) and `record` with what was actually played. Three rules:

- the turn's context (camera note, clock line) is frozen when the wearer starts to speak
  and read into the model at once (`turn_started`), so the guesses and the answer share
  their prompt and read only the question;
- a held answer runs no tool until it is released: a draft the wearer talks past must not
  set a timer;
- tool activity goes to `on_event` as it happens (the HUD shows it); only the answer's words
  go to speech.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from oculi.agent.events import AgentEvent, AnswerDelta, ToolCallStarted
from oculi.assistant.session import Assistant, TurnContext, TurnResult

CONTEXT_MAX_AGE_S = 20.0  # a turn context this old belongs to a turn that got no answer


class VoiceTurns:
    def __init__(self, assistant: Assistant, on_event: Callable[[AgentEvent], None] | None = None) -> None:
        self.assistant = assistant
        self.on_event = on_event or (lambda e: None)
        self._context: TurnContext | None = None
        self._context_at = 0.0
        self.last_frame_id: int | None = None  # the camera frame the last answer looked at
        self._results: dict[str, TurnResult] = {}
        self._lock = threading.Lock()

    def _turn_context(self) -> TurnContext:
        with self._lock:
            stale = time.monotonic() - self._context_at > CONTEXT_MAX_AGE_S
            if self._context is None or (stale and not self._results):
                self._context = self.assistant.prepare()
                self._context_at = time.monotonic()
            return self._context

    def turn_started(self, stop: threading.Event | None = None) -> int:
        """The wearer began to speak: freeze the turn's context and read all of its prompt but
        the question (an empty question renders the same tokens up to the words)."""
        return self.assistant.prefill("", self._turn_context(), stop)

    def prefill(self, partial_question: str, stop: threading.Event | None = None) -> int:
        if len(partial_question.split()) < 2:
            return 0
        return self.assistant.prefill(partial_question, self._turn_context(), stop)

    def answer(self, question: str, cancel: threading.Event,
               released: threading.Event | None = None) -> Iterator[str]:
        context = self._turn_context()
        result = TurnResult(question, context, None)
        with self._lock:
            self._results[question] = result
        gated = released is not None and not released.is_set()
        for ev in self.assistant.turn(question, cancel, context, result):
            if isinstance(ev, AnswerDelta):
                yield ev.text
                continue
            if isinstance(ev, ToolCallStarted) and gated and released is not None:
                # a held answer: act only once the wearer has really finished speaking
                while not released.wait(0.05):
                    if cancel.is_set():
                        return
                gated = False
            self.on_event(ev)

    def record(self, question: str, spoken_answer: str, *, interrupted: bool) -> None:
        with self._lock:
            result = self._results.pop(question, None)
            if result is None and self._results:
                # answered on a draft whose words differ from the final transcript (a comma,
                # "ten" for "10"): that answer is what was spoken, with its tool calls
                result = list(self._results.values())[-1]
                result.question = question
            self._results.clear()
            self._context = None
        if result is None:  # answered by something else (an error before the turn began)
            result = TurnResult(question, self.assistant.prepare(), None)
        view = result.context.view
        self.last_frame_id = view.frame_id if view is not None else None
        self.assistant.commit(result, heard=spoken_answer)

    def forget_turn(self) -> None:
        """The turn ended without an answer (no words heard): the next one starts afresh."""
        with self._lock:
            self._context = None
            self._results.clear()
