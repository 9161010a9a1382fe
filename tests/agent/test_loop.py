"""The agent loop's mechanics with a scripted engine, and one real turn with the default model."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from oculi.agent import (
    Agent,
    AgentDone,
    AnswerDelta,
    ConfirmationAsked,
    ToolCallFinished,
    ToolCallStarted,
    event_to_dict,
)
from oculi.agent.prompt import TURN_RULE
from oculi.llm.messages import ChatMessage, Finished, TextDelta, ToolCall, ToolCallsReady, Usage
from oculi.tools.base import function_tool
from oculi.tools.registry import ToolRegistry


class ScriptedEngine:
    """Plays back one scripted reply per call and records what it was shown."""

    def __init__(self, replies: list[str | list[ToolCall]]) -> None:
        self.replies = list(replies)
        self.seen: list[tuple[list[ChatMessage], list | None]] = []
        self.choices: list[str] = []

    def stream_chat(self, messages, *, tools=None, tool_choice="auto", options=None, cancel=None):
        self.seen.append((list(messages), tools))
        self.choices.append(tool_choice)
        reply = self.replies.pop(0)
        if isinstance(reply, str):
            yield TextDelta(reply)
            yield Finished("stop", Usage(10, 5))
        else:
            yield ToolCallsReady(reply)
            yield Finished("tool_calls", Usage(10, 5))


def _registry(log: list[str]) -> ToolRegistry:
    def unlock_door(door: str) -> str:
        """Unlock a door."""
        log.append(f"unlock {door}")
        return f"{door} unlocked"

    def weather(city: str) -> dict:
        """Weather in a city."""
        return {"city": city, "sky": "clear"}

    def crash() -> str:
        """Always fails."""
        raise RuntimeError("sensor offline")

    reg = ToolRegistry()
    reg.register(function_tool(unlock_door, confirm=True, data=["home"]))
    reg.register(function_tool(weather))
    reg.register(function_tool(crash))
    return reg


def _run(agent: Agent, text: str):
    return list(agent.run([ChatMessage(role="user", content=text)]))


def test_tool_call_result_back_to_model_then_answer():
    engine = ScriptedEngine([[ToolCall("weather", '{"city": "Oslo"}', id="c1")], "Clear skies in Oslo."])
    agent = Agent(engine, _registry([]), system="You are oculi.", clock=lambda: datetime(2026, 1, 2, 9, 30))
    events = _run(agent, "weather in oslo?")
    assert [e.type for e in events] == ["tool_call", "tool_result", "text", "done"]
    started, finished, _, done = events
    assert isinstance(started, ToolCallStarted) and started.arguments == {"city": "Oslo"}
    assert isinstance(finished, ToolCallFinished) and finished.ok and json.loads(finished.content)["sky"] == "clear"
    assert isinstance(done, AgentDone) and done.text == "Clear skies in Oslo." and done.steps == 2
    assert [m.role for m in done.messages] == ["assistant", "tool", "assistant"]
    assert done.messages[1].tool_call_id == "c1"
    # the second model call saw the tool result, the system prompt first and the clock line
    second, tools = engine.seen[1]
    assert second[0].role == "system" and "You are oculi." in second[0].content
    assert second[1].content.startswith("Current local time: Friday 2026-01-02 09:30.")
    assert TURN_RULE in second[1].content  # tools were offered: the no-tool rule too
    assert second[-1].role == "tool" and "clear" in second[-1].content
    assert tools is not None and done.usage.prompt_tokens == 20
    assert event_to_dict(done)["messages"][0]["tool_calls"][0]["function"]["name"] == "weather"


def test_answer_directly_means_words_without_tools():
    engine = ScriptedEngine([[ToolCall("answer_directly", "{}")], "Canberra."])
    agent = Agent(engine, _registry([]), system="s")
    events = _run(agent, "capital of Australia?")
    assert [e.type for e in events] == ["text", "done"]  # no tool ran, nothing to show
    assert events[-1].text == "Canberra." and events[-1].messages[0].content == "Canberra."
    offered = [t["function"]["name"] for t in engine.seen[0][1]]
    assert offered[-1] == "answer_directly" and "answer_directly" not in agent.registry
    # the answer is written from the same prompt (its cache reused), with no call allowed
    assert engine.seen[1] == engine.seen[0] and engine.choices == ["auto", "none"]
    plain = Agent(ScriptedEngine(["hi"]), _registry([]), system="s", direct_answer_tool=False)
    assert "answer_directly" not in [t["function"]["name"] for t in plain.offered_specs()]


def test_confirmation_declined_is_reported_and_nothing_runs():
    log: list[str] = []
    engine = ScriptedEngine([[ToolCall("unlock_door", '{"door": "front"}')], "I did not unlock it."])
    agent = Agent(engine, _registry(log), system="s", confirm=lambda req: False)
    events = _run(agent, "unlock the front door")
    asked = [e for e in events if isinstance(e, ConfirmationAsked)]
    assert len(asked) == 1 and asked[0].approved is False and asked[0].arguments == {"door": "front"}
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert result.error_code == "tool_declined" and log == []


def test_confirmation_approved_runs_the_tool():
    log: list[str] = []
    engine = ScriptedEngine([[ToolCall("unlock_door", '{"door": "front"}')], "Unlocked."])
    agent = Agent(engine, _registry(log), system="s", confirm=lambda req: req.tool == "unlock_door")
    events = _run(agent, "unlock the front door")
    assert log == ["unlock front"]
    assert next(e for e in events if isinstance(e, ToolCallFinished)).ok


@pytest.mark.parametrize(
    "call, code",
    [
        (ToolCall("teleport", "{}"), "unknown_tool"),
        (ToolCall("weather", '{"town": "Oslo"}'), "invalid_tool_arguments"),
        (ToolCall("crash", "{}"), "tool_failed"),
    ],
)
def test_failures_go_back_to_the_model_and_the_turn_completes(call, code):
    engine = ScriptedEngine([[call], "Sorry, that did not work."])
    agent = Agent(engine, _registry([]), system="s")
    events = _run(agent, "do it")
    result = next(e for e in events if isinstance(e, ToolCallFinished))
    assert result.error_code == code
    assert engine.seen[1][0][-1].content == result.content
    assert events[-1].text == "Sorry, that did not work."


def test_last_step_allows_no_call_so_the_turn_ends_in_words():
    call = [ToolCall("weather", '{"city": "Rome"}')]
    engine = ScriptedEngine([call, [ToolCall("weather", '{"city": "Paris"}')], "Both are clear."])
    agent = Agent(engine, _registry([]), system="s", max_steps=3)
    done = _run(agent, "weather rome and paris")[-1]
    assert done.text == "Both are clear." and done.steps == 3
    assert engine.choices == ["auto", "auto", "none"]  # the tools stay in the prompt: it is cached


def test_a_repeated_identical_call_stops_tool_calls():
    call = ToolCall("weather", '{"city": "Rome"}')
    engine = ScriptedEngine([[call], [ToolCall("weather", '{"city": "Rome"}')], "Clear in Rome."])
    agent = Agent(engine, _registry([]), system="s", max_steps=6)
    done = _run(agent, "weather rome")[-1]
    assert done.text == "Clear in Rome." and engine.choices == ["auto", "auto", "none"]


def test_text_streams_as_deltas_without_tools():
    engine = ScriptedEngine(["Paris is the capital of France."])
    agent = Agent(engine, ToolRegistry(), system="s")
    events = _run(agent, "capital of france?")
    assert isinstance(events[0], AnswerDelta) and events[-1].steps == 1
    assert engine.seen[0][1] is None  # an empty registry offers no tools


@pytest.mark.slow
@pytest.mark.default_model
def test_real_turn_with_the_default_model(default_engine, tmp_path):
    from oculi.tools.runtime import ToolRuntime
    from oculi.tools.settings import ToolsSettings

    with ToolRuntime(ToolsSettings(), data_dir=tmp_path, run_scheduler=False) as rt:
        agent = Agent(default_engine, rt.registry, system="You are oculi, a helpful assistant on smart glasses.")
        events = _run(agent, "Set a timer for 3 minutes for the tea.")
        started = [e for e in events if isinstance(e, ToolCallStarted)]
        finished = [e for e in events if isinstance(e, ToolCallFinished)]
        assert started and started[0].name == "set_timer", events
        assert finished[0].ok, finished[0].content
        done = events[-1]
        assert isinstance(done, AgentDone) and done.text.strip()
        pending = rt.reminder_store.pending()
        assert len(pending) == 1 and 170 <= pending[0].due_at - pending[0].created_at <= 190


def test_a_resumed_turn_never_hands_the_client_the_same_call_again():
    spec = {"type": "function", "function": {"name": "order_status", "description": "Where an order is.",
                                             "parameters": {"type": "object", "properties": {"order": {"type": "string"}}}}}
    engine = ScriptedEngine([[ToolCall("order_status", '{"order": "4417"}')], "It waits at the locker."])
    agent = Agent(engine, _registry([]), system="s")
    agent.client_tools["order_status"] = spec
    history = [ChatMessage(role="user", content="where is order 4417?"),
               ChatMessage(role="assistant", content=None, tool_calls=[ToolCall("order_status", '{"order": "4417"}', id="c1")]),
               ChatMessage(role="tool", content='{"status": "at the locker"}', tool_call_id="c1", name="order_status")]
    events = list(agent.run(history))
    assert not any(isinstance(e, ToolCallStarted) for e in events)
    assert events[-1].text == "It waits at the locker." and engine.choices == ["auto", "none"]


def test_an_empty_reply_is_asked_again_for_words():
    engine = ScriptedEngine(["", "Your order waits at the locker."])
    agent = Agent(engine, _registry([]), system="s")
    done = _run(agent, "has my order shipped?")[-1]
    assert done.text == "Your order waits at the locker." and engine.choices == ["auto", "none"]


def test_tool_choice_none_answers_in_words_and_runs_nothing():
    log: list[str] = []
    engine = ScriptedEngine(["I can't unlock it from here."])
    agent = Agent(engine, _registry(log), system="s")
    agent.tool_choice = "none"
    done = _run(agent, "unlock the front door")[-1]
    assert done.text == "I can't unlock it from here." and done.steps == 1
    assert engine.choices == ["none"] and log == []


def test_tool_choice_required_or_named_forces_the_first_call_only():
    forced = {"type": "function", "function": {"name": "weather"}}
    for choice in ("required", forced):
        engine = ScriptedEngine([[ToolCall("weather", '{"city": "Rome"}')], "Clear in Rome."])
        agent = Agent(engine, _registry([]), system="s")
        agent.tool_choice = choice
        events = _run(agent, "how is it outside in Rome?")
        assert [e.name for e in events if isinstance(e, ToolCallFinished)] == ["weather"]
        assert engine.choices[1] == "auto" and events[-1].text == "Clear in Rome."
        if choice == "required":  # declining is no way out of a forced call
            assert _allowed(engine.choices[0]) == {"unlock_door", "weather", "crash"}
        else:
            assert engine.choices[0] == choice
        assert engine.seen[0][1] == engine.seen[1][1]  # the same list in the prompt: cached


def _allowed(choice) -> set[str]:
    assert choice["type"] == "allowed_tools" and choice["allowed_tools"]["mode"] == "required"
    return {t["function"]["name"] for t in choice["allowed_tools"]["tools"]}


def _registry_with(fn) -> ToolRegistry:
    """The test registry plus one more tool."""
    reg = _registry([])
    reg.register(function_tool(fn))
    return reg


def _notes_registry(saved: list[str]) -> ToolRegistry:
    def take_note(text: str) -> str:
        """Save a note."""
        saved.append(text)
        return "saved"

    return _registry_with(take_note)


def test_a_reply_claiming_an_action_no_tool_did_becomes_the_call():
    saved: list[str] = []
    engine = ScriptedEngine([[ToolCall("answer_directly", "{}")],
                             "The note has been taken. Anything else?",
                             [ToolCall("take_note", '{"text": "the plumber comes on Friday"}')],
                             "Saved: the plumber comes on Friday."])
    agent = Agent(engine, _notes_registry(saved), system="s")
    events = _run(agent, "jot this down: the plumber comes on friday")
    said = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert "has been taken" not in said  # the false claim never reaches the wearer
    assert saved == ["the plumber comes on Friday"]
    assert engine.choices[:2] == ["auto", "none"] and engine.choices[3] == "auto"
    assert "answer_directly" not in _allowed(engine.choices[2]) and "take_note" in _allowed(engine.choices[2])
    assert engine.seen[2][1] == engine.seen[0][1]  # the same tool list: no re-reading
    assert events[-1].text == "Saved: the plumber comes on Friday."


def test_plain_answers_and_claims_after_a_tool_ran_are_shown_as_they_are():
    engine = ScriptedEngine(["Tokyo is the capital of Japan."])
    agent = Agent(engine, _notes_registry([]), system="s")
    assert _run(agent, "capital of japan?")[-1].text == "Tokyo is the capital of Japan."
    assert engine.choices == ["auto"]
    saved: list[str] = []
    engine = ScriptedEngine([[ToolCall("take_note", '{"text": "milk"}')], "The note has been saved."])
    agent = Agent(engine, _notes_registry(saved), system="s")
    events = _run(agent, "note milk")
    assert saved == ["milk"] and events[-1].text == "The note has been saved."
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "The note has been saved."
    assert engine.choices == ["auto", "auto"]


@pytest.mark.parametrize(("reply", "claims"), [
    ('The note "The plumber comes on Friday" has been taken.', True),
    ("The reminder to water the plants has been set.", True),
    ("I've set a timer for five minutes.", True),
    ("Timer set for 5 minutes.", True),
    ("Okay, done.", True),
    ("I will remind you at six.", True),
    ("Remembered that my bike is locked at the north entrance.", True),
    ("The reminder to water the plants in two hours is set.", True),
    ("The lights are switched off in the hall.", False),
    ("A timer is useful when you cook pasta.", False),
    ("Got it, saved: the code is 4411.", True),
    ("I'll remember that your car is on level two.", True),
    ("Set the oven to 180 degrees and wait ten minutes.", False),
    ("Recorded history begins around 3000 BC.", False),
    ("Remembered as a great leader, he ruled for forty years.", False),
    ("The capital of Japan is Tokyo.", False),
    ("Done is better than perfect, they say.", False),
    ("I haven't set anything.", False),
    ("Sure, what should the note say?", False),
    ("The light has been on since morning.", False),
])
def test_what_counts_as_claiming_an_action(reply, claims):
    from oculi.agent.claims import claims_an_action

    assert claims_an_action(reply) is claims


def test_a_dictated_sentence_is_no_answer_to_a_tool_result():
    engine = ScriptedEngine([[ToolCall("weather", '{"city": "Rome"}')],
                             "I can't see anything: no camera is connected.",
                             "It is clear in Rome."])
    agent = Agent(engine, _registry([]), system="s")
    agent.not_after_tools = frozenset({"I can't see anything: no camera is connected."})
    events = _run(agent, "weather in rome?")
    said = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert said == "It is clear in Rome." and events[-1].text == said
    assert engine.choices == ["auto", "auto", "none"]
    assert engine.seen[2][0][-1].role == "system"  # asked for the outcome, at the end


def _memory_registry(asked: list[str]) -> ToolRegistry:
    def recall(question: str) -> str:
        """Search the wearer's memories."""
        asked.append(question)
        return '{"answer": "You said your bike is locked at the north entrance."}'

    return _registry_with(recall)


