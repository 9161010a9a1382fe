"""The chat engine with real models: streaming, cancel, KV reuse, stops, tools, JSON schema."""

from __future__ import annotations

import json
import threading

import jsonschema
import pytest

from oculi.errors import OculiError
from oculi.llm.engine import GenerationOptions, LlamaEngine
from oculi.llm.messages import ChatMessage, Finished, TextDelta, ToolCallsReady

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}
TIMER = {
    "type": "function",
    "function": {
        "name": "set_timer",
        "description": "Start a countdown timer",
        "parameters": {
            "type": "object",
            "properties": {"minutes": {"type": "integer"}, "label": {"type": "string"}},
            "required": ["minutes"],
        },
    },
}
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "languages": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["name", "age", "languages"],
    "additionalProperties": False,
}


def ask(text: str) -> list[ChatMessage]:
    return [ChatMessage("system", "You are a helpful assistant."), ChatMessage("user", text)]


def test_answers_stream_in_many_deltas(tiny_engine: LlamaEngine) -> None:
    events = list(
        tiny_engine.stream_chat(
            ask("Name three colours."), options=GenerationOptions(max_tokens=24, temperature=0)
        )
    )
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3
    assert isinstance(events[-1], Finished)
    assert events[-1].usage.completion_tokens >= len(deltas)


def test_cancel_stops_generation_mid_answer(tiny_engine: LlamaEngine) -> None:
    cancel = threading.Event()
    n = 0
    reason = None
    for ev in tiny_engine.stream_chat(
        ask("Write a very long story about a dragon."),
        options=GenerationOptions(max_tokens=300, temperature=0),
        cancel=cancel,
    ):
        if isinstance(ev, TextDelta):
            n += 1
            if n == 5:
                cancel.set()
        elif isinstance(ev, Finished):
            reason, used = ev.reason, ev.usage.completion_tokens
    assert reason == "cancelled"
    assert used <= 6
    # The engine is usable right after a cancel.
    after = tiny_engine.chat(ask("Say yes."), options=GenerationOptions(max_tokens=4))
    assert after.usage.completion_tokens > 0


def test_follow_up_turn_reuses_the_cached_history(tiny_engine: LlamaEngine) -> None:
    history = ask("My name is Ada and I live in Lyon. " * 20 + "Where do I live?")
    first = tiny_engine.chat(history, options=GenerationOptions(max_tokens=12, temperature=0))
    history += [ChatMessage("assistant", first.text), ChatMessage("user", "And my name?")]
    second = tiny_engine.chat(history, options=GenerationOptions(max_tokens=8, temperature=0))
    # Everything evaluated in the first turn is reused; only the new turn's tokens are computed.
    assert second.usage.cached_prompt_tokens >= first.usage.prompt_tokens
    assert second.usage.prompt_tokens - second.usage.cached_prompt_tokens < 40


def test_switching_conversations_restores_each_system_prompt(tiny_engine: LlamaEngine) -> None:
    """Two conversations with long system prompts take turns: each prompt is read once, later
    restored from its saved state — and the answers are exactly those of a fresh read."""
    look = "You describe what a camera saw, for a blind wearer. " * 12
    voice = "You answer spoken questions in one short sentence. " * 12
    opts = GenerationOptions(max_tokens=12, temperature=0, seed=0)

    def turn(system: str, q: str):
        return tiny_engine.chat([ChatMessage("system", system), ChatMessage("user", q)], options=opts)

    first_look = turn(look, "What is in front of me?")
    first_voice = turn(voice, "What time is it?")
    turn(look, "Anything else?")  # seen twice: saved now
    turn(voice, "Anything else?")
    before = tiny_engine.prefixes.restores
    again_look = turn(look, "What is in front of me?")
    again_voice = turn(voice, "What time is it?")
    assert tiny_engine.prefixes.restores == before + 2
    assert again_look.text == first_look.text and again_voice.text == first_voice.text
    # only the question was read again, not the ~120-token system prompt
    assert again_look.usage.prompt_tokens - again_look.usage.cached_prompt_tokens < 20


