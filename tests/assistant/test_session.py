"""The assistant session's mechanics with a scripted engine (fast, exact), and the wearer's
guarantees with the default model: a failing tool, a declined confirmation, no camera and
no memory each get a short reason, and the conversation goes on."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from oculi.agent.events import AgentDone, ToolCallStarted
from oculi.assistant import Assistant, CurrentView, NotificationFired
from oculi.assistant.session import TurnResult
from oculi.assistant.view import VIEW_HEADER, still_view
from oculi.assistant.voice import VoiceTurns
from oculi.llm.messages import ToolCall
from oculi.tools.base import function_tool
from oculi.tools.notify import FanoutNotifier, Notification
from oculi.tools.registry import ToolRegistry
from oculi.vision.frame import Frame
from oculi.vision.perception.types import Perception, TextLine
from oculi.voice.settings import VoiceSettings
from oculi.voice.wakeword import ListenGate
from tests.agent.test_loop import ScriptedEngine


def sign_view(text: str = "EXIT") -> CurrentView:
    frame = Frame(image=np.zeros((40, 40, 3), np.uint8), timestamp=time.time(), source="t", index=0)
    p = Perception(width=40, height=40, text=[TextLine(text, 0.99, (0, 0, 10, 10))], faces=[])
    return still_view(frame, p, has_detector=False)


def timer_registry(calls: list) -> ToolRegistry:
    reg = ToolRegistry()

    def set_timer(minutes: int) -> str:
        """Start a countdown timer.

        Args:
            minutes: how long
        """
        calls.append(minutes)
        return f"timer set for {minutes} min"

    reg.register(function_tool(set_timer))
    return reg


def test_the_camera_note_comes_before_the_question_once_and_the_history_keeps_what_was_heard() -> None:
    engine = ScriptedEngine(["It says EXIT.", "You asked about the sign."])
    a = Assistant(engine, ToolRegistry(), view=sign_view())
    result = a.ask("What does the sign say?")
    assert result.text == "It says EXIT."
    shown = engine.seen[0][0]
    notes = [m for m in shown if m.role == "system" and (m.content or "").startswith(VIEW_HEADER)]
    assert len(notes) == 1 and '"EXIT"' in notes[0].content
    assert [m.role for m in shown[-3:]] == ["system", "system", "user"]  # note, clock, question
    # the same picture is not repeated next turn; the first turn is in the history
    context = a.prepare()
    res2 = None
    for ev in a.turn("What did I ask?", context=context):
        if isinstance(ev, AgentDone):
            res2 = ev
    assert res2 is not None
    second = engine.seen[1][0]
    assert sum(1 for m in second if (m.content or "").startswith(VIEW_HEADER)) == 1
    assert any(m.role == "assistant" and m.content == "It says EXIT." for m in second)


def test_an_interrupted_answer_is_kept_as_heard() -> None:
    engine = ScriptedEngine(["Paris is the capital of France and it is lovely."])
    a = Assistant(engine, ToolRegistry())
    turns = VoiceTurns(a)
    spoken = "".join(turns.answer("Capital of France?", threading.Event()))
    assert spoken.startswith("Paris")
    turns.record("Capital of France?", "Paris is", interrupted=True)
    assistant_lines = [m.content for m in a.history if m.role == "assistant"]
    assert assistant_lines == ["Paris is"]


def test_an_answer_given_on_a_draft_keeps_its_tool_calls_under_the_final_words() -> None:
    calls: list = []
    engine = ScriptedEngine([[ToolCall("set_timer", "{\"minutes\": 5}", "c1")], "Timer set."])
    a = Assistant(engine, timer_registry(calls))
    turns = VoiceTurns(a)
    spoken = "".join(turns.answer("set a timer for five minutes", threading.Event()))
    turns.record("Set a timer for 5 minutes.", spoken, interrupted=False)  # the final transcript
    assert calls == [5]
    assert [c.name for m in a.history for c in m.tool_calls] == ["set_timer"]
    assert [m.content for m in a.history if m.role == "user"] == ["Set a timer for 5 minutes."]


def test_no_camera_is_said_in_the_instructions_and_a_camera_without_a_picture_says_so() -> None:
    engine = ScriptedEngine(["x", "y"])
    Assistant(engine, ToolRegistry()).ask("What am I looking at?")
    assert "No camera or picture is connected" in engine.seen[0][0][0].content
    Assistant(engine, ToolRegistry(), view=CurrentView()).ask("What am I looking at?")
    assert any("No picture has come from the camera yet" in (m.content or "") for m in engine.seen[1][0])


def test_the_turn_read_at_the_start_of_speech_is_the_answers_prompt_up_to_the_words() -> None:
    engine = ScriptedEngine(["It says EXIT."])
    read: list[list] = []
    engine.prefill = lambda messages, **kw: read.append(list(messages)) or 1  # type: ignore[attr-defined]
    a = Assistant(engine, ToolRegistry(), view=sign_view())
    turns = VoiceTurns(a)
    turns.turn_started()
    later = sign_view("ENTRANCE").latest()
    assert a.view is not None and later is not None
    a.view.update(1, later.frame, later.perception)  # a later frame: not this turn's prompt
    "".join(turns.answer("What does the sign say?", threading.Event()))
    (started,) = read
    asked = engine.seen[0][0]
    assert started[-1].role == "user" and started[-1].content == ""
    assert [m.content for m in started[:-1]] == [m.content for m in asked[:-1]]  # same up to the words
    assert asked[-1].content == "What does the sign say?"


def test_a_held_answer_runs_no_tool_until_released() -> None:
    calls: list = []
    engine = ScriptedEngine([[ToolCall("set_timer", "{\"minutes\": 5}", "c1")], "Timer set."])
    a = Assistant(engine, timer_registry(calls))
    turns = VoiceTurns(a)
    released, cancel = threading.Event(), threading.Event()
    out: list[str] = []
    worker = threading.Thread(target=lambda: out.extend(turns.answer("timer five", cancel, released)))
    worker.start()
    time.sleep(0.3)
    assert calls == []  # held: the wearer may still be speaking
    released.set()
    worker.join(5)
    assert calls == [5] and "".join(out) == "Timer set."


def test_a_dropped_held_answer_never_acts() -> None:
    calls: list = []
    engine = ScriptedEngine([[ToolCall("set_timer", "{\"minutes\": 5}", "c1")], "Timer set."])
    turns = VoiceTurns(Assistant(engine, timer_registry(calls)))
    released, cancel = threading.Event(), threading.Event()
    worker = threading.Thread(target=lambda: list(turns.answer("timer five", cancel, released)))
    worker.start()
    time.sleep(0.2)
    cancel.set()  # the wearer went on talking: the held answer is dropped
    worker.join(5)
    assert not worker.is_alive() and calls == []


def test_notifications_reach_every_open_session_and_its_history() -> None:
    fanout = FanoutNotifier()
    a, b = Assistant(ScriptedEngine([]), ToolRegistry()), Assistant(ScriptedEngine([]), ToolRegistry())
    seen: list = []
    a.subscribe(seen.append)
    unsub_a = fanout.subscribe_until(a.notify)
    unsub_b = fanout.subscribe_until(b.notify)
    n = Notification("timer", 1, "Timer: tea", "Your tea timer is done.", time.time(), time.time(), 0.0)
    fanout.notify(n)
    assert [type(e) for e in seen] == [NotificationFired]
    assert a.history[-1].content == "Your tea timer is done." == b.history[-1].content
    unsub_a(), unsub_b()
    fanout.notify(n)
    assert len(seen) == 1


def test_push_to_talk_opens_no_follow_up_window() -> None:
    now = [0.0]
    gate = ListenGate("push_to_talk", VoiceSettings(follow_up_s=5.0), clock=lambda: now[0])
    gate.press()
    gate.turn_started()
    gate.release()
    gate.turn_ended()
    gate.answer_finished()
    now[0] += 1
    assert not gate.is_open  # only the button opens a push-to-talk turn


# ---------------------------------------------------------------------------- the default model
REFUSAL = ("can't", "cannot", "couldn't", "could not", "unable", "not able", "failed", "didn't",
           "did not", "not set", "wasn't", "was not", "declined", "off", "no camera", "not connected")


def said_no(text: str) -> bool:
    low = text.lower().replace("’", "'")
    return any(w in low for w in REFUSAL)


@pytest.mark.slow
@pytest.mark.default_model
def test_failures_get_a_short_spoken_reason_and_the_conversation_goes_on(default_engine) -> None:  # type: ignore[no-untyped-def]
    reg = ToolRegistry()

    def take_note(text: str) -> str:
        """Write a note down for the wearer.

        Args:
            text: the note
        """
        raise RuntimeError("the notes disk is full")

    def unlock_door(door: str) -> str:
        """Unlock a door of the wearer's home.

        Args:
            door: which door
        """
        raise AssertionError("must not run without consent")

    reg.register(function_tool(take_note))
    reg.register(function_tool(unlock_door, confirm=True))
    a = Assistant(default_engine, reg, memory=False, confirm=lambda request: False)
    failed = a.ask("Take a note: buy oat milk.")
    assert any(isinstance(e, ToolCallStarted) and e.name == "take_note" for e in failed.events)
    low = failed.text.lower()
    assert ("full" in low or said_no(low)) and len(failed.text) < 300, failed.text  # the reason
    declined = a.ask("Unlock the front door.")
    assert said_no(declined.text), declined.text
    blind = a.ask("What am I looking at right now?")
    assert any(w in blind.text.lower().replace("’", "'") for w in (
        "can't see", "cannot see", "no camera", "not connected", "unable to see")), blind.text
    no_memory = a.ask("Remember that my locker number is 41.")
    assert "memory" in no_memory.text.lower() and said_no(no_memory.text), no_memory.text
    goes_on = a.ask("What is two plus three?")
    assert "5" in goes_on.text or "five" in goes_on.text.lower(), goes_on.text


def test_a_client_tool_call_ends_the_turn_and_its_result_is_answered_from() -> None:
    """OpenAI Realtime clients declare tools they run themselves: the model's call is handed
    over (never run here), and the answer comes from the result the client sends back."""
    calls: list = []
    call = ToolCall("get_weather", '{"city": "Oslo"}')
    engine = ScriptedEngine([[call], "It is 12 degrees in Oslo."])
    a = Assistant(engine, timer_registry(calls))
    a.agent.client_tools = {"get_weather": {"type": "function", "function": {
        "name": "get_weather", "description": "Weather now.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}}
    first = a.ask("What's the weather in Oslo?")
    assert first.done is not None and first.done.finish_reason == "client_tool_calls"
    started = [e for e in first.events if isinstance(e, ToolCallStarted)]
    assert [(e.name, e.arguments) for e in started] == [("get_weather", '{"city": "Oslo"}')]
    assert "get_weather" in [t["function"]["name"] for t in a.agent.offered_specs()]
    a.add_tool_result(call.id, "get_weather", '{"celsius": 12}')
    result = TurnResult("", a.prepare(), None)
    for _ in a.resume(None, result):
        pass
    a.commit(result)
    assert result.text == "It is 12 degrees in Oslo."
    roles = [(m.role, m.content) for m in a.history if m.role != "system"]
    assert roles == [("user", "What's the weather in Oslo?"), ("assistant", None),
                     ("tool", '{"celsius": 12}'), ("assistant", "It is 12 degrees in Oslo.")]
    assert next(m.tool_calls for m in a.history if m.role == "assistant") == [call]
    assert engine.seen[1][0][-1].role == "tool" and calls == []
