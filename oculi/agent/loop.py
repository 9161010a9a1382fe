"""The tool-using agent loop: wearer's turn → model → tool calls → results → answer.

Runs on the caller's thread (inference is CPU-bound and must stay off event loops) and
yields events as it goes, so every interface can show the answer streaming and each tool
call and result. One turn is at most `max_steps` model calls; the last one is offered no
tools, so a turn always ends in words for the wearer.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from typing import Any

from oculi.agent.claims import (
    about_the_wearer,
    about_the_wearers_past,
    admits_not_knowing,
    claims_an_action,
    first_sentence_end,
    refuses_to_look,
)
from oculi.agent.events import (
    AgentDone,
    AgentEvent,
    AnswerDelta,
    ConfirmationAsked,
    ToolCallFinished,
    ToolCallStarted,
)
from oculi.agent.prompt import (
    DIRECT_ANSWER,
    DIRECT_ANSWER_SPEC,
    NO_ACTION_TAKEN,
    TELL_THE_OUTCOME,
    system_prompt,
    turn_line,
)
from oculi.agent.said import CAMERA_NOW, call_instead_of_words, kept_to_the_request, tools_asked_for
from oculi.llm.engine import GenerationOptions, ToolChoice
from oculi.llm.messages import (
    ChatMessage,
    Finished,
    TextDelta,
    ToolCall,
    ToolCallsReady,
    Usage,
)
from oculi.llm.protocol import ChatEngine
from oculi.tools.registry import Confirm, ConfirmationRequest, ToolRegistry

log = logging.getLogger("oculi.agent")

CLIENT_TOOLS = "client_tool_calls"  # AgentDone.finish_reason: calls wait for the client


class Agent:
    def __init__(
        self,
        engine: ChatEngine,
        registry: ToolRegistry,
        *,
        system: str,
        confirm: Confirm | None = None,
        options: GenerationOptions | None = None,
        max_steps: int = 4,
        clock: Callable[[], datetime] = datetime.now,
        direct_answer_tool: bool = True,
        add_turn_line: bool = True,
    ) -> None:
        """`direct_answer_tool` offers the model `answer_directly` beside the real tools
        (see prompt.DIRECT_ANSWER_SPEC): a way to decline tools that small models take.
        `add_turn_line=False`: the caller puts the clock line into the history itself (the
        assistant keeps each turn's line, so the cached prefix only ever grows)."""
        self.add_turn_line = add_turn_line
        self.engine = engine
        self.direct_answer_tool = direct_answer_tool
        self.registry = registry
        self.system = system_prompt(system)
        self.confirm = confirm
        self.options = options or GenerationOptions(max_tokens=256, temperature=0.0)
        self.max_steps = max(1, max_steps)
        self.clock = clock
        # Tools a remote client runs itself (OpenAI Realtime `session.tools`): offered to the
        # model beside the registry's, never run here. A call to one ends the turn with
        # finish reason CLIENT_TOOLS; the caller hands it to the client and resumes later.
        self.client_tools: dict[str, dict[str, Any]] = {}
        # What the first model call of a turn may do (OpenAI Realtime `session.tool_choice`):
        # "auto", "none" (words only), "required" or {"type": "function", "function":
        # {"name": ...}} (a call it must make; later steps are "auto" again).
        self.tool_choice: ToolChoice = "auto"
        # Sentences the caller dictated for other cases (the no-camera answer): never the
        # answer to a tool result. The 1.5B model, with that answer dictated before the
        # question, gave it after a reminder was set. Such a reply is written again.
        self.not_after_tools: frozenset[str] = frozenset()

    def prompt_messages(
        self, history: list[ChatMessage], *, tools_offered: bool = True
    ) -> list[ChatMessage]:
        """System prompt first, the turn line (clock, no-tool rule) before the latest message."""
        # Without tools, the model must not claim an action (the 1.5B model declined every tool
        # and said "the note has been taken"); said in the instructions, it is cached with them.
        system = self.system if tools_offered else f"{self.system}\n{NO_ACTION_TAKEN}"
        if not self.add_turn_line:  # the caller's system lines (clock, camera) stay where they are
            return [ChatMessage(role="system", content=system), *history]
        # earlier system lines give way to this turn's; those after the question stay
        asked = max((i for i, m in enumerate(history) if m.role == "user"), default=-1)
        body = [m for i, m in enumerate(history) if m.role != "system" or i > asked]
        last_user = max((i for i, m in enumerate(body) if m.role == "user"), default=len(body))
        clock = ChatMessage(role="system", content=turn_line(self.clock(), tools_offered))
        return [
            ChatMessage(role="system", content=system),
            *body[:last_user], clock, *body[last_user:],
        ]

    def offered_specs(self) -> list[dict[str, Any]]:
        """The tool specs the model is offered when tools are offered at all."""
        specs = [*self.registry.specs(), *self.client_tools.values()]
        return [*specs, DIRECT_ANSWER_SPEC] if specs and self.direct_answer_tool else specs

    def _generate(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]] | None,
        usage: Usage,
        cancel: threading.Event | None,
        may_call: bool = True,
        forced: ToolChoice | None = None,
    ) -> Generator[AgentEvent | tuple[str, list[ToolCall], str], None, None]:
        """Stream one model call: AnswerDelta events, then (text, calls, finish reason).
        With `may_call` False the tools stay in the prompt (tool_choice "none"): the prompt
        is the one the model just read, so a reply in words starts without re-reading it.
        `forced` (a tool_choice that demands a call) replaces "auto" for this call."""
        text_parts: list[str] = []
        calls: list[ToolCall] = []
        reason = "stop"
        for ev in self.engine.stream_chat(
            self.prompt_messages(messages, tools_offered=tools is not None),
            tools=tools, tool_choice=(forced or "auto") if may_call else "none",
            options=self.options, cancel=cancel,
        ):
            if isinstance(ev, TextDelta):
                text_parts.append(ev.text)
                yield AnswerDelta(ev.text)
            elif isinstance(ev, ToolCallsReady):
                calls = ev.calls
            elif isinstance(ev, Finished):
                reason = ev.reason
                _add_usage(usage, ev.usage)
        yield ("".join(text_parts), calls, reason)

    def run(
        self, history: list[ChatMessage], cancel: threading.Event | None = None,
        *, words_only: bool = False,
    ) -> Iterator[AgentEvent]:
        """Answer the last user message of `history`, calling tools as the model asks
        (`words_only`: none, the reply is written from the results already in the history)."""
        new: list[ChatMessage] = []
        usage = Usage()
        seen = calls_this_turn(history)  # a resumed turn (client tools) already made these
        offer_tools = len(self.registry) > 0 or bool(self.client_tools)
        words_only = words_only or self.tool_choice == "none"
        forced = None if self.tool_choice in ("auto", "none") else self.tool_choice
        reason = "stop"
        text = ""
        step = 0
        specs = self.offered_specs() if offer_tools else None
        offered = {t["function"]["name"] for t in specs or []}
        question = next((m.content or "" for m in reversed(history) if m.role == "user"), "")
        recall_offered = RECALL in offered and about_the_wearer(question) and not seen
        # what the wearer did before ("where did I park?") is in their memory, never in view
        past = recall_offered and about_the_wearers_past(question)
        for step in range(1, self.max_steps + 1):
            may_call = offer_tools and not words_only and step < self.max_steps
            text, calls, reason = "", [], "stop"
            step_forced = None
            if forced is not None and step == 1 and specs:  # a call it must make: no escape
                step_forced = _any_but_the_escape(specs) if forced == "required" else forced
            elif step == 1 and may_call and specs and not seen:  # a home command, a translation
                step_forced = tools_asked_for(question, specs)
            # words that claim an action while none has run yet can still become a call;
            # after a tool result, a dictated sentence meant for another case is no answer
            acted = bool(seen) or any(m.role == "tool" for m in new)
            judge: Callable[[str], bool] | None = None
            if may_call and not acted:
                judge = claims_an_action
                if recall_offered:
                    judge = self._past_not_known if past else self._claims_or_not_known
            elif acted and self.not_after_tools:
                judge = self._dictated
            for out in _judged(self._generate(history + new, specs, usage, cancel,
                                              may_call, step_forced), judge):
                if isinstance(out, tuple):
                    text, calls, reason = out
                else:
                    yield out
            if not acted:  # arguments that contradict the request, mended (agent.said)
                calls = kept_to_the_request(calls, question, offered, free=forced is None)
            declined = bool(calls) and all(c.name == DIRECT_ANSWER for c in calls)
            instead = (call_instead_of_words(question, offered, free=forced is None)
                       if declined and not acted else None)
            if instead is not None:  # a question about the view or the past, declined: look or recall
                calls, declined = [instead], False
            calls = [c for c in calls if c.name != DIRECT_ANSWER]
            # silent: it stopped at once (the 1.5B model can, after a tool result)
            silent = not calls and not text.strip() and reason == "stop"
            if may_call and (declined or silent):  # words, then, from the same prompt
                for out in _judged(self._generate(history + new, specs, usage, cancel,
                                                  may_call=False), judge):
                    if isinstance(out, tuple):
                        text, calls, reason = out
                    else:
                        yield out
            if reason == REJECTED and not acted:
                # It said it did something it did not: it judged an action was asked for, so
                # it must now make the call (no escape), and the next step answers from the
                # result. Or it said it does not know something of the wearer's own, which
                # their memory may hold: it looks there. Nothing of either was shown.
                if claims_an_action(text):
                    log.info("the reply claimed an action no tool performed: a call is required")
                    choice: ToolChoice = _any_but_the_escape(specs or [])
                else:
                    log.info("the reply did not know something of the wearer's: recall")
                    choice = {"type": "function", "function": {"name": RECALL}}
                for out in self._generate(history + new, specs, usage, cancel, True, choice):
                    if isinstance(out, tuple):
                        text, calls, reason = out
                    else:
                        yield out
            if reason == REJECTED and acted:
                log.info("a dictated sentence came as the answer to a tool result: again")
                outcome = ChatMessage(role="system", content=TELL_THE_OUTCOME)
                for out in self._generate(history + new + [outcome], specs, usage, cancel,
                                          may_call=False):
                    if isinstance(out, tuple):
                        text, calls, reason = out
                    else:
                        yield out
            if past and not acted:
                calls = _recall_not_the_camera(calls, question)
            if not acted:
                calls = kept_to_the_request(calls, question, offered, free=forced is None)
            if not calls or reason == "cancelled":
                new.append(ChatMessage(role="assistant", content=text))
                break
            if all((c.name, c.arguments) in seen for c in calls):
                # The model asked again for exactly what it already has: nothing runs (a
                # client is not handed the same call twice); the next step answers in words.
                log.info("the model repeated %s: not run again; it answers in words",
                         [c.name for c in calls])
                offer_tools = False
                continue
            new.append(ChatMessage(role="assistant", content=text or None, tool_calls=calls))
            handed = False
            for call in calls:
                seen.add((call.name, call.arguments))
                if call.name in self.client_tools:  # the client runs it: announce, don't run
                    handed = True
                    yield ToolCallStarted(call.id, call.name, call.arguments, step)
                    continue
                yield from self._run_call(call, step, new)
            if handed:
                reason = CLIENT_TOOLS
                break
        yield AgentDone(text, new, step, reason, usage)

    @staticmethod
    def _claims_or_not_known(sentence: str) -> bool:
        return claims_an_action(sentence) or admits_not_knowing(sentence)

    @classmethod
    def _past_not_known(cls, sentence: str) -> bool:
        """Also the camera's refusal: the camera note of a poor frame dictates one ("If asked
        about the view, answer …"), and asked "where did I park?" the 1.5B model gave it in
        one full run of tests/assistant/test_one_session_live.py."""
        return cls._claims_or_not_known(sentence) or refuses_to_look(sentence)

    def _dictated(self, sentence: str) -> bool:
        return sentence.strip().strip('"').lower() in {s.lower() for s in self.not_after_tools}

    def _run_call(self, call: ToolCall, step: int, new: list[ChatMessage]) -> Iterator[AgentEvent]:
        try:
            shown: dict[str, Any] | str = json.loads(call.arguments)
        except ValueError:
            shown = call.arguments
        yield ToolCallStarted(call.id, call.name, shown, step)
        asked: list[tuple[ConfirmationRequest, bool]] = []

        def confirm(request: ConfirmationRequest) -> bool:
            answer = bool(self.confirm(request)) if self.confirm is not None else False
            asked.append((request, answer))
            return answer

        result = self.registry.call(call.name, call.arguments, confirm=confirm)
        for request, answer in asked:
            yield ConfirmationAsked(call.id, call.name, request.arguments, answer)
        yield ToolCallFinished(
            call.id, call.name, result.ok, result.content, result.error_code,
            result.truncated, result.seconds,
        )
        new.append(ChatMessage(role="tool", content=result.content, tool_call_id=call.id, name=call.name))

    def answer(self, question: str, history: list[ChatMessage] | None = None) -> AgentDone:
        """Convenience for scripts and tests: run one turn and return its last event."""
        done = None
        for ev in self.run([*(history or []), ChatMessage(role="user", content=question)]):
            if isinstance(ev, AgentDone):
                done = ev
        assert done is not None
        return done