def test_a_warmed_system_prompt_is_saved_at_once(tiny_engine: LlamaEngine) -> None:
    """A warm-up reads the system prompt before any question; the first question after it
    (even after another conversation used the context) reads only itself, and the answer
    is exactly that of a cold read."""
    system = ChatMessage("system", "You read signs aloud for a blind wearer. " * 12)
    question = ChatMessage("user", "What does the sign say?")
    opts = GenerationOptions(max_tokens=10, temperature=0, seed=0)
    cold = tiny_engine.chat([system, question], options=opts)
    tiny_engine.chat(ask("Something else entirely."), options=opts)
    read = tiny_engine.prefill([ChatMessage("system", system.content + " ")])  # a prompt never seen
    assert read > 100
    tiny_engine.chat(ask("Something else again."), options=opts)  # another conversation in between
    before = tiny_engine.prefixes.restores
    warm = tiny_engine.chat([ChatMessage("system", system.content + " "), question], options=opts)
    assert tiny_engine.prefixes.restores == before + 1
    assert warm.usage.prompt_tokens - warm.usage.cached_prompt_tokens < 15
    assert tiny_engine.prefill([system]) >= 0 and cold.text  # reading it twice is harmless


def test_a_guessed_question_leaves_only_what_differs_to_read(tiny_engine: LlamaEngine) -> None:
    """A partial transcript is read as if it were the question; the final question then
    reads only what differs, and answers exactly as a cold read does."""
    system = ChatMessage("system", "You answer spoken questions in one short sentence.")
    opts = GenerationOptions(max_tokens=10, temperature=0, seed=0)
    full = "What is the tallest mountain in the whole of Europe?"
    cold = tiny_engine.chat([system, ChatMessage("user", full)], options=opts)
    for guess, most_read in ((full, 1), ("What is the tallest mountain in the whole of Eur", 10)):
        tiny_engine.chat(ask("Unrelated."), options=opts)
        assert tiny_engine.prefill([system, ChatMessage("user", guess)]) > 0
        answer = tiny_engine.chat([system, ChatMessage("user", full)], options=opts)
        assert answer.text == cold.text  # the same tokens as a cold read
        assert answer.usage.prompt_tokens - answer.usage.cached_prompt_tokens <= most_read


def test_prefill_leaves_a_busy_engine_alone(tiny_engine: LlamaEngine) -> None:
    with tiny_engine._lock:
        assert tiny_engine.prefill(ask("Hello there"), wait=False) == 0
    stopped = threading.Event()
    stopped.set()  # the real question has arrived: a guess reads nothing more
    assert tiny_engine.prefill(ask("A question nobody asked before, " * 4), stop=stopped) == 0


def test_greedy_grammar_shortcut_picks_the_same_tokens_as_the_full_check(tiny_engine: LlamaEngine) -> None:
    """The one-token grammar check must choose exactly what llama.cpp's whole-vocabulary
    check chooses at temperature 0 (only faster)."""
    from oculi.llm import tools as toolfmt
    from oculi.llm.greedy_grammar import greedy_under_grammar

    gbnf = toolfmt.calls_grammar([WEATHER, TIMER], 1)
    prompt = tiny_engine.template.render(
        [m.to_template_dict() for m in ask("Set a timer for 7 minutes called tea")], [WEATHER, TIMER]
    ) + toolfmt.CALL_OPEN + "\n"
    tokens = tiny_engine._tokenize(prompt)

    def take(gen, n=40):
        out = []
        for tok in gen:
            if tiny_engine._is_eog(tiny_engine._vocab, tok) or len(out) >= n:
                break
            out.append(tok)
        gen.close()
        return out

    fast = take(greedy_under_grammar(tiny_engine.llm, tiny_engine._vocab, tokens,
                                     tiny_engine._grammar_from_gbnf(gbnf)))
    full_grammar = tiny_engine._grammar_from_gbnf(gbnf)
    full = take(tiny_engine.llm.generate(tokens, temp=0.0, top_k=40, top_p=0.95, min_p=0.05,
                                         repeat_penalty=1.0, grammar=full_grammar, reset=True))
    assert fast == full and len(fast) > 5
    call = json.loads(tiny_engine.llm.detokenize(fast).decode().split("</tool_call>")[0])
    assert call["name"] in ("get_weather", "set_timer")


