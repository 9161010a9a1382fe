"""Nothing the model reads may repeat an evaluation set's words.

A prompt or tool description that quotes an evaluation request ("the wifi password is ...")
teaches the model that very request, and the score then measures recall of the prompt, not
understanding. This test gathers what the model reads — every registered tool's JSON schema
(names, descriptions, parameter descriptions), the string constants of the prompt modules
and the default system prompts — and fails when any of it shares a run of N consecutive
words with any string in a JSON/JSONL file under tests/.

Collected generically, so a new tool, a new prompt constant, a new `oculi/assistant/*prompt*`
module or a new evaluation file is covered without editing this test.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

N = 5
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
# oculi.agent.routes: the intent router's examples are not read by the model, but they decide
# when it may use a tool, so they must not quote an evaluation set either.
PROMPT_MODULES = ["oculi.agent.prompt", "oculi.look.prompt", "oculi.memory.recall", "oculi.voice.agent",
                  "oculi.tools.builtins.translate", "oculi.agent.routes"]


def words(text: str) -> list[str]:
    """Lowercase words without punctuation ("What's" → "whats", "light.kitchen" → "light kitchen")."""
    return re.sub(r"[^\w]+", " ", re.sub(r"['’]", "", text.lower())).split()


def ngrams(text: str, n: int = N) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (dict keys excluded: they are field names)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from strings(v)


def evaluation_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())


def evaluation_strings(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [s for line in text.splitlines() if line.strip() for s in strings(json.loads(line))]
    return list(strings(json.loads(text)))


def prompt_modules() -> list[str]:
    """The listed prompt modules, plus any module of this repo's oculi/assistant/ named *prompt*.

    Found by file, not by importing the package: an editable install elsewhere on the
    machine must not stand in for this checkout's modules.
    """
    names = list(PROMPT_MODULES)
    for path in sorted((REPO / "oculi" / "assistant").rglob("*prompt*.py")):
        names.append(".".join(path.relative_to(REPO).with_suffix("").parts))
    names.append("oculi.assistant.view")  # the camera note's fixed lines
    return names


def module_constants(name: str) -> Iterator[tuple[str, str]]:
    """(where, text) for each module-level string (also inside dicts, lists and tuples)."""
    module = importlib.import_module(name)
    for attr, value in vars(module).items():
        if attr.startswith("__") or not isinstance(value, (str, dict, list, tuple)):
            continue
        for s in strings(value):
            yield f"{name}.{attr}", s


def tool_specs(tmp_path: Path) -> list[dict[str, Any]]:
    """Every built-in tool as the model is offered it, camera/memory/view/home included."""
    from oculi.tools.builtins.perception import Backends
    from oculi.tools.runtime import ToolRuntime
    from oculi.tools.settings import HomeAssistantSettings, ToolsSettings

    class Unused:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError("no tool runs here")

    fake = Unused()
    settings = ToolsSettings(homeassistant=HomeAssistantSettings(url="http://127.0.0.1:9", token="unused"))
    with ToolRuntime(settings, data_dir=tmp_path, engine=lambda: None, run_scheduler=False, connect=False,
                     backends=Backends(camera=fake, memory=fake, viewer=fake, speaker=fake)) as rt:
        assert not rt.problems, rt.problems
        specs = rt.registry.specs()
    from oculi.assistant.live_memory import LiveMemory
    from oculi.memory.service import MemoryService

    live = LiveMemory(MemoryService())  # only its tool schemas are read; nothing is opened
    try:
        return specs + [t.spec() for t in live.tools()]
    finally:
        live.close()


def model_reads(tmp_path: Path) -> list[tuple[str, str]]:
    from oculi.config import LLMSettings
    from oculi.voice.settings import VoiceSettings

    texts = [(f"tool {spec['function']['name']}", s) for spec in tool_specs(tmp_path) for s in strings(spec)]
    for name in prompt_modules():
        texts += list(module_constants(name))
    texts.append(("LLMSettings.system_prompt", LLMSettings().system_prompt))
    texts.append(("VoiceSettings.system_prompt", VoiceSettings().system_prompt))
    return texts


def test_the_collection_sees_tools_prompts_and_evaluation_sets(tmp_path):
    reads = model_reads(tmp_path)
    where = {w.split(".")[0] if not w.startswith("tool ") else w for w, _ in reads}
    for tool in ("tool set_reminder", "tool translate", "tool describe_view", "tool remember",
                 "tool home_call_service"):
        assert tool in where, tool
    assert any(w.startswith("oculi.agent.prompt.") for w, _ in reads)
    files = {p.name for p in evaluation_files()}
    assert "tool_selection.json" in files


def test_overlap_finder_can_fail():
    assert ngrams("Note that: the Wi-Fi password is tulip42!") & ngrams("the wi fi password is tulip42")
    assert not ngrams("set a timer for ten minutes") & ngrams("set a timer for the eggs")


@pytest.mark.parametrize("path", evaluation_files(), ids=lambda p: str(p.relative_to(TESTS)))
def test_nothing_the_model_reads_repeats_an_evaluation_set(tmp_path, path):
    grams: dict[tuple[str, ...], str] = {}
    for s in evaluation_strings(path):
        for g in ngrams(s):
            grams.setdefault(g, s)
    leaks = []
    for where, text in model_reads(tmp_path):
        for g in sorted(ngrams(text) & grams.keys()):
            leaks.append(f"{where}: {' '.join(g)!r} (from {grams[g]!r})")
    assert not leaks, f"{len(leaks)} runs of {N} words shared with {path.name}:\n" + "\n".join(leaks)