RECALL = "recall"  # the memory tool a reply that does not know the wearer's things turns to
REJECTED = "rejected"  # _judged: the reply's first sentence was judged no answer
Step = AgentEvent | tuple[str, list[ToolCall], str]  # what Agent._generate yields


def _judged(
    stream: Generator[Step, None, None], judge: Callable[[str], bool] | None
) -> Iterator[Step]:
    """`stream` as it is, or (with `judge`) with its first sentence held back until it ends:
    if `judge` rejects that sentence (claims.claims_an_action: it claims an action), the
    generation is stopped, nothing is shown and the last item is (that sentence, [], REJECTED)."""
    if judge is None:
        yield from stream
        return
    held: list[Step] = []
    said = ""
    judged = False
    for out in stream:
        if judged:
            yield out
            continue
        if isinstance(out, AnswerDelta):
            held.append(out)
            said += out.text
            if first_sentence_end(said) is None:
                continue
        elif not isinstance(out, tuple):
            held.append(out)
            continue
        # the first sentence is complete, or the reply ended (in words or in a call)
        first = said[:first_sentence_end(said)]
        if not (isinstance(out, tuple) and out[1]) and judge(first):
            stream.close()  # stops the generation
            yield (first, [], REJECTED)  # (the rejected sentence: never shown)
            return
        judged = True
        yield from held
        if isinstance(out, tuple):
            yield out


