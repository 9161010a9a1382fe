"""`oculi tools list` and `oculi tools call`, through typer's test runner."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from oculi.cli import tools as tools_cli
from oculi.errors import OculiError
from oculi.tools.settings import HomeAssistantSettings, ToolsSettings

from .ha_standin import TOKEN, StandInHomeAssistant

runner = CliRunner()


def _app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(tools_cli.app, name="tools")
    return root


def test_list_json_shows_builtins_with_their_data(oculi_home):
    result = runner.invoke(_app(), ["tools", "list", "--json"])
    assert result.exit_code == 0, result.output
    tools = {t["name"]: t for t in json.loads(result.stdout)}
    assert {"set_timer", "set_reminder", "take_note", "translate", "device_status"} <= set(tools)
    assert tools["set_timer"]["data"] == ["reminders"] and tools["set_timer"]["confirm"] == "no"
    assert tools["set_timer"]["parameters"]["properties"]["minutes"]["type"] == "integer"


def test_list_table(oculi_home):
    result = runner.invoke(_app(), ["tools", "list"])
    assert result.exit_code == 0 and "set_reminder" in result.stdout


def test_call_persists_and_list_reads_back(oculi_home):
    r = runner.invoke(_app(), ["tools", "call", "take_note", "--args", '{"text": "locker 41"}'])
    assert r.exit_code == 0, r.output
    r = runner.invoke(_app(), ["tools", "call", "find_notes", "--args", '{"query": "locker"}'])
    assert json.loads(r.stdout)["notes"][0]["text"] == "locker 41"
    r = runner.invoke(_app(), ["tools", "call", "set_timer", "--args", '{"minutes": 5, "label": "tea"}'])
    assert json.loads(r.stdout)["timer_set"]["in"] == "5 min"


@pytest.mark.parametrize(
    "argv, code",
    [
        (["tools", "call", "fly_to_moon"], "unknown_tool"),
        (["tools", "call", "set_timer", "--args", '{"minutes": "five"}'], "invalid_tool_arguments"),
        (["tools", "call", "set_timer", "--args", "{oops"], "invalid_tool_arguments"),
    ],
)
def test_call_errors_are_oculi_errors(oculi_home, argv, code):
    r = runner.invoke(_app(), argv)
    assert isinstance(r.exception, OculiError) and r.exception.code == code
    assert r.exception.hint


def test_call_asks_before_a_lock(oculi_home, monkeypatch):
    server = StandInHomeAssistant()
    url = server.start()
    try:
        settings = ToolsSettings(homeassistant=HomeAssistantSettings(url=url, token=TOKEN))
        monkeypatch.setattr(tools_cli, "tools_settings", lambda s: settings)
        args = ["tools", "call", "home_call_service", "--args",
                '{"domain": "lock", "service": "unlock", "entity_id": "lock.front_door"}']
        r = runner.invoke(_app(), args, input="n\n")
        assert "Allow home_call_service" in r.output
        assert isinstance(r.exception, OculiError) and r.exception.code == "tool_declined"
        assert server.states["lock.front_door"]["state"] == "locked"
        r = runner.invoke(_app(), [*args, "--yes"])
        assert r.exit_code == 0 and server.states["lock.front_door"]["state"] == "unlocked"
    finally:
        server.stop()