def test_stop_strings_end_the_answer_and_are_not_emitted(tiny_engine: LlamaEngine) -> None:
    out = tiny_engine.chat(
        ask("Count from 1 to 10, separated by commas."),
        options=GenerationOptions(max_tokens=40, temperature=0, stop=("5",)),
    )
    assert "5" not in out.text
    assert out.finish_reason == "stop"


def test_max_tokens_is_reported_as_length(tiny_engine: LlamaEngine) -> None:
    out = tiny_engine.chat(ask("Tell me a long story."), options=GenerationOptions(max_tokens=5))
    assert (out.finish_reason, out.usage.completion_tokens) == ("length", 5)


def test_required_tool_call_is_valid_for_the_schema(tiny_engine: LlamaEngine) -> None:
    # Even a 135M model, unreliable at tools, produces a schema-valid call under the grammar.
    out = tiny_engine.chat(
        ask("What's the weather in Oslo?"), tools=[WEATHER, TIMER], tool_choice="required"
    )
    assert out.finish_reason == "tool_calls" and out.tool_calls
    call = out.tool_calls[0]
    schema = {WEATHER["function"]["name"]: WEATHER, TIMER["function"]["name"]: TIMER}[call.name]
    jsonschema.validate(call.parsed_arguments(), schema["function"]["parameters"])


def test_named_tool_choice_forces_that_tool(tiny_engine: LlamaEngine) -> None:
    out = tiny_engine.chat(
        ask("I need ten minutes for the pasta."),
        tools=[WEATHER, TIMER],
        tool_choice={"type": "function", "function": {"name": "set_timer"}},
    )
    assert [c.name for c in out.tool_calls] == ["set_timer"]
    jsonschema.validate(out.tool_calls[0].parsed_arguments(), TIMER["function"]["parameters"])


def test_allowed_tools_narrow_the_choice_and_keep_the_prompt(tiny_engine: LlamaEngine) -> None:
    only_timer = {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
        {"type": "function", "function": {"name": "set_timer"}}]}}
    q = ask("What's the weather in Oslo?")
    out = tiny_engine.chat(q, tools=[WEATHER, TIMER], tool_choice=only_timer)
    assert [c.name for c in out.tool_calls] == ["set_timer"]
    again = tiny_engine.chat(q, tools=[WEATHER, TIMER], tool_choice=only_timer)
    assert again.usage.cached_prompt_tokens >= again.usage.prompt_tokens - 1  # same prompt
    with pytest.raises(OculiError) as err:
        tiny_engine.chat(q, tools=[WEATHER, TIMER], tool_choice={
            "type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}})
    assert err.value.code == "invalid_tool_choice"


def test_unknown_named_tool_is_a_clear_error(tiny_engine: LlamaEngine) -> None:
    with pytest.raises(OculiError) as err:
        tiny_engine.chat(ask("hi"), tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}})
    assert err.value.code == "invalid_tool_choice"


def test_json_schema_output_validates(tiny_engine: LlamaEngine) -> None:
    out = tiny_engine.chat(ask("Invent a person."), json_schema=PERSON, options=GenerationOptions(max_tokens=120))
    jsonschema.validate(json.loads(out.text), PERSON)