def _recall_not_the_camera(calls: list[ToolCall], question: str) -> list[ToolCall]:
    """`calls` with a look through the camera replaced by a search of the wearer's memory.

    Why: what the wearer did or said before is never in the view, but to a small model
    "where did I park?" reads much like a question about the view; the camera note of the
    live session drew the same question to its refusal (Agent._past_not_known)."""
    if not any(c.name in CAMERA_NOW for c in calls):
        return calls
    log.info("a question about the wearer's past went to the camera: recall instead")
    kept = [c for c in calls if c.name not in CAMERA_NOW and c.name != RECALL]
    return [ToolCall(RECALL, json.dumps({"question": question})), *kept]


def _any_but_the_escape(specs: list[dict[str, Any]]) -> ToolChoice:
    """"required" without `answer_directly`, as OpenAI's allowed_tools: the tool list in the
    prompt stays as it was (a shorter list would be read again: ~20 s for 3,000 tokens)."""
    names = [t["function"]["name"] for t in specs if t["function"]["name"] != DIRECT_ANSWER]
    return {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
        {"type": "function", "function": {"name": n}} for n in names]}}


def calls_this_turn(history: list[ChatMessage]) -> set[tuple[str, str]]:
    """(name, arguments) of the calls made since the wearer's latest message."""
    last_user = max((i for i, m in enumerate(history) if m.role == "user"), default=-1)
    return {(c.name, c.arguments) for m in history[last_user + 1:] for c in m.tool_calls or []}


def _add_usage(total: Usage, part: Usage) -> None:
    total.prompt_tokens += part.prompt_tokens
    total.completion_tokens += part.completion_tokens
    total.cached_prompt_tokens += part.cached_prompt_tokens
