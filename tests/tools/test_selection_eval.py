"""Tool selection with the default model over the spoken-request fixture (target >= 90%).

Prints the per-tool figures (run with -s to see them) and writes them to
`$OCULI_TOOL_EVAL_OUT` when set. The perception backends are test fakes: only the choice
of tool and arguments is judged here, no tool runs.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from oculi.agent import Agent
from oculi.llm.engine import GenerationOptions
from oculi.tools.builtins.perception import Backends
from oculi.tools.evaluation import args_match, judge, run_selection_eval, value_matches
from oculi.tools.runtime import ToolRuntime
from oculi.tools.settings import HomeAssistantSettings, ToolsSettings

FIXTURE = Path(__file__).with_name("tool_selection.json")
# Written before the prompt and tool descriptions were tuned and never used to tune them:
# the figure on these says whether a change generalises or only fits FIXTURE's sentences.
HOLDOUT = Path(__file__).with_name("tool_selection_holdout.json")
CLOCK = datetime(2026, 11, 24, 14, 0)  # a Tuesday, as the fixture says
SYSTEM = "You are oculi, a private assistant running on the wearer's own smart glasses. Answer briefly and plainly."


class _Unused:
    """Stands for the camera, memory, viewer and speaker backends: never called here."""

    def __getattr__(self, name):
        raise AssertionError("the selection eval never runs a tool")


def eval_runtime(tmp_path: Path, engine) -> ToolRuntime:
    settings = ToolsSettings(homeassistant=HomeAssistantSettings(url="http://127.0.0.1:9", token="unused"))
    fake = _Unused()
    return ToolRuntime(settings, data_dir=tmp_path, engine=lambda: engine, run_scheduler=False, connect=False,
                       clock=lambda: CLOCK,
                       backends=Backends(camera=fake, memory=fake, viewer=fake, speaker=fake))


def test_fixture_covers_every_builtin_with_several_phrasings(tmp_path):
    cases = json.loads(FIXTURE.read_text())["cases"]
    assert len(cases) >= 60
    with eval_runtime(tmp_path, engine=None) as rt:
        names = set(rt.registry.names())
    counts: dict = {}
    for c in cases:
        for alt in c["expect"]:
            assert alt["tool"] is None or alt["tool"] in names, alt
        counts[c["expect"][0]["tool"]] = counts.get(c["expect"][0]["tool"], 0) + 1
    assert names <= set(counts), names - set(counts)
    assert all(n >= 2 for n in counts.values()), counts
    assert counts[None] >= 5


def test_holdout_is_separate_and_covers_no_tool_requests():
    main = {c["say"].lower() for c in json.loads(FIXTURE.read_text())["cases"]}
    held = json.loads(HOLDOUT.read_text())["cases"]
    assert len(held) >= 20 and not main & {c["say"].lower() for c in held}
    assert sum(c["expect"][0]["tool"] is None for c in held) >= 5


def test_matching_rules():
    assert value_matches({"contains": "Pasta"}, "the pasta") and not value_matches({"contains": "x"}, 3)
    assert value_matches({"any": ["18:00", "2026-11-24 18:00"]}, "18:00")
    assert value_matches(5, 5.0) and value_matches("German", "german ")
    assert args_match({"hours": 0, "minutes": 5}, {"minutes": 5}, {"hours": 0, "minutes": 0})
    assert not args_match({"hours": 0, "minutes": 5}, {"hours": 5}, {"hours": 0, "minutes": 0})
    specs = {"t": {"function": {"parameters": {"properties": {}}}}}
    assert judge({"expect": [{"tool": None}]}, None, None, specs) == (True, True)
    assert judge({"expect": [{"tool": "t", "args": {}}]}, None, None, specs) == (False, False)


@pytest.mark.slow
@pytest.mark.default_model
@pytest.mark.eval
@pytest.mark.timeout(3600)  # ~65 model turns: minutes on a quiet 2-core machine, more when shared
@pytest.mark.parametrize("fixture", [FIXTURE, HOLDOUT], ids=["fixture", "holdout"])
def test_tool_selection_accuracy(default_engine, tmp_path, fixture):
    cases = json.loads(fixture.read_text())["cases"]
    with eval_runtime(tmp_path, default_engine) as rt:
        agent = Agent(default_engine, rt.registry, system=SYSTEM, clock=lambda: CLOCK,
                      options=GenerationOptions(max_tokens=32, temperature=0.0, seed=0))
        report = run_selection_eval(
            agent, cases,
            progress=lambda r: print(f"{'ok ' if r.right_args else 'MISS'} {r.seconds:5.1f}s {r.say!r} -> {r.got_tool} {json.dumps(r.got_args)}", flush=True),
        )
    print(report.render())
    out = os.environ.get("OCULI_TOOL_EVAL_OUT")
    if out:
        with open(out, "a") as f:
            f.write(f"== {fixture.name}\n{report.render()}\n")
    # Issue 7's target: 0.90 right tool with right arguments on the fixture. Measured
    # 2026-11-24 (quiet): fixture 59/65 = 0.908, held-out 21/25 = 0.84. The held-out floor
    # guards against regressions only; it was never tuned on.
    floor = 0.90 if fixture == FIXTURE else 0.80
    assert report.accuracy >= floor, report.render()
