"""The API's way to decline tools: offered only with tool_choice "auto", never seen by the client.

A scripted engine (a test double sharing the ChatEngine Protocol, not a model) takes the
escape or calls a tool on cue, so each path is pinned down exactly; the eval in
tests/tools/test_selection_eval.py measures what the real model does with it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oculi.agent.prompt import DIRECT_ANSWER, ESCAPE_RULE
from oculi.agent.router import Route
from oculi.llm.messages import Finished, TextDelta, ToolCall, ToolCallsReady, Usage
from oculi.server import Backends, ServerSettings, create_app
from oculi.server.scheduler import ChatScheduler

LAMP = {"type": "function", "function": {"name": "lamp", "description": "Switch the desk lamp.",
                                        "parameters": {"type": "object", "properties": {"on": {"type": "boolean"}}}}}
ASK = [{"role": "user", "content": "hello"}]


class DecliningEngine:
    """Calls `answer_directly` (or `lamp` when asked to) if offered tools, else says "Hi!"."""

    def __init__(self, call: str = DIRECT_ANSWER) -> None:
        self.call = call
        self.seen: list[dict[str, Any]] = []

    def stream_chat(self, messages: Any, **kw: Any) -> Iterator[Any]:
        tools = kw.get("tools") if kw.get("tool_choice") != "none" else None
        self.seen.append({"tools": [t["function"]["name"] for t in tools or []],
                          "tool_choice": kw.get("tool_choice"),
                          "system": [m.content for m in messages if m.role == "system"]})
        cancel: threading.Event = kw["cancel"]
        if cancel.is_set():
            yield Finished("cancelled", Usage(3, 0))
            return
        if tools:
            choice = kw.get("tool_choice")
            name = choice["function"]["name"] if isinstance(choice, dict) else self.call
            if choice == "required" and name == DIRECT_ANSWER:
                name = tools[0]["function"]["name"]
            args = '{"on": true}' if name == "lamp" else "{}"
            yield ToolCallsReady([ToolCall(name=name, arguments=args)])
            yield Finished("tool_calls", Usage(10, 4))
            return
        yield TextDelta("Hi")
        yield TextDelta("!")
        yield Finished("stop", Usage(5, 2))


class WordsRouter:
    """Stands for the intent router (tested with its real sentence model in
    tests/agent/test_router.py): says "answer in words" for every request it is asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def route_for_tools(self, request: str, tools: list[dict[str, Any]]) -> Route:
        self.asked.append(request)
        return Route("chat", 0.2, True)


def _post(engine: DecliningEngine, router: WordsRouter | None = None, **body: Any) -> httpx.Response:
    sched = ChatScheduler([engine])
    app = create_app(Backends(chat=sched, chat_model="scripted", router=router), ServerSettings())  # type: ignore[arg-type]

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.post("/v1/chat/completions",
                                json={"model": "scripted", "messages": ASK, **body})

    try:
        return asyncio.run(call())
    finally:
        sched.close()


@pytest.mark.parametrize("choice", [None, "auto"])
def test_auto_offers_the_escape_and_taking_it_is_plain_content(choice) -> None:
    engine = DecliningEngine()
    body = {"tools": [LAMP]} | ({"tool_choice": choice} if choice else {})
    r = _post(engine, **body).json()
    msg = r["choices"][0]["message"]
    assert msg["content"] == "Hi!" and "tool_calls" not in msg
    assert r["choices"][0]["finish_reason"] == "stop"
    assert engine.seen[0]["tools"] == ["lamp", DIRECT_ANSWER] and engine.seen[1]["tools"] == []
    # the second pass is the same prompt (its cache is reused) with tool_choice "none"
    assert engine.seen[0]["system"] == [ESCAPE_RULE] == engine.seen[1]["system"]
    assert engine.seen[1]["tool_choice"] == "none"
    assert r["usage"]["prompt_tokens"] == 15 and r["usage"]["completion_tokens"] == 6  # both passes


def test_the_escape_never_reaches_a_stream() -> None:
    r = _post(DecliningEngine(), tools=[LAMP], stream=True, stream_options={"include_usage": True})
    events = [line[6:] for line in r.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and DIRECT_ANSWER not in r.text
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert text == "Hi!" and finishes == ["stop"] and chunks[-1]["usage"]["completion_tokens"] == 6


def test_a_real_call_passes_through_untouched() -> None:
    engine = DecliningEngine(call="lamp")
    msg = _post(engine, tools=[LAMP]).json()["choices"][0]["message"]
    assert msg["content"] is None and msg["tool_calls"][0]["function"]["name"] == "lamp"
    assert len(engine.seen) == 1


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "lamp"}}, "none"])
def test_other_tool_choices_keep_their_openai_meaning(choice) -> None:
    engine = DecliningEngine()
    r = _post(engine, tools=[LAMP], tool_choice=choice).json()
    assert DIRECT_ANSWER not in engine.seen[0]["tools"] and len(engine.seen) == 1
    assert engine.seen[0]["system"] == []
    msg = r["choices"][0]["message"]
    if choice == "none":
        assert msg["content"] == "Hi!"
    else:
        assert msg["tool_calls"][0]["function"]["name"] == "lamp"


