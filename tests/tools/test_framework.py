"""The tool framework: schemas from typed functions, validation, and failures as results."""

from __future__ import annotations

import json
import threading
import time
from enum import Enum
from typing import Annotated

import pytest
from pydantic import Field

from oculi.tools.base import Tool, function_tool
from oculi.tools.errors import ToolDefinitionError
from oculi.tools.registry import ToolRegistry


class Unit(str, Enum):
    celsius = "celsius"
    fahrenheit = "fahrenheit"


def set_thermostat(
    temperature: float,
    unit: Unit = Unit.celsius,
    room: Annotated[str | None, Field(description="room name")] = None,
) -> dict:
    """Set the thermostat to a temperature.

    Longer explanation that the model does not need.

    Args:
        temperature: the target temperature
        unit: the temperature unit
    """
    return {"temperature": temperature, "unit": unit.value, "room": room}


def test_schema_from_typed_function():
    t = function_tool(set_thermostat)
    assert t.name == "set_thermostat"
    assert t.description == "Set the thermostat to a temperature."
    p = t.parameters
    assert p["required"] == ["temperature"]
    assert p["properties"]["temperature"] == {"type": "number", "description": "the target temperature"}
    assert p["properties"]["unit"]["description"] == "the temperature unit"
    assert p["properties"]["room"] == {"type": "string", "description": "room name"}
    assert "title" not in json.dumps(p)
    assert p["additionalProperties"] is False


def test_schema_compiles_to_a_grammar():
    from oculi.llm.tools import calls_grammar

    assert "root ::=" in calls_grammar([function_tool(set_thermostat).spec()])


def test_call_validates_and_coerces():
    reg = ToolRegistry()
    reg.register(function_tool(set_thermostat))
    r = reg.call("set_thermostat", '{"temperature": 21, "unit": "fahrenheit"}')
    assert r.ok and r.value == {"temperature": 21.0, "unit": "fahrenheit", "room": None}
    assert json.loads(r.content)["unit"] == "fahrenheit"


@pytest.mark.parametrize(
    "args, needle",
    [
        ('{"temperature": "warm"}', "temperature"),
        ('{"unit": "celsius"}', "temperature"),
        ('{"temperature": 20, "colour": "red"}', "colour"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_bad_arguments_are_a_message(args, needle):
    reg = ToolRegistry()
    reg.register(function_tool(set_thermostat))
    r = reg.call("set_thermostat", args)
    assert not r.ok and r.error_code == "invalid_tool_arguments"
    body = json.loads(r.content)
    assert needle in body["message"] and "temperature" in body["hint"]


def test_unknown_tool_lists_the_known_ones():
    reg = ToolRegistry()
    reg.register(function_tool(set_thermostat))
    r = reg.call("launch_rocket", "{}")
    assert r.error_code == "unknown_tool" and "set_thermostat" in r.content


def test_exception_in_tool_becomes_a_result():
    def explode(x: int) -> int:
        """Divide by zero."""
        return x // 0

    reg = ToolRegistry()
    reg.register(function_tool(explode))
    r = reg.call("explode", {"x": 1})
    assert not r.ok and r.error_code == "tool_failed" and "ZeroDivisionError" in r.content


def test_huge_result_is_truncated_with_a_note():
    def dump() -> str:
        """A lot of text."""
        return "x" * 100_000

    reg = ToolRegistry(max_result_chars=500)
    reg.register(function_tool(dump))
    r = reg.call("dump", {})
    assert r.ok and r.truncated
    assert r.content.startswith("x" * 500)
    assert "truncated" in r.content and "100000" in r.content
    assert len(r.content) < 700


def test_timeout_becomes_a_result_and_the_registry_keeps_working():
    release = threading.Event()

    def hang() -> str:
        """Never returns on its own."""
        release.wait(10)
        return "late"

    def quick() -> str:
        """Returns at once."""
        return "fine"

    reg = ToolRegistry()
    reg.register(function_tool(hang, timeout=0.3))
    reg.register(function_tool(quick))
    t0 = time.monotonic()
    r = reg.call("hang", {})
    assert r.error_code == "tool_timeout" and "0.3" in r.content
    assert time.monotonic() - t0 < 5
    assert reg.call("quick", {}).content == "fine"
    release.set()
    reg.close()


def test_confirmation_is_asked_and_respected():
    sent: list[str] = []

    def send_message(to: str, text: str) -> str:
        """Send a message."""
        sent.append(f"{to}:{text}")
        return "sent"

    reg = ToolRegistry()
    reg.register(function_tool(send_message, confirm=True, data=["external"]))
    asked = []
    r = reg.call("send_message", {"to": "ana", "text": "hi"}, confirm=lambda req: asked.append(req) or False)
    assert r.error_code == "tool_declined" and sent == []
    assert asked[0].tool == "send_message" and asked[0].arguments == {"to": "ana", "text": "hi"}
    assert asked[0].data == frozenset({"external"})
    assert reg.call("send_message", {"to": "ana", "text": "hi"}).error_code == "tool_declined"
    assert reg.call("send_message", {"to": "ana", "text": "hi"}, confirm=lambda req: True).ok
    assert sent == ["ana:hi"]


def test_confirmation_can_depend_on_arguments():
    def door(action: str) -> str:
        """Lock or unlock."""
        return action

    reg = ToolRegistry()
    reg.register(function_tool(door, confirm=lambda a: a["action"] == "unlock"))
    assert reg.call("door", {"action": "lock"}).ok
    assert reg.call("door", {"action": "unlock"}).error_code == "tool_declined"


def test_schema_tool_validates_with_json_schema():
    t = Tool(
        name="echo",
        description="echo",
        parameters={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        handler=lambda a: a["n"] * 2,
    )
    reg = ToolRegistry()
    reg.register(t)
    assert reg.call("echo", {"n": 4}).content == "8"
    assert reg.call("echo", {"n": "four"}).error_code == "invalid_tool_arguments"


def test_definition_errors_are_found_at_registration():
    def untyped(x):
        """No hints."""

    with pytest.raises(ToolDefinitionError):
        function_tool(untyped)
    with pytest.raises(ToolDefinitionError):
        Tool("bad name!", "", {"type": "object"}, lambda a: None)
    reg = ToolRegistry()
    reg.register(function_tool(set_thermostat))
    with pytest.raises(ToolDefinitionError):
        reg.register(function_tool(set_thermostat))
