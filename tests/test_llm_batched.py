"""The batched engine on the tiny model: same answers as the single engine, per-stream
cancellation, stop strings, grammars and tool calls while other streams decode."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oculi.llm.engine import GenerationOptions
from oculi.llm.messages import ChatMessage, Finished, TextDelta

GREEDY = GenerationOptions(max_tokens=24, temperature=0.0)
SYSTEM = ChatMessage("system", "You answer in short plain sentences and never use lists. " * 4)
WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


@pytest.fixture(scope="module")
def batched(tiny_model_path: Path) -> Iterator[Any]:
    from oculi.llm.batched import BatchedEngine

    engine = BatchedEngine(tiny_model_path, slots=3, threads=2, context_tokens=1024)
    yield engine
    engine.close()


def _ask(q: str) -> list[ChatMessage]:
    return [SYSTEM, ChatMessage("user", q)]


def test_one_stream_at_a_time_matches_the_single_engine(batched: Any, tiny_engine: Any) -> None:
    for q in ("Name a fruit that is yellow.", "What do bees make?"):
        assert batched.chat(_ask(q), options=GREEDY).text == tiny_engine.chat(_ask(q), options=GREEDY).text
    assert batched.prefix_restores >= 0  # (the shared system prompt is saved the 2nd time)


def test_a_prompt_read_already_is_not_read_again_and_returns(batched: Any) -> None:
    """A warm-up of a system prompt the engine already holds (each realtime session sends
    one) has nothing to read; it must return at once, not spin the decode loop forever."""
    done: list[int] = []
    t = threading.Thread(target=lambda: done.extend(
        [batched.prefill([SYSTEM]), batched.prefill([SYSTEM]), batched.prefill([SYSTEM])]))
    t.start()
    t.join(120)
    assert not t.is_alive() and len(done) == 3
    assert done[1] == done[2] == 0  # held: nothing read the second and third time


def test_concurrent_streams_each_get_their_own_answer(batched: Any) -> None:
    results: dict[int, Any] = {}
    cancel = threading.Event()
    events: list[Any] = []

    def plain(i: int, q: str) -> None:
        results[i] = batched.chat(_ask(q), options=GREEDY)

    def cancelled() -> None:
        opts = GenerationOptions(max_tokens=200, temperature=0.0)
        for ev in batched.stream_chat(_ask("Tell a very long story about a ship."),
                                      options=opts, cancel=cancel):
            events.append(ev)
            if len(events) == 3:
                cancel.set()

    threads = [threading.Thread(target=plain, args=(0, "What color is the sky?")),
               threading.Thread(target=plain, args=(3, "Name a large animal.")),  # waits a slot
               threading.Thread(target=cancelled),
               threading.Thread(target=lambda: results.__setitem__(2, batched.chat(
                   _ask("Where is Paris?"), options=GenerationOptions(max_tokens=60, temperature=0.0),
                   json_schema={"type": "object", "properties": {"city": {"type": "string"}},
                                "required": ["city"]})))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert results[0].text.strip() and results[0].finish_reason in ("stop", "length")
    assert results[3].text.strip()  # four streams on three slots: the fourth waited its turn
    assert isinstance(events[-1], Finished) and events[-1].reason == "cancelled"
    assert sum(isinstance(e, TextDelta) for e in events) <= 4
    assert "city" in json.loads(results[2].text)


def test_stop_strings_and_forced_tool_calls(batched: Any) -> None:
    count = batched.chat(_ask("Count from 1 to 9 with digits separated by spaces."),
                         options=GenerationOptions(max_tokens=40, temperature=0.0))
    digits = [c for c in count.text if c.isdigit()]
    if len(digits) >= 3:  # a stop on the third digit the model writes
        stop = digits[2]
        cut = batched.chat(_ask("Count from 1 to 9 with digits separated by spaces."),
                           options=GenerationOptions(max_tokens=40, temperature=0.0, stop=(stop,)))
        assert cut.text == count.text[: count.text.index(stop)]
    called = batched.chat([ChatMessage("user", "What is the weather in Oslo?")], tools=WEATHER,
                          tool_choice="required", options=GREEDY)
    assert called.finish_reason == "tool_calls"
    assert called.tool_calls[0].name == "get_weather"
    assert "city" in called.tool_calls[0].parsed_arguments()


@pytest.mark.default_model
@pytest.mark.slow
def test_tool_choice_none_keeps_the_prompt_and_never_calls_on_the_default_model() -> None:
    """The server's engine declines tools as LlamaEngine does: the tools stay in the prompt
    (read once), the call tag is banned, and a request that begs for a tool gets words."""
    from oculi.llm.batched import BatchedEngine
    from tests.conftest import DEFAULT, _installed_or_skip

    engine = BatchedEngine(_installed_or_skip(DEFAULT), slots=2, threads=2, context_tokens=2048)
    try:
        msgs = [ChatMessage("user", "What's the weather in Oslo in celsius?")]
        called = engine.chat(msgs, tools=WEATHER, options=GREEDY)
        assert called.tool_calls  # the request does want the tool...
        words = engine.chat(msgs, tools=WEATHER, tool_choice="none",
                            options=GenerationOptions(max_tokens=40, temperature=0.0))
        assert not words.tool_calls and words.text.strip() and "<tool_call>" not in words.text
        assert words.usage.prompt_tokens == called.usage.prompt_tokens  # ...the same prompt,
        assert words.usage.cached_prompt_tokens == words.usage.prompt_tokens - 1  # read once
    finally:
        engine.close()


def test_invariant_answers_do_not_depend_on_what_is_decoded_beside_them(tiny_model_path: Path) -> None:
    """With `invariant`, each answer alone equals the same answer decoded beside others, in
    slots that held other conversations, after a system prompt was saved and restored."""
    from oculi.llm.batched import BatchedEngine

    long_system = ChatMessage("system", "You answer in short plain sentences and never use lists. " * 12)
    questions = ["Name a fruit that is yellow.", "What do bees make?", "Where is Paris?",
                 "Name a large animal.", "What color is the sky?"]
    engine = BatchedEngine(tiny_model_path, slots=3, threads=2, context_tokens=1024, invariant=True)
    try:
        alone = [engine.chat([long_system, ChatMessage("user", q)], options=GREEDY).text
                 for q in questions]
        together: dict[int, str] = {}
        threads = [threading.Thread(target=lambda i=i: together.__setitem__(i, engine.chat(
            [long_system, ChatMessage("user", questions[i])], options=GREEDY).text))
                   for i in range(len(questions))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert engine.prefix_restores >= 1  # the system prompt came back from its saved copy
    finally:
        engine.close()
    assert [together[i] for i in range(len(questions))] == alone
