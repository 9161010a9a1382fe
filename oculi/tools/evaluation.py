"""Tool-selection evaluation: does the model pick the right tool with the right arguments?

Cases are spoken-style requests with one or more acceptable calls (tool None = answer
without a tool). Only the first model turn is judged: that is the decision under test;
the tools are not run. The same prompt as the live agent is used (`Agent.prompt_messages`).
Arguments are judged as the tool would receive them, after validation and normalisation
(a reminder "at 6 pm" is judged as the moment it resolves to); a call its tool would
refuse is wrong whatever its fields say.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from oculi.agent.loop import Agent
from oculi.agent.prompt import DIRECT_ANSWER
from oculi.errors import OculiError
from oculi.llm.messages import ChatMessage


@dataclass
class CaseResult:
    say: str
    expected: str | None  # the first acceptable tool, for per-tool figures
    got_tool: str | None
    got_args: dict[str, Any] | None
    right_tool: bool
    right_args: bool
    seconds: float
    text: str = ""


@dataclass
class EvalReport:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(r.right_args for r in self.results) / max(1, len(self.results))

    @property
    def tool_accuracy(self) -> float:
        return sum(r.right_tool for r in self.results) / max(1, len(self.results))

    def per_tool(self) -> dict[str, tuple[int, int]]:
        """{expected tool or "(none)": (right tool and args, cases)}."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in self.results:
            row = table[r.expected or "(none)"]
            row[0] += int(r.right_args)
            row[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(table.items())}

    def render(self) -> str:
        lines = [f"{'tool':<20} right/cases"]
        for name, (ok, n) in self.per_tool().items():
            lines.append(f"{name:<20} {ok}/{n}")
        lines.append(
            f"overall: right tool {self.tool_accuracy:.1%}, right tool and arguments "
            f"{self.accuracy:.1%} of {len(self.results)} requests"
        )
        for r in self.results:
            if not r.right_args:
                lines.append(f"  MISS {r.say!r}: expected {r.expected}, got {r.got_tool} {json.dumps(r.got_args)} {r.text[:60]!r}")
        return "\n".join(lines)


def _norm(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


def value_matches(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict) and "contains" in expected:
        return isinstance(got, str) and _norm(expected["contains"]) in _norm(got)
    if isinstance(expected, dict) and "any" in expected:
        return any(value_matches(e, got) for e in expected["any"])
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(got, (int, float)) and float(got) == float(expected)
    return _norm(expected) == _norm(got)


def args_match(expected: dict[str, Any], got: dict[str, Any], defaults: dict[str, Any]) -> bool:
    """Every listed key must match; a missing key counts as its schema default."""
    for key, want in expected.items():
        value = got.get(key, defaults.get(key))
        if value is None and want in ("", {}):
            continue
        if not value_matches(want, value):
            return False
    return True


def schema_defaults(spec: dict[str, Any]) -> dict[str, Any]:
    props = spec["function"].get("parameters", {}).get("properties", {})
    return {k: v["default"] for k, v in props.items() if "default" in v}


def judge(case: dict[str, Any], tool: str | None, args: dict[str, Any] | None,
          specs: dict[str, dict[str, Any]]) -> tuple[bool, bool]:
    right_tool = right_args = False
    for alt in case["expect"]:
        if alt["tool"] != tool:
            continue
        right_tool = True
        if tool is None or args_match(alt.get("args", {}), args or {}, schema_defaults(specs[tool])):
            right_args = True
    return right_tool, right_args


def run_selection_eval(agent: Agent, cases: list[dict[str, Any]], progress: Any = None) -> EvalReport:
    specs = {s["function"]["name"]: s for s in agent.registry.specs()}
    offered = agent.offered_specs()  # what the live agent offers (with answer_directly)
    report = EvalReport()
    for case in cases:
        t0 = time.perf_counter()
        messages = agent.prompt_messages([ChatMessage(role="user", content=case["say"])])
        result = agent.engine.chat(messages, tools=offered, options=agent.options)  # type: ignore[attr-defined]
        calls = [c for c in result.tool_calls if c.name != DIRECT_ANSWER]  # declining = no tool
        call = calls[0] if calls else None
        tool = call.name if call else None
        args = call.parsed_arguments() if call else None
        checked = args
        valid = True
        if tool is not None and tool in specs:
            try:  # judge what the tool would receive: validated and normalised ("6 pm" → 18:00)
                checked = agent.registry.prepare(tool, args or {})[1]
            except OculiError:
                valid = False  # a call the tool would reject is not right, whatever its fields say
        right_tool, right_args = judge(case, tool, checked, specs)
        right_args = right_args and valid
        r = CaseResult(case["say"], case["expect"][0]["tool"], tool, checked if valid else args,
                       right_tool, right_args,
                       time.perf_counter() - t0, result.text)
        report.results.append(r)
        if progress is not None:
            progress(r)
    return report