def test_not_knowing_the_wearers_own_things_looks_in_memory():
    asked: list[str] = []
    engine = ScriptedEngine(["I don't know where your bike is.",
                             [ToolCall("recall", '{"question": "where is my bike?"}')],
                             "It is locked at the north entrance."])
    agent = Agent(engine, _memory_registry(asked), system="s")
    events = _run(agent, "Where is my bike?")
    said = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert "don't know" not in said and asked == ["where is my bike?"]
    assert engine.choices[1] == {"type": "function", "function": {"name": "recall"}}
    assert events[-1].text == "It is locked at the north entrance."
    # not about the wearer: an honest "I don't know" stands, and nothing is recalled
    engine = ScriptedEngine(["I don't know who won the 1903 chess cup."])
    agent = Agent(engine, _memory_registry(asked), system="s")
    assert _run(agent, "Who won the 1903 chess cup?")[-1].text.startswith("I don't know")
    assert engine.choices == ["auto"] and len(asked) == 1


@pytest.mark.parametrize(("reply", "not_known"), [
    ("I don't know where your bike is.", True),
    ("I do not remember that.", True),
    ("I'm not sure where you left it.", True),
    ("I can't see anything: no camera or image is connected.", True),
    ("I'm sorry, but I don't have enough information to determine your bike's location.", True),
    ("I'm unable to tell where you parked.", True),
    ("Your bike is at the north entrance.", False),
    ("I know a good bike shop nearby.", False),
])
def test_what_counts_as_not_knowing(reply, not_known):
    from oculi.agent.claims import admits_not_knowing

    assert admits_not_knowing(reply) is not_known


