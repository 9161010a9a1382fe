"""The intent router with the real sentence model (MiniLM), and how the assistant uses it.

The requests here are written for these tests; none is a router example or an evaluation
request (the no-leak test checks the examples against tests/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oculi.agent.router import (
    ROUTED_TOOLS,
    IntentRouter,
    asks_the_device,
    general_question,
    tool_text,
)
from oculi.assistant import Assistant, CurrentView
from oculi.llm.messages import ToolCall
from tests.agent.test_loop import ScriptedEngine
from tests.assistant.test_session import timer_registry
from tests.conftest import _installed_or_skip


@pytest.fixture(scope="module")
def router() -> IntentRouter:
    from oculi.memory.embeddings import MiniLMEmbedder

    return IntentRouter(MiniLMEmbedder(_installed_or_skip("minilm-l6-v2")).embed)


@pytest.mark.parametrize("question", [
    "Which is the longest river in Europe?", "How many centimetres are in a metre?",
    "Hello there!", "What makes popcorn pop?"])
def test_a_question_that_needs_no_tool_is_answered_in_words(router: IntentRouter, question: str) -> None:
    route = router.route(question, camera=False)
    assert route.kind == "chat" and route.words_only, route


@pytest.mark.parametrize("request_", [
    "Set a countdown of eight minutes", "Remind me to feed the fish at seven",
    "Write down that the fence needs paint", "What's left on my battery?",
    "Switch off the bathroom fan", "Where did I put my umbrella yesterday?"])
def test_a_request_to_act_or_look_something_up_is_left_to_the_model(router: IntentRouter, request_: str) -> None:
    route = router.route(request_, camera=True)
    assert not route.words_only, route


def test_a_question_about_the_view_is_words_only_with_a_camera(router: IntentRouter) -> None:
    question = "What is written on this sign?"
    assert router.route(question, camera=True).words_only  # the camera note answers it
    assert not router.route(question, camera=False).words_only  # the look tools say "no camera"


def test_naming_a_device_action_or_the_wearers_own_things_is_never_words_only() -> None:
    # embeddings weigh "the fence needs paint" over "write down": the words decide
    assert asks_the_device("Write down that the fence needs paint")
    assert asks_the_device("what's light.porch doing") and asks_the_device("How do I say cheers in Dutch?")
    assert asks_the_device("Where's my scarf?")
    assert not asks_the_device("Explain photosynthesis in one sentence")  # not "photo"
    assert not asks_the_device("Why do onions make people cry?")


def test_the_router_covers_only_the_tools_it_has_examples_of(router: IntentRouter) -> None:
    assert router.covers(["set_timer", "recall", "answer_directly"])
    assert not router.covers(["set_timer", "search_the_web"])  # a plugin's or MCP server's tool



def test_every_built_in_tool_is_one_the_router_knows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_no_eval_leak import tool_specs

    names = {spec["function"]["name"] for spec in tool_specs(tmp_path)}
    assert names <= ROUTED_TOOLS, names - ROUTED_TOOLS


def test_the_assistant_answers_a_routed_question_in_words_and_stands_aside_otherwise(
        router: IntentRouter) -> None:
    calls: list = []
    engine = ScriptedEngine(["Eight.", [ToolCall("set_timer", "{\"minutes\": 3}", "c1")], "Timer on.",
                             "Two more.", "It is hot.", "x"])
    a = Assistant(engine, timer_registry(calls), view=CurrentView())
    a.router = router
    a.ask("How many sides does an octagon have?")
    assert engine.choices == ["none"]  # words only: the same prompt, no call possible
    a.ask("Start a three minute countdown")
    assert engine.choices[1] == "auto" and calls == [3]
    a.ask("Thanks, and how many sides has a hexagon?")  # a follow-up to a tool turn: the model decides
    assert engine.choices[3] == "auto"
    a.ask("Why is the sun hot?")
    assert engine.choices[4] == "none"
    # an app's own tools (OpenAI Realtime session.tools): the router cannot know them
    a.agent.client_tools = {"lookup": {"type": "function", "function": {"name": "lookup"}}}
    a.ask("What is the boiling point of milk?")
    assert engine.choices[5] == "auto"


def test_without_a_router_the_model_decides() -> None:
    engine = ScriptedEngine(["Seven."])
    Assistant(engine, timer_registry([])).ask("How many days has a week?")
    assert engine.choices == ["auto"]


def test_a_general_question_is_told_from_one_about_the_wearer_the_listener_or_the_view() -> None:
    for question in ("uh why do kettles get limescale", "what does the word quixotic mean",
                     "do you think tea is healthier than coffee", "can you explain how a rainbow forms",
                     "which planet has the most moons"):
        assert general_question(question), question
    for request_ in ("why is my phone so slow", "what does this label say", "how much charge have you got",
                     "is the garden light on still", "which plugs are connected", "what's the time now",
                     "set an alarm for seven", "where did we leave the van", "what lamps are there"):
        assert not general_question(request_), request_


def test_a_general_question_is_words_only_with_the_routers_own_tools_not_an_apps(router: IntentRouter) -> None:
    question = "Why do car batteries die faster in winter?"
    assert router.route(question, camera=True).words_only
    own = [{"type": "function", "function": {"name": "device_status", "description": "Battery, storage."}}]
    assert router.route_for_tools(question, own).words_only
    app = [{"type": "function", "function": {"name": "car_health", "description": "Car battery diagnostics."}}]
    assert not router.route_for_tools(question, app).words_only


APP_TOOLS_DEV = Path(__file__).resolve().parents[1] / "server" / "app_tools_dev.json"


def test_with_an_apps_own_tools_no_request_that_needs_one_is_answered_in_words(router: IntentRouter) -> None:
    """The API's use (route_for_tools), on made-up app tool lists, a development set: a
    calculator's sums, a web search's news, a weather tool's forecast stay with the model;
    most small talk and knowledge questions close to no tool are answered in words."""
    data = json.loads(APP_TOOLS_DEV.read_text())
    worded, plain = [], []
    for case in data["cases"]:
        tools = data["apps"][case["app"]]
        route = router.route_for_tools(case["say"], tools)
        if case["tool"] is not None:
            assert not route.words_only, (case, route)
        else:
            plain.append(case["say"])
            if route.words_only:
                worded.append(case["say"])
    assert len(worded) >= 0.75 * len(plain), set(plain) - set(worded)


def test_a_tool_close_to_the_request_keeps_it_for_the_model(router: IntentRouter) -> None:
    maths = [{"type": "function", "function": {
        "name": "calculate", "description": "Do arithmetic: add, subtract, multiply and divide. Exact."}}]
    question = "What is 3,417 divided by 17?"
    assert router.route(question, camera=False).words_only  # without the app's tool: words
    assert not router.route_for_tools(question, maths).words_only
    assert router.route_for_tools("Hello there!", maths).words_only
    assert tool_text(maths[0]) == "calculate: Do arithmetic: add, subtract, multiply and divide"


def test_a_question_about_how_the_world_works_is_general_even_with_a_device_word() -> None:
    assert general_question("who built the first photo booth")
    assert general_question("how do parking sensors on cars work")
    assert not general_question("how do i set a timer for the rice")  # first person
    assert not general_question("how much battery is left")  # asks the device