def test_an_app_tool_of_the_same_name_is_the_apps() -> None:
    own = {"type": "function", "function": {"name": DIRECT_ANSWER, "description": "the app's own",
                                           "parameters": {"type": "object", "properties": {}}}}
    engine = DecliningEngine()
    msg = _post(engine, tools=[own]).json()["choices"][0]["message"]
    assert engine.seen[0]["tools"] == [DIRECT_ANSWER] and msg["tool_calls"][0]["function"]["name"] == DIRECT_ANSWER


def test_the_router_answers_a_plain_question_in_words_with_one_pass() -> None:
    engine, router = DecliningEngine(call="lamp"), WordsRouter()
    msg = _post(engine, router, tools=[LAMP]).json()["choices"][0]["message"]
    assert router.asked == ["hello"] and msg["content"] == "Hi!" and "tool_calls" not in msg
    # one pass, the app's tools kept in the prompt (its cache is reused) but not callable
    assert len(engine.seen) == 1 and engine.seen[0]["tool_choice"] == "none"
    assert engine.seen[0]["system"] == []  # no escape and no escape rule


TURN_WITH_A_CALL = [
    {"role": "user", "content": "lamp on"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "lamp", "arguments": '{"on": true}'}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    {"role": "assistant", "content": "The lamp is on."},
    {"role": "user", "content": "and off again in a bit"},
]


@pytest.mark.parametrize("body", [
    {"tools": [LAMP], "tool_choice": "required"},
    {"tools": [LAMP], "tool_choice": {"type": "function", "function": {"name": "lamp"}}},
    {"tools": [LAMP], "messages": TURN_WITH_A_CALL},  # a follow-up to a turn that used a tool
    {"tools": [LAMP], "messages": TURN_WITH_A_CALL[:3]},  # a tool result to answer
], ids=["required", "named", "follow-up", "tool-result"])
def test_the_router_stands_aside_where_it_cannot_judge(body) -> None:
    engine, router = DecliningEngine(call="lamp"), WordsRouter()
    r = _post(engine, router, **body)
    assert r.status_code == 200, r.text
    assert router.asked == [] and engine.seen[0]["tool_choice"] != "none"


def test_a_named_entity_id_may_call_only_the_home_tools() -> None:
    """"pause media_player.den_tv" with oculi's home tools offered: a call among them is
    required (the model made such requests reminders); no escape is offered."""
    home = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}
            for n in ("home_call_service", "home_get_state")]
    engine = DecliningEngine(call="lamp")
    seen: list[Any] = []
    original = engine.stream_chat

    def stream_chat(messages: Any, **kw: Any) -> Iterator[Any]:
        seen.append(kw.get("tool_choice"))
        yield from original(messages, **(kw | {"tool_choice": "auto"}))

    engine.stream_chat = stream_chat  # type: ignore[method-assign]
    sched = ChatScheduler([engine])
    app = create_app(Backends(chat=sched, chat_model="scripted"), ServerSettings())  # type: ignore[arg-type]

    async def call(say: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.post("/v1/chat/completions", json={
                "model": "scripted", "messages": [{"role": "user", "content": say}], "tools": [LAMP, *home]})

    try:
        asyncio.run(call("pause media_player.den_tv"))
        asyncio.run(call("is the den dark"))
    finally:
        sched.close()
    allowed = seen[0]["allowed_tools"]
    assert seen[0]["type"] == "allowed_tools" and allowed["mode"] == "required"
    assert [t["function"]["name"] for t in allowed["tools"]] == ["home_call_service", "home_get_state"]
    assert engine.seen[0]["tools"] == ["lamp", "home_call_service", "home_get_state"]  # no escape
    assert seen[1] == "auto" and DIRECT_ANSWER in engine.seen[1]["tools"]  # no entity id: as before


def test_a_translation_asked_for_is_narrowed_to_translate_and_gets_the_words_said() -> None:
    """With oculi's own tools, "how would i say … in polish" may call only `translate` (the
    server narrows "auto"), and the call the client receives carries the words said, not the
    model's own translation (agent.said): the narrowing is the server's, the client's choice
    stays "auto"."""
    spec = {"type": "function", "function": {"name": "translate", "parameters": {"type": "object", "properties": {
        "text": {"type": "string"}, "target_language": {"type": "string"}}}}}
    note = {"type": "function", "function": {"name": "take_note", "parameters": {"type": "object", "properties": {
        "text": {"type": "string"}}}}}
    seen: list[Any] = []

    class Translating:
        def stream_chat(self, messages: Any, **kw: Any) -> Iterator[Any]:
            seen.append(kw.get("tool_choice"))
            yield ToolCallsReady([ToolCall("translate", json.dumps({"text": "moja torba zginęła",
                                                                    "target_language": "Polish"}))])
            yield Finished("tool_calls", Usage(10, 4))

    sched = ChatScheduler([Translating()])  # type: ignore[list-item]
    app = create_app(Backends(chat=sched, chat_model="scripted"), ServerSettings())  # type: ignore[arg-type]

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.post("/v1/chat/completions", json={
                "model": "scripted", "tools": [note, spec],
                "messages": [{"role": "user", "content": "how would i say my bag is missing in polish"}]})

    try:
        reply = asyncio.run(call()).json()
    finally:
        sched.close()
    assert seen[0]["allowed_tools"]["tools"] == [{"type": "function", "function": {"name": "translate"}}]
    call_made = reply["choices"][0]["message"]["tool_calls"][0]["function"]
    assert json.loads(call_made["arguments"]) == {"text": "my bag is missing", "target_language": "Polish"}
