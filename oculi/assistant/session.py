"""`Assistant`: one conversation with the wearer, whatever the interface.

Modelled on LiveKit Agents' `AgentSession`: the session owns the history (what the wearer
actually heard), the one tool loop (`oculi.agent.loop.Agent`), the tools, the camera's
current view and the listeners that receive its events. Transports only hand in words and
render events:

    words (typed / transcribed) ──► Assistant.turn() ──► events (text, tools, done)
    camera frames ──► CurrentView ──┘          ▲
    reminder scheduler ──► Assistant.notify() ─┴──► listeners (notification events)

A turn is *prepared* first (`prepare`): the history, the camera note and the clock line are
frozen into a `TurnContext`. The voice transport prepares a turn from the first partial
transcript, so the guess it reads into the model while the wearer speaks and the final
prompt agree token for token. A turn's messages reach the history only through `commit`,
with the words the wearer heard (an answer cut by barge-in is kept cut).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oculi.agent.events import AgentDone, AgentEvent
from oculi.agent.loop import Agent, ChatEngine, calls_this_turn
from oculi.agent.prompt import turn_line
from oculi.agent.router import IntentRouter
from oculi.assistant.events import AssistantEvent, NotificationFired
from oculi.assistant.prompt import Capabilities, assistant_system
from oculi.assistant.view import NO_CAMERA, NO_CAMERA_ANSWER, NO_PICTURE, VIEW_HEADER, CurrentView, ViewSnapshot
from oculi.llm.engine import GenerationOptions
from oculi.llm.messages import ChatMessage
from oculi.tools.notify import Notification
from oculi.tools.registry import Confirm, ToolRegistry

log = logging.getLogger("oculi.assistant")

Listener = Callable[[AssistantEvent], None]


@dataclass
class TurnContext:
    """Everything a turn's prompt holds besides the question, frozen when the turn begins."""

    view: ViewSnapshot | None
    line: str  # the clock line (and the no-tool rule)
    history_len: int


@dataclass
class TurnResult:
    """A finished (or cut) turn, waiting to be committed to the history."""

    question: str
    context: TurnContext
    done: AgentDone | None
    events: list[AgentEvent] = field(default_factory=list)
    resumed: bool = False  # continues the history after client tool results (no question)

    @property
    def text(self) -> str:
        return self.done.text if self.done is not None else ""


