"""`oculi tools list` and `oculi tools call`, through typer's test runner."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from oculi.cli import tools as tools_cli
from oculi.errors import OculiError
from oculi.paths import Paths
from oculi.tools.settings import HomeAssistantSettings, ToolsSettings

from .ha_standin import TOKEN, StandInHomeAssistant

REAL_MODELS = Paths.from_env().models  # read at import, before a test moves OCULI_HOME
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


def test_camera_tools_offered_only_with_a_camera(oculi_home, monkeypatch, tmp_path):
    from PIL import Image

    tools = {t["name"] for t in json.loads(runner.invoke(_app(), ["tools", "list", "--json"]).stdout)}
    assert {"remember", "recall"} <= tools  # the memory store is local: on by default
    assert not {"take_photo", "record_video", "describe_view", "read_text_aloud"} & tools
    photo = tmp_path / "view.jpg"
    Image.new("RGB", (64, 48), (90, 120, 90)).save(photo)
    monkeypatch.setattr(tools_cli, "tools_settings", lambda s: ToolsSettings(camera=str(photo), memory=False))
    listed = runner.invoke(_app(), ["tools", "list", "--json"])
    tools = {t["name"]: t for t in json.loads(listed.stdout)}
    assert {"take_photo", "record_video", "describe_view", "read_text_aloud"} <= set(tools)
    assert "remember" not in tools and tools["take_photo"]["data"] == ["camera"]


def test_call_reads_the_text_of_a_given_photo(oculi_home, shared):
    label = shared / "data" / "vizwiz_captions" / "images" / "VizWiz_val_00000019.jpg"
    if not label.is_file():
        pytest.skip("the VizWiz label photo is missing from ../shared")
    r = runner.invoke(_app(), ["tools", "call", "read_text_aloud", "--image", str(label)])
    assert r.exit_code == 0, r.output
    assert "DELL" in json.loads(r.stdout)["text_read"].upper()


def test_call_takes_a_photo_into_the_media_folder(oculi_home, tmp_path):
    from PIL import Image

    from oculi.models.store import ModelStore

    # the face blur (BlazeFace) comes from the user's model cache; nothing else of theirs is used
    real = ModelStore(REAL_MODELS)
    if not real.status(real.get("blazeface")).installed:
        pytest.skip("blazeface is not installed: run `oculi models pull blazeface` (make test does)")
    (oculi_home / "models").parent.mkdir(parents=True, exist_ok=True)
    (oculi_home / "models").symlink_to(REAL_MODELS, target_is_directory=True)

    photo = tmp_path / "view.jpg"
    Image.new("RGB", (64, 48), (90, 120, 90)).save(photo)
    r = runner.invoke(_app(), ["tools", "call", "take_photo", "--image", str(photo)])
    assert r.exit_code == 0, r.output
    saved = json.loads(r.stdout)["photo_saved"]
    assert saved.startswith(str(oculi_home.resolve())) and saved.endswith(".jpg")
    r = runner.invoke(_app(), ["tools", "call", "take_photo", "--image", str(tmp_path / "nope.jpg")])
    assert isinstance(r.exception, OculiError) and r.exception.code == "file_not_found"