def test_a_question_about_the_wearers_past_is_recalled_not_looked_at():
    asked: list[str] = []
    looked: list[str] = []

    def describe_view(question: str) -> str:
        """Look through the camera."""
        looked.append(question)
        return "I can't see it well: there is glare."

    reg = _memory_registry(asked)
    reg.register(function_tool(describe_view))
    engine = ScriptedEngine([[ToolCall("describe_view", '{"question": "where did I park?"}')],
                             "You parked on the second floor."])
    events = _run(Agent(engine, reg, system="s"), "Where did I leave the car?")
    started = [e.name for e in events if isinstance(e, ToolCallStarted)]
    assert started == ["recall"] and looked == [] and asked == ["Where did I leave the car?"]
    assert events[-1].text == "You parked on the second floor."
    # a question about the view now still looks
    engine = ScriptedEngine([[ToolCall("describe_view", '{"question": "what colour is my car?"}')],
                             "It is red."])
    events = _run(Agent(engine, reg, system="s"), "What colour is my car?")
    assert [e.name for e in events if isinstance(e, ToolCallStarted)] == ["describe_view"]
    assert looked == ["what colour is my car?"] and len(asked) == 1


def test_the_cameras_refusal_is_no_answer_to_a_question_about_the_wearers_past():
    asked: list[str] = []
    engine = ScriptedEngine(["I can't see it well: there is glare. Tilt the object.",
                             [ToolCall("recall", '{"question": "where did I park?"}')],
                             "You parked on level 3."])
    events = _run(Agent(engine, _memory_registry(asked), system="s"), "Where did I park?")
    said = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert "glare" not in said and asked == ["where did I park?"]
    assert engine.choices[1] == {"type": "function", "function": {"name": "recall"}}
    assert events[-1].text == "You parked on level 3."
    # about the view now ("my" things in front of the wearer), the refusal is the answer
    engine = ScriptedEngine(["I can't read it: the picture is blurred."])
    events = _run(Agent(engine, _memory_registry(asked), system="s"), "What does my ticket say?")
    assert events[-1].text.startswith("I can't read it") and len(asked) == 1


def test_a_request_naming_an_entity_id_must_call_a_home_tool():
    def home_call_service(domain: str, service: str, entity_id: str) -> str:
        """Call a home service."""
        return "done"

    engine = ScriptedEngine([[ToolCall("home_call_service", '{"domain": "fan", "service": "turn_on", '
                                                            '"entity_id": "fan.attic"}')], "The attic fan is on."])
    _run(Agent(engine, _registry_with(home_call_service), system="s"), "switch on fan.attic")
    assert _allowed(engine.choices[0]) == {"home_call_service"}  # not a reminder, not words
    assert engine.choices[1] == "auto"  # the answer after the result is free