def test_json_object_output_parses(tiny_engine: LlamaEngine) -> None:
    # a request the tiny model finishes: the answer must end by itself and parse, on every run
    out = tiny_engine.chat(ask("Give me a JSON object with a cat's name and age."), json_object=True,
                           options=GenerationOptions(max_tokens=200, temperature=0))
    assert out.finish_reason == "stop", out
    assert isinstance(json.loads(out.text), dict)


def test_tool_results_flow_back_into_the_conversation(tiny_engine: LlamaEngine) -> None:
    history = ask("What's the weather in Oslo?")
    call = tiny_engine.chat(history, tools=[WEATHER], tool_choice="required").tool_calls[0]
    history += [
        ChatMessage("assistant", None, tool_calls=[call]),
        ChatMessage("tool", json.dumps({"temperature": -3, "sky": "snow"}), tool_call_id=call.id),
    ]
    out = tiny_engine.chat(history, tools=[WEATHER], tool_choice="none", options=GenerationOptions(max_tokens=30))
    assert out.text.strip() and not out.tool_calls


def test_a_prompt_larger_than_the_context_is_refused(tiny_engine: LlamaEngine) -> None:
    with pytest.raises(OculiError) as err:
        tiny_engine.chat(ask("word " * 5000))
    assert err.value.code == "context_length_exceeded"


