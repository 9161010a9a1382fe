"""Tool selection with the default model: does it pick the right tool with the right arguments?

The sets, reported separately (SETS below):
- FIXTURE, the development set: prompts and tool descriptions may be tuned on it.
- DEV2, a second development set. It used to be called held-out, but it was committed with the
  prompt rewrite and edited after its score was seen, so it is tainted and only a dev set now.
- DEV3 (tool_selection_holdout_v2.json): the held-out set of 2026-12-02. One prompt rule was
  shaped by what its first run showed, so it is a development set now too.
- DEV4 (tool_selection_holdout_v3.json): the held-out set of 2026-12-03, scored once through
  the API (75.5 % / 50.0 %). From 2026-12-05 it is tuned on, so it is a development set too;
  its sha256 stays pinned so that it is never edited.
- DEV5 (tool_selection_holdout_v4.json): the held-out set of the morning of 2026-12-05,
  written before any model output was seen with it and scored once through the API (81.1 % /
  83.3 %). From 2026-12-06 it is a development set; its sha256 stays pinned.
- DEV6 (tool_selection_holdout_v5.json): written blind (from the tools' names and argument
  schemas only) on 2026-12-05, committed alone (c8a058b). Its first and only held-out run,
  through the API, 2026-12-06 at 7e43f1e: 73.5 % right, 76.0 % no-tool. A development set since.
- DEV7 (tool_selection_holdout_v6.json): written blind the same way on 2026-12-06, committed
  alone (b7373ec). Its first and only held-out run, through the API, 2026-12-06 at 1ced99c:
  73.0 % right, 74.1 % no-tool. A development set since.
- DEV8 (tool_selection_holdout_v7.json): written blind the same way on 2026-12-06, committed
  alone (b4a91d6). Its first held-out run, through the API, 2026-12-06 at ebc507f: 83.1 %
  right, 96.4 % no-tool (its 22 home requests had been run before by mistake; the other 96:
  85.4 % / 96.4 %). A development set since.
- DEV9 (tool_selection_holdout_v8.json): written blind the same way on 2026-12-06 (a later
  session), committed alone (7d6b906) before the changes it measured. Its first and only
  held-out run, through the API, 2026-12-06 at c35b531: 86.7 % right, 90.3 % no-tool. A
  development set since.
- DEV10 (tool_selection_holdout_v9.json): written blind the same way on 2026-12-06 after v8's
  run, committed alone (6ee9fd4). Its first and only held-out run, through the API, 2026-12-06
  at d4936ce: 83.6 % right, 84.8 % no-tool. A development set since.
- HOLDOUT (v10), the headline: written blind the same way on 2026-12-06 (a later session),
  committed alone (27fdaf8) before any model output was seen with it, and frozen by sha256
  (below). Its one held-out run, through the API, 2026-12-06 at b29a2db: 90.1 % right, 94.6 %
  no-tool (without the shared requests below 89.0 % / 94.3 %). Never tune on it; never edit
  it — a change of tools gets a new set (v11).

Each is scored through the agent (its prompt, with `answer_directly`, and the intent router
as the assistant uses it when its sentence model is installed) and the fixture and
held-out set also through the OpenAI API of a live `oculi serve`, with the official client
and the tools' JSON schemas passed as an app's own tools. Run with -s to see per-tool figures;
they are also appended to `$OCULI_TOOL_EVAL_OUT` when set. No tool runs: only the first
turn's choice is judged, with the arguments as the tool would receive them.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from oculi.agent import Agent
from oculi.agent.router import load_router
from oculi.llm.engine import GenerationOptions
from oculi.tools.builtins.perception import Backends
from oculi.tools.evaluation import (
    EvalReport,
    args_match,
    contains_words,
    judge,
    run_selection_eval,
    run_selection_eval_api,
    value_matches,
    words,
)
from oculi.tools.runtime import ToolRuntime
from oculi.tools.settings import HomeAssistantSettings, ToolsSettings

HERE = Path(__file__).parent
FIXTURE = HERE / "tool_selection.json"
DEV2 = HERE / "tool_selection_dev2.json"
DEV3 = HERE / "tool_selection_holdout_v2.json"  # was held out; see the module docstring
DEV4 = HERE / "tool_selection_holdout_v3.json"  # was held out; see the module docstring
DEV4_SHA256 = "bf28e7fc6b579e5aae19c1220f83d6f8e14f6d5640f493acbb0c04b08de67c5c"
DEV5 = HERE / "tool_selection_holdout_v4.json"  # was held out; see the module docstring
DEV5_SHA256 = "9fbf1bb9ca9abef39dddfc9ac0023b7aeee087a81ebb3f8d0ef49582e6e9d14c"
DEV6 = HERE / "tool_selection_holdout_v5.json"  # was held out; see the module docstring
DEV6_SHA256 = "fd91afb0633153ffbf44e7be05d5e31c9d064d3cc6270da5cedb6543e840535c"
DEV7 = HERE / "tool_selection_holdout_v6.json"  # was held out; see the module docstring
DEV7_SHA256 = "bc0e9fda61804e11eca510388ebe2ce3e3e9c84458dadbea8199ca8f2d694932"
DEV8 = HERE / "tool_selection_holdout_v7.json"  # was held out; see the module docstring
DEV8_SHA256 = "155830f2db2921ee6fdd901b788bf229157686fb5a81b28692a7dc0768b79daf"
DEV9 = HERE / "tool_selection_holdout_v8.json"  # was held out; see the module docstring
DEV9_SHA256 = "6f9ecd20662ec60c5b8ec258f04c62e5f0c80d17a6e3d3dd145b050d773d839f"
DEV10 = HERE / "tool_selection_holdout_v9.json"  # was held out; see the module docstring
DEV10_SHA256 = "719eddfdd4f90b9a1a92f041a91af17092d878f6708acc67da51ff76a7ca6c94"
HOLDOUT = HERE / "tool_selection_holdout_v10.json"
HOLDOUT_SHA256 = "90a306caead9a938d633b8bb4850a9c8bc81f30c654fa45a9862dd97faed0282"
# Sentences a held-out set shares word for word with an older set (its writer saw none of
# them); a frozen set keeps them, and the note reports its score without them too.
# v10 shares fifteen short, common requests with the development sets (v9 shared four).
HOLDOUT_SHARED = {
    "activate scene.movie_night", "cancel the dentist reminder", "close cover.garage_door",
    "how do you say where is the train station in german", "is lock.front_door locked",
    "ninety second timer please", "roughly how many languages are spoken in india",
    "send vacuum.downstairs_robot back to its dock", "snap a photo of this", "take a picture",
    "tell me a joke about penguins", "turn off the kitchen lights", "what am i looking at",
    "what kind of bird is that on the fence", "what reminders do i have"}
# Every set by its test id (`-k holdout`); all but the last are development sets.
SETS = {"fixture": FIXTURE, "dev2": DEV2, "dev3": DEV3, "dev4": DEV4, "dev5": DEV5, "dev6": DEV6,
        "dev7": DEV7, "dev8": DEV8, "dev9": DEV9, "dev10": DEV10, "holdout": HOLDOUT}
DEVELOPMENT = [path for name, path in SETS.items() if name != "holdout"]
# Through the API (DEV2, the oldest, only through the agent).
API_SETS = {name: path for name, path in SETS.items() if name != "dev2"}
FIXTURE_CLOCK = datetime(2026, 11, 24, 14, 0)  # a Tuesday, as the fixture says
SYSTEM = "You are oculi, a private assistant running on the wearer's own smart glasses. Answer briefly and plainly."
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct"


def app_system(clock: datetime) -> str:
    """An app's system line: an app that offers reminders tells the model the local time (the
    API has no clock of its own). v4 (now DEV5) was scored once without it (2026-12-05)."""
    return f"{SYSTEM} The local time is {clock:%A, %d %B %Y, %H:%M}."


def load(path: Path) -> tuple[list[dict], datetime]:
    data = json.loads(path.read_text())
    clock = datetime.fromisoformat(data["clock"]) if "clock" in data else FIXTURE_CLOCK
    return data["cases"], clock


class _Unused:
    """Stands for the camera, memory, viewer and speaker backends: never called here."""

    def __getattr__(self, name):
        raise AssertionError("the selection eval never runs a tool")


def eval_runtime(tmp_path: Path, engine, clock: datetime = FIXTURE_CLOCK) -> ToolRuntime:
    settings = ToolsSettings(homeassistant=HomeAssistantSettings(url="http://127.0.0.1:9", token="unused"))
    fake = _Unused()
    return ToolRuntime(settings, data_dir=tmp_path, engine=lambda: engine, run_scheduler=False, connect=False,
                       clock=lambda: clock,
                       backends=Backends(camera=fake, memory=fake, viewer=fake, speaker=fake))


def test_fixture_covers_every_builtin_with_several_phrasings(tmp_path):
    cases = json.loads(FIXTURE.read_text())["cases"]
    assert len(cases) >= 60
    with eval_runtime(tmp_path, engine=lambda: None) as rt:
        names = set(rt.registry.names())
    counts: dict = {}
    for c in cases:
        for alt in c["expect"]:
            assert alt["tool"] is None or alt["tool"] in names, alt
        counts[c["expect"][0]["tool"]] = counts.get(c["expect"][0]["tool"], 0) + 1
    assert names <= set(counts), names - set(counts)
    assert all(n >= 2 for n in counts.values()), counts
    assert counts[None] >= 5


def test_holdout_is_frozen():
    """The held-out sets are the ones committed alone before their first score; never edited."""
    assert hashlib.sha256(HOLDOUT.read_bytes()).hexdigest() == HOLDOUT_SHA256, (
        "tool_selection_holdout_v10.json changed: a held-out set is never edited after its score "
        "was seen; write a new one (v11) instead")
    for dev, sha in ((DEV4, DEV4_SHA256), (DEV5, DEV5_SHA256), (DEV6, DEV6_SHA256), (DEV7, DEV7_SHA256),
                     (DEV8, DEV8_SHA256), (DEV9, DEV9_SHA256), (DEV10, DEV10_SHA256)):
        assert hashlib.sha256(dev.read_bytes()).hexdigest() == sha, (
            f"{dev.name} changed: it was held out once and is never edited")


def test_sets_are_separate_and_the_holdout_is_big_enough(tmp_path):
    says = {p: {c["say"].lower() for c in load(p)[0]} for p in SETS.values()}
    shared = set().union(*(says[p] for p in DEVELOPMENT)) & says[HOLDOUT]
    assert shared <= HOLDOUT_SHARED, shared - HOLDOUT_SHARED
    assert not says[FIXTURE] & says[DEV2] and not says[FIXTURE] & says[DEV3]
    held, _ = load(HOLDOUT)
    assert len(held) >= 40 and sum(c["expect"][0]["tool"] is None for c in held) >= 10
    with eval_runtime(tmp_path, engine=lambda: None) as rt:
        names = set(rt.registry.names())
    counts: dict = {}
    for c in held:
        for alt in c["expect"]:
            assert alt["tool"] is None or alt["tool"] in names, alt
        first = c["expect"][0]["tool"]
        family = "home" if first and first.startswith("home_") else first
        counts[family] = counts.get(family, 0) + 1
    assert {n for n in names if not n.startswith("home_")} <= set(counts), counts
    assert all(n >= 2 for n in counts.values()), counts


def test_matching_rules():
    assert value_matches({"contains": "Pasta"}, "the pasta") and not value_matches({"contains": "x"}, 3)
    assert value_matches({"any": ["18:00", "2026-11-24 18:00"]}, "18:00")
    assert value_matches(5, 5.0) and value_matches("German", "german ") and value_matches(21, "21")
    assert not value_matches(5, True) and not value_matches(5, "five-ish")
    # whole words, numbers as numbers: these must fail
    assert not value_matches({"contains": "41"}, "locker 141") and value_matches({"contains": "41"}, "locker 41")
    assert not value_matches({"contains": "20"}, "120 mg") and not value_matches({"contains": "egg"}, "eggplant")
    assert not value_matches({"contains": "all"}, "call mom")
    assert value_matches({"contains": "4719"}, "the code is four seven one nine")
    assert value_matches({"contains": "4719"}, "code 4-7-1-9") and not value_matches({"contains": "4719"}, "code 47 19")
    assert value_matches({"contains": "23"}, "seat 23B") and value_matches({"contains": "45"}, "forty five seconds")
    assert words("What's light.kitchen_lamp?") == ["whats", "light", "kitchen", "lamp"]
    assert words("Café 7B") == ["café", "7", "b"]
    assert contains_words("table for two", "a table for 2 please")
    # nested objects are matched key by key
    assert value_matches({"temperature": 21}, {"temperature": 21.0, "hvac_mode": "heat"})
    assert not value_matches({"temperature": 21}, {"temperature": 12}) and not value_matches({"t": 1}, "t")
    assert args_match({"hours": 0, "minutes": 5}, {"minutes": 5}, {"hours": 0, "minutes": 0})
    assert not args_match({"hours": 0, "minutes": 5}, {"hours": 5}, {"hours": 0, "minutes": 0})
    specs = {"t": {"function": {"parameters": {"properties": {}}}}}
    assert judge({"expect": [{"tool": None}]}, None, None, specs) == (True, True)
    assert judge({"expect": [{"tool": "t", "args": {}}]}, None, None, specs) == (False, False)


def _show(r) -> None:
    print(f"{'ok ' if r.right_args else 'MISS'} {r.seconds:5.1f}s {r.say!r} -> {r.got_tool} "
          f"{json.dumps(r.got_args)} {r.text[:50]!r}", flush=True)


def _record(name: str, report: EvalReport) -> None:
    print(report.render())
    out = os.environ.get("OCULI_TOOL_EVAL_OUT")
    if out:
        with open(out, "a") as f:
            f.write(f"== {name}\n{report.render()}\n")


# Floors guard against regressions; the targets (issue 15) are 0.90 right tool and arguments
# and 0.90 of no-tool requests answered without a tool, on the held-out set through the API.
FLOORS = {FIXTURE: (0.90, 0.90), DEV2: (0.80, 0.80), DEV3: (0.70, 0.60), DEV4: (0.70, 0.50),
          DEV5: (0.75, 0.75), DEV6: (0.70, 0.70), DEV7: (0.70, 0.70), DEV8: (0.80, 0.80),
          DEV9: (0.80, 0.80), DEV10: (0.80, 0.80), HOLDOUT: (0.90, 0.90)}


@pytest.mark.slow
@pytest.mark.default_model
@pytest.mark.eval
@pytest.mark.timeout(14400)  # ~60 model turns a set: minutes on a quiet 2-core machine, hours when shared
@pytest.mark.parametrize("fixture", list(SETS.values()), ids=list(SETS))
def test_tool_selection_accuracy(default_engine, tmp_path, fixture):
    cases, clock = load(fixture)
    with eval_runtime(tmp_path, default_engine, clock) as rt:
        agent = Agent(default_engine, rt.registry, system=SYSTEM, clock=lambda: clock,
                      options=GenerationOptions(max_tokens=32, temperature=0.0, seed=0))
        report = run_selection_eval(agent, cases, progress=_show, router=load_router())
    _record(f"agent {fixture.name}", report)
    accuracy, no_tool = FLOORS[fixture]
    assert report.accuracy >= accuracy and report.no_tool_rate >= no_tool, report.render()


@pytest.fixture(scope="module")
def default_server():
    from oculi.server.live import LiveServer
    from tests.conftest import _installed_or_skip

    _installed_or_skip(DEFAULT_MODEL)
    with LiveServer("--model", DEFAULT_MODEL, "--slots", "1", "--no-embeddings", "--no-audio", "--no-image-text",
                    "--no-realtime", startup_timeout=600) as server:
        yield server


@pytest.mark.slow
@pytest.mark.default_model
@pytest.mark.eval
@pytest.mark.timeout(14400)
@pytest.mark.parametrize("fixture", list(API_SETS.values()), ids=list(API_SETS))
def test_tool_selection_through_the_api(default_server, tmp_path, fixture):
    """An app's request: its own system line (with the local time), oculi's tool schemas as its
    tools, "auto"."""
    from openai import OpenAI

    client = OpenAI(base_url=default_server.base_url + "/v1", api_key="unused", max_retries=0, timeout=3600)
    cases, clock = load(fixture)
    with eval_runtime(tmp_path, engine=lambda: None, clock=clock) as rt:
        report = run_selection_eval_api(client, DEFAULT_MODEL, rt.registry, cases, system=app_system(clock),
                                        progress=_show)
    _record(f"api {fixture.name}", report)
    accuracy, no_tool = FLOORS[fixture]
    assert report.accuracy >= accuracy and report.no_tool_rate >= no_tool, report.render()