class Assistant:
    def __init__(
        self,
        engine: ChatEngine,
        registry: ToolRegistry,
        *,
        view: CurrentView | None = None,
        memory: bool = False,
        system: str | None = None,
        confirm: Confirm | None = None,
        options: GenerationOptions | None = None,
        max_steps: int = 4,
        max_history_messages: int = 48,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        """`view` is the session's camera (None: no camera, and the model is told so);
        `memory` says whether remember/recall exist; `system` replaces the identity line."""
        self.engine = engine
        self.registry = registry
        self.view = view
        self.caps = Capabilities(camera=view is not None, memory=memory)
        self.clock = clock
        self.agent = Agent(
            engine, registry, system=assistant_system(system, self.caps), confirm=confirm,
            options=options or GenerationOptions(max_tokens=160, temperature=0.0, seed=0),
            max_steps=max_steps, clock=clock, add_turn_line=False,
        )
        self.agent.not_after_tools = frozenset({NO_CAMERA_ANSWER})
        self.history: list[ChatMessage] = []
        self.max_history_messages = max_history_messages
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()  # history and listeners: turns and notifications race
        self._closers: list[Callable[[], None]] = []
        self.live_memory: Any | None = None  # a LiveMemory when this session records moments
        # Without a camera, the first turn gets a note that dictates the no-camera answer (the
        # instructions alone did not stop the 1.5B model from reading out an imagined sign).
        # A transport whose clients are apps that may never send a picture turns it off: there
        # the note drew unrelated questions ("where is my parcel at the moment?") to that answer.
        self.blind_note = True
        # Answers a question that plainly needs no tool in words at once (agent.router); None:
        # the model decides alone.
        self.router: IntentRouter | None = None

    # ------------------------------------------------------------------ listeners
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Receive events pushed outside turns (notifications, memory state); returns an
        unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: AssistantEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a transport's bug must not silence the others
                log.exception("assistant listener failed on %s", event.type)

    def notify(self, notification: Notification) -> None:
        """A timer or reminder fired (scheduler thread): the wearer is told, and the
        conversation knows it was said."""
        with self._lock:
            self.history.append(ChatMessage(role="assistant", content=notification.text))
        self.publish(NotificationFired(notification))

    @property
    def confirm(self) -> Confirm | None:
        return self.agent.confirm

    @confirm.setter
    def confirm(self, confirm: Confirm | None) -> None:
        self.agent.confirm = confirm

    # ------------------------------------------------------------------ turns
    def prepare(self) -> TurnContext:
        """Freeze the camera note and the clock for the turn about to be asked."""
        view = self.view.snapshot() if self.view is not None else None
        with self._lock:
            n = len(self.history)
        return TurnContext(view, turn_line(self.clock(), tools_offered=len(self.registry) > 0), n)

    def messages_for(self, question: str, context: TurnContext) -> list[ChatMessage]:
        """History, then (when it changed) the camera note, the clock line, the question."""
        with self._lock:
            body = list(self.history)
        extra: list[ChatMessage] = []
        note = self._note(context)
        if note is not None and note != self._last_note(body):
            extra.append(ChatMessage(role="system", content=note))
        extra.append(ChatMessage(role="system", content=context.line))
        return [*body, *extra, ChatMessage(role="user", content=question)]

    def prefill(self, question: str, context: TurnContext, stop: threading.Event | None = None) -> int:
        """Read a guessed question into the model ahead of its turn (never waits for a busy
        engine); returns the tokens read. Engines without prefill read nothing."""
        prefill = getattr(self.engine, "prefill", None)
        if prefill is None:
            return 0
        specs = self.agent.offered_specs() or None
        messages = self.agent.prompt_messages(self.messages_for(question, context),
                                              tools_offered=specs is not None)
        return int(prefill(messages, tools=specs, wait=False, stop=stop) or 0)

    def warm_up(self) -> int:
        """Read and save the instructions and tool list now (and on disk, for the next
        process), so the first question pays only for itself."""
        prefill = getattr(self.engine, "prefill", None)
        if prefill is None:
            return 0
        # one variant: a reply in words after the model declines every tool keeps the tools
        # in its prompt (tool_choice "none"), so it reads nothing new
        if self.router is not None:
            self.router.warm_up()
        specs = self.agent.offered_specs() or None
        system = self.agent.prompt_messages([], tools_offered=specs is not None)[0]
        return int(prefill([system], tools=specs) or 0)

    def turn(
        self,
        question: str,
        cancel: threading.Event | None = None,
        context: TurnContext | None = None,
        result: TurnResult | None = None,
    ) -> Iterator[AgentEvent]:
        """Answer `question`: yields answer text, tool activity and a last `AgentDone`.
        Nothing reaches the history until `commit`; `result` (if given) collects the turn."""
        context = context or self.prepare()
        result = result if result is not None else TurnResult(question, context, None)
        words_only = self._plainly_words(question)
        for ev in self.agent.run(self.messages_for(question, context), cancel=cancel,
                                 words_only=words_only):
            result.events.append(ev)
            if isinstance(ev, AgentDone):
                result.done = ev
            yield ev
        if self.live_memory is not None:
            self.live_memory.heard(question)

    def add_tool_result(self, call_id: str, name: str, content: str) -> None:
        """A client-run tool's result (OpenAI Realtime `function_call_output`) joins the
        history after the call the model made; `resume` then answers with it."""
        with self._lock:
            self.history.append(ChatMessage(role="tool", content=content, tool_call_id=call_id,
                                            name=name))

    def resume(self, cancel: threading.Event | None = None,
               result: TurnResult | None = None) -> Iterator[AgentEvent]:
        """Go on from the history as it stands (it ends in a client's tool results): no new
        question, and no further call. The client ran what the model asked for; asked again
        with the tools open, the 1.5B model often called an unrelated built-in tool
        (device_status) or gave its no-camera answer instead of reading the result out."""
        result = result if result is not None else TurnResult("", self.prepare(), None)
        result.resumed = True
        with self._lock:
            body = list(self.history)
        for ev in self.agent.run(body, cancel=cancel, words_only=True):
            result.events.append(ev)
            if isinstance(ev, AgentDone):
                result.done = ev
            yield ev

    def commit(self, result: TurnResult, heard: str | None = None) -> None:
        """Keep the turn: the question, its camera note and clock line, the tool calls and
        results, and the answer as the wearer heard it (`heard`; default: all of it)."""
        context = result.context
        kept: list[ChatMessage] = []
        with self._lock:
            if not result.resumed:
                note = self._note(context)
                if note is not None and note != self._last_note(self.history):
                    kept.append(ChatMessage(role="system", content=note))
                kept.append(ChatMessage(role="system", content=context.line))
                kept.append(ChatMessage(role="user", content=result.question))
            messages = list(result.done.messages) if result.done is not None else []
            answer = result.text if heard is None else heard
            if messages and messages[-1].role == "assistant" and not messages[-1].tool_calls:
                messages = messages[:-1]
            kept.extend(m for m in messages if m.role != "assistant" or m.tool_calls)
            if answer.strip():
                kept.append(ChatMessage(role="assistant", content=answer.strip()))
            self.history.extend(kept)
            self._trim()

    def ask(self, question: str, cancel: threading.Event | None = None) -> TurnResult:
        """One whole turn, committed (scripts, the demo, tests)."""
        context = self.prepare()
        result = TurnResult(question, context, None)
        for _ in self.turn(question, cancel, context, result):
            pass
        self.commit(result)
        return result

    def reset(self) -> None:
        with self._lock:
            self.history.clear()

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        """End the session: stop receiving notifications, finish memory writes."""
        closers, self._closers = self._closers, []
        for closer in reversed(closers):
            try:
                closer()
            except Exception:
                log.exception("closing an assistant session part failed")

    # ------------------------------------------------------------------ helpers
    def _plainly_words(self, question: str) -> bool:
        """Whether the router answers this question in words without the model deciding.
        It stands aside for what it cannot judge: a demanded tool choice, an app's own tools,
        tools it has no examples of, and a follow-up to a turn that used a tool ("make it
        ten minutes instead" reads like small talk but changes a timer)."""
        router = self.router
        if router is None or self.agent.tool_choice != "auto" or self.agent.client_tools:
            return False
        if not question.strip() or not router.covers(t.name for t in self.registry.tools()):
            return False
        with self._lock:
            history = list(self.history)
        if calls_this_turn(history):  # the last turn's calls
            return False
        route = router.route(question, camera=self.view is not None)
        log.info("intent router: %s (words ahead by %+.3f)%s", route.kind, route.margin,
                 ": answered in words" if route.words_only else "")
        return route.words_only

    def _note(self, context: TurnContext) -> str | None:
        """The camera note of a turn: the frame's findings, or that no picture came yet."""
        if context.view is not None:
            return context.view.note
        if self.view is not None:
            return NO_PICTURE
        return NO_CAMERA if self.blind_note else None

    @staticmethod
    def _last_note(history: list[ChatMessage]) -> str | None:
        for m in reversed(history):
            if m.role == "system" and (m.content or "").startswith(VIEW_HEADER):
                return m.content
        return None

    def _trim(self) -> None:
        """Drop the oldest whole turns beyond the limit (a turn starts at a clock line or a
        camera note), so the context never overflows in a long session."""
        if len(self.history) <= self.max_history_messages:
            return
        cut = len(self.history) - self.max_history_messages
        while cut < len(self.history) and self.history[cut].role != "system":
            cut += 1
        del self.history[:cut]


def tool_summary(content: str, limit: int = 160) -> str:
    """A tool result as one short line for a HUD or a log."""
    line = " ".join(content.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def arguments_dict(arguments: Any) -> dict[str, Any]:
    return arguments if isinstance(arguments, dict) else {"raw": str(arguments)}