def test_a_file_that_is_not_a_model_fails_to_load_clearly(tmp_path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(OculiError) as err:
        LlamaEngine(bad)
    assert err.value.code == "model_load_failed"


# ------------------------------------------------------------------ the default model
@pytest.mark.default_model
@pytest.mark.slow
@pytest.mark.parametrize(
    ("request_text", "tool", "arg", "value"),
    [
        ("What's the weather like in Lyon right now, in celsius?", "get_weather", "city", "Lyon"),
        ("Set a timer for 10 minutes for the pasta.", "set_timer", "minutes", 10),
    ],
)
def test_default_model_picks_the_right_tool(default_engine: LlamaEngine, request_text: str, tool: str, arg: str, value: object) -> None:
    out = default_engine.chat(ask(request_text), tools=[WEATHER, TIMER], options=GenerationOptions(temperature=0))
    assert [c.name for c in out.tool_calls] == [tool]
    assert out.tool_calls[0].parsed_arguments()[arg] == value


@pytest.mark.default_model
@pytest.mark.slow
def test_default_model_answers_without_a_tool_when_none_fits(default_engine: LlamaEngine) -> None:
    out = default_engine.chat(
        ask("Tell me a one-line joke about cats."), tools=[WEATHER, TIMER], options=GenerationOptions(temperature=0, max_tokens=60)
    )
    assert not out.tool_calls and out.text.strip()


@pytest.mark.default_model
@pytest.mark.slow
def test_default_model_fills_a_json_schema(default_engine: LlamaEngine) -> None:
    out = default_engine.chat(
        ask("Give me a fictional software engineer from Kenya as JSON."),
        json_schema=PERSON,
        options=GenerationOptions(temperature=0, max_tokens=120),
    )
    data = json.loads(out.text)
    jsonschema.validate(data, PERSON)
    assert data["name"].strip()


@pytest.mark.default_model
@pytest.mark.slow
def test_default_model_knows_a_fact(default_engine: LlamaEngine) -> None:
    out = default_engine.chat(ask("What is the capital of France? One word."), options=GenerationOptions(temperature=0, max_tokens=10))
    assert "paris" in out.text.lower()


def test_parallel_calls_are_bounded_and_deduplicated(tiny_engine: LlamaEngine) -> None:
    out = tiny_engine.chat(
        ask("Weather in Oslo and in Rome?"), tools=[WEATHER], tool_choice="required", parallel_tool_calls=True
    )
    assert 1 <= len(out.tool_calls) <= 4
    keys = {(c.name, c.arguments) for c in out.tool_calls}
    assert len(keys) == len(out.tool_calls)


STATUS = {"type": "function", "function": {"name": "device_status", "description": "Battery and storage of the device",
                                            "parameters": {"type": "object", "properties": {}}}}


def test_a_call_to_a_tool_without_arguments_ends_once_its_name_is_settled(tiny_engine: LlamaEngine) -> None:
    out = tiny_engine.chat(ask("How full is my battery?"), tools=[STATUS],
                           tool_choice={"type": "function", "function": {"name": "device_status"}})
    assert [(c.name, c.arguments) for c in out.tool_calls] == [("device_status", "{}")]
    # `{"name": "device_status` is written; the forced rest (`", "arguments": {}}` and the
    # closing tag, ~10 tokens) is not decoded
    full = tiny_engine.chat(ask("How full is my battery?"), tools=[WEATHER],
                            tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert out.usage.completion_tokens < full.usage.completion_tokens


def test_settled_names_need_a_unique_tool_without_arguments() -> None:
    from oculi.llm.tools import settled_argless_call

    note = {"type": "function", "function": {"name": "note", "parameters": {"type": "object", "properties": {}}}}
    notes = {"type": "function", "function": {"name": "notes_read", "parameters": {"type": "object", "properties": {}}}}
    assert settled_argless_call('{"name": "dev', [STATUS, WEATHER]) == "device_status"
    assert settled_argless_call('{"name": "get_w', [STATUS, WEATHER]) is None  # it takes arguments
    assert settled_argless_call('{"name": "note', [note, notes]) is None  # "note" or "notes_read"
    assert settled_argless_call('{"name": "note"', [note, notes]) == "note"
    assert settled_argless_call('{"na', [STATUS]) is None


def test_a_call_opened_with_the_tools_listing_tag_is_a_call_not_text() -> None:
    """Qwen's template lists the tools inside `<tools></tools>`; the default model once
    opened a call with that tag, and the reply reached an app as text."""
    from oculi.llm.remote import _calls_in_text
    from oculi.llm.tools import opening_state

    assert opening_state('<tools>\n{"name": "get_weather"') == "call"
    assert opening_state("<tools>\n<tool_call>") == "call"
    assert opening_state("<too") == "undecided"
    assert opening_state("<tools> are what I use") == "text"
    calls = _calls_in_text('<tools>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tools>')
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", {"city": "Oslo"})]


@pytest.mark.default_model
@pytest.mark.slow
def test_tool_choice_none_keeps_the_tools_in_the_prompt_and_reuses_its_cache(default_engine: LlamaEngine) -> None:
    # (Qwen's call tag is one token, so a ban keeps it from calling; a model whose tag is
    # several tokens, like the tiny test model, gets its prompt without the tools instead)
    msgs = ask("Say something nice about Lyon.")
    default_engine.prefill(msgs[:1], tools=[WEATHER, TIMER])  # instructions saved, as a warm-up does
    first = default_engine.chat(msgs, tools=[WEATHER, TIMER], options=GenerationOptions(max_tokens=8))
    words = default_engine.chat(msgs, tools=[WEATHER, TIMER], tool_choice="none",
                                options=GenerationOptions(max_tokens=8))
    assert not words.tool_calls and words.finish_reason in ("stop", "length")
    assert words.usage.prompt_tokens == first.usage.prompt_tokens  # the same prompt...
    assert words.usage.cached_prompt_tokens == words.usage.prompt_tokens - 1  # ...read once


@pytest.mark.default_model
@pytest.mark.slow
def test_default_model_never_opens_a_call_with_tool_choice_none(default_engine: LlamaEngine) -> None:
    msgs = ask("What's the weather in Oslo in celsius?")
    assert default_engine.chat(msgs, tools=[WEATHER], options=GenerationOptions(temperature=0)).tool_calls
    out = default_engine.chat(msgs, tools=[WEATHER], tool_choice="none",
                              options=GenerationOptions(temperature=0, max_tokens=40))
    assert not out.tool_calls and out.text.strip() and "<tool_call>" not in out.text
