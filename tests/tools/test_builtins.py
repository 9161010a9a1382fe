"""Notes, device status, translate, and the perception tools wired to test backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oculi.tools.builtins.device import DeviceStatusTool
from oculi.tools.builtins.notes import NotesStore, NoteTools
from oculi.tools.builtins.perception import Backends, perception_tools
from oculi.tools.builtins.translate import TranslateTool
from oculi.tools.registry import ToolRegistry
from oculi.tools.runtime import ToolRuntime
from oculi.tools.settings import ToolsSettings


def test_notes_saved_and_found_across_instances(tmp_path):
    reg = ToolRegistry()
    reg.register_all(NoteTools(NotesStore(tmp_path / "n.sqlite3")).tools())
    assert reg.call("take_note", {"text": "the wifi password is tulip42"}).ok
    assert reg.call("take_note", {"text": "buy oat milk"}).ok
    reg2 = ToolRegistry()
    reg2.register_all(NoteTools(NotesStore(tmp_path / "n.sqlite3")).tools())
    found = reg2.call("find_notes", {"query": "wifi password"}).value["notes"]
    assert [n["text"] for n in found] == ["the wifi password is tulip42"]
    assert [n["text"] for n in reg2.call("find_notes", {}).value["notes"]] == [
        "buy oat milk", "the wifi password is tulip42"]
    assert reg2.call("find_notes", {"query": "passport"}).value["notes"] == []


def test_device_status_reports_real_figures(tmp_path):
    from oculi.models.store import default_store

    reg = ToolRegistry()
    reg.register_all(DeviceStatusTool(tmp_path, default_store()).tools())
    r = reg.call("device_status", {})
    assert r.ok, r.content
    s = json.loads(r.content)
    assert 0 <= s["cpu"]["percent"] <= 100 and s["cpu"]["cores"] >= 1
    assert s["memory"]["available_gb"] > 0 and s["storage"]["free_gb"] > 0
    assert "battery" in s and isinstance(s["models_installed"], list)


class _Camera:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.calls: list[tuple] = []

    def take_photo(self, blur_faces: bool = True) -> Path:
        self.calls.append(("photo", blur_faces))
        return self.folder / "photo.jpg"

    def record_clip(self, seconds: float, blur_faces: bool = True) -> Path:
        self.calls.append(("clip", seconds, blur_faces))
        return self.folder / "clip.mp4"


class _Viewer:
    def describe(self, question: str) -> str:
        return f"a desk ({question})"

    def read_text(self) -> str:
        return "EXIT"


class _Speaker:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


def test_perception_tools_only_with_backends(tmp_path):
    assert perception_tools(Backends()) == []
    cam, spk = _Camera(tmp_path), _Speaker()
    names = [t.name for t in perception_tools(Backends(camera=cam, viewer=_Viewer()))]
    # without a speaker of its own, read_text_aloud hands the text to the answer (spoken by voice)
    assert names == ["take_photo", "record_video", "describe_view", "read_text_aloud"]
    reg = ToolRegistry()
    reg.register_all(perception_tools(Backends(camera=cam, viewer=_Viewer(), speaker=spk)))
    assert reg.call("take_photo", {}).value["faces_blurred"] is True
    assert reg.call("record_video", {"duration": "5 seconds"}).ok
    assert reg.call("record_video", {"duration": "one minute"}).value["seconds"] == 60
    assert cam.calls == [("photo", True), ("clip", 5.0, True), ("clip", 60.0, True)]
    assert reg.call("record_video", {"duration": "9999 seconds"}).error_code == "invalid_tool_arguments"
    assert reg.call("record_video", {"duration": "a while"}).error_code == "invalid_tool_arguments"
    assert reg.call("read_text_aloud", {}).value == {"text_read": "EXIT"} and spk.said == ["EXIT"]
    assert reg.get("take_photo").data == frozenset({"camera"})


def test_runtime_registers_builtins_and_honours_disabled(tmp_path):
    settings = ToolsSettings(disabled=["device_status"])
    with ToolRuntime(settings, data_dir=tmp_path, run_scheduler=False) as rt:
        names = rt.registry.names()
        assert {"set_timer", "set_reminder", "list_reminders", "cancel_reminder",
                "take_note", "find_notes"} <= set(names)
        assert "device_status" not in names and "translate" not in names  # no engine given
        assert rt.problems == []
        from oculi.llm.tools import calls_grammar

        calls_grammar(rt.registry.specs())  # every built-in schema compiles to a grammar
    with ToolRuntime(ToolsSettings(disabled=["*_note*", "set_timer"]), data_dir=tmp_path,
                     run_scheduler=False) as rt:
        names = set(rt.registry.names())
        assert not names & {"take_note", "find_notes", "set_timer"} and "set_reminder" in names
    with ToolRuntime(ToolsSettings(disabled=["*"]), data_dir=tmp_path, run_scheduler=False) as rt:
        assert rt.registry.names() == []


@pytest.mark.slow
def test_translate_through_the_llm(tiny_engine):
    reg = ToolRegistry()
    reg.register_all(TranslateTool(lambda: tiny_engine, max_tokens=40).tools())
    r = reg.call("translate", {"text": "thank you", "target_language": "French"})
    assert r.ok and r.value["language"] == "French" and r.value["translation"]
