"""Tool-selection evaluation: does the model pick the right tool with the right arguments?

Cases are spoken-style requests with one or more acceptable calls (tool None = answer
without a tool). Only the first model turn is judged: that is the decision under test;
the tools are not run. The same prompt as the live agent is used (`Agent.prompt_messages`).
Arguments are judged as the tool would receive them, after validation and normalisation
(a reminder "at 6 pm" is judged as the moment it resolves to); a call its tool would
refuse is wrong whatever its fields say.

Two ways in: through the agent (`run_selection_eval`, the live agent's prompt) and through
the OpenAI API (`run_selection_eval_api`, an app's own request with the same tool schemas
passed as client tools), so the figure covers the way apps use oculi too.

Matching must be able to fail: {"contains": s} wants the words of s as a run of whole words
("41" does not match "141", "egg" does not match "eggplant"), with number words read as digits
and digits said one by one read as one number ("four seven one nine" = "4719").
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from oculi.agent.loop import Agent
from oculi.agent.prompt import DIRECT_ANSWER
from oculi.agent.router import IntentRouter
from oculi.errors import OculiError
from oculi.llm.messages import ChatMessage
from oculi.tools.registry import ToolRegistry


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

    @property
    def no_tool_rate(self) -> float:
        """Of the requests that need no tool, the share answered without one."""
        none = [r for r in self.results if r.expected is None]
        return sum(r.got_tool is None for r in none) / max(1, len(none))

    @property
    def tool_case_accuracy(self) -> float:
        """Of the requests that need a tool, the share with the right tool and arguments."""
        some = [r for r in self.results if r.expected is not None]
        return sum(r.right_args for r in some) / max(1, len(some))

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
            f"{self.accuracy:.1%} of {len(self.results)} requests; requests needing a tool "
            f"{self.tool_case_accuracy:.1%}; no-tool requests answered without a tool "
            f"{self.no_tool_rate:.1%}"
        )
        for r in self.results:
            if not r.right_args:
                lines.append(f"  MISS {r.say!r}: expected {r.expected}, got {r.got_tool} {json.dumps(r.got_args)} {r.text[:60]!r}")
        return "\n".join(lines)


def _norm(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


_UNITS = {w: i for i, w in enumerate([
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}


def words(text: str) -> list[str]:
    """Lowercase whole words, punctuation dropped, letters split from digits ("23B" → "23 b"),
    number words as digits ("forty five" → "45") and digits said one by one joined
    ("4 7 1 9" → "4719"; "table for 2" stays "2")."""
    t = re.sub(r"['’]", "", text.lower())
    t = re.sub(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", " ", t)
    raw = re.sub(r"[\W_]+", " ", t).split()
    numbered: list[str] = []
    i = 0
    while i < len(raw):
        w = raw[i]
        if w in _TENS and i + 1 < len(raw) and 0 < _UNITS.get(raw[i + 1], 0) < 10:
            numbered.append(str(_TENS[w] + _UNITS[raw[i + 1]]))
            i += 2
            continue
        numbered.append(str(_UNITS[w]) if w in _UNITS else str(_TENS[w]) if w in _TENS else w)
        i += 1
    out: list[str] = []
    run = False  # the last token is a run of single digits
    for w in numbered:
        single = len(w) == 1 and w.isdigit()
        if single and out and (run or (len(out[-1]) == 1 and out[-1].isdigit())):
            out[-1] += w
            run = True
        else:
            out.append(w)
            run = False
    return out


def contains_words(want: str, got: str) -> bool:
    """Whether the words of `want` appear in `got` as a run of whole words."""
    w, g = words(want), words(got)
    return bool(w) and any(g[i:i + len(w)] == w for i in range(len(g) - len(w) + 1))


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def value_matches(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict) and "contains" in expected:
        return isinstance(got, str) and contains_words(expected["contains"], got)
    if isinstance(expected, dict) and "any" in expected:
        return any(value_matches(e, got) for e in expected["any"])
    if isinstance(expected, dict):
        return isinstance(got, dict) and args_match(expected, got, {})
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        number = _number(got)
        return number is not None and number == float(expected)
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


def judge_call(case: dict[str, Any], tool: str | None, args: dict[str, Any] | None,
               registry: ToolRegistry, seconds: float, text: str = "") -> CaseResult:
    """Judge one first turn, with the arguments as the tool would receive them."""
    specs = {s["function"]["name"]: s for s in registry.specs()}
    checked = args
    valid = True
    if tool is not None and tool in specs:
        try:  # judge what the tool would receive: validated and normalised ("6 pm" → 18:00)
            checked = registry.prepare(tool, args or {})[1]
        except OculiError:
            valid = False  # a call the tool would reject is not right, whatever its fields say
    right_tool, right_args = judge(case, tool, checked, specs)
    return CaseResult(case["say"], case["expect"][0]["tool"], tool, checked if valid else args,
                      right_tool, right_args and valid, seconds, text)


def run_selection_eval(agent: Agent, cases: list[dict[str, Any]], progress: Any = None,
                       router: IntentRouter | None = None) -> EvalReport:
    """With `router`, as the assistant runs (no camera): a request it answers in words gets
    the words-only reply, which never calls a tool."""
    offered = agent.offered_specs()  # what the live agent offers (with answer_directly)
    routed = router is not None and router.covers(t["function"]["name"] for t in offered)
    report = EvalReport()
    for case in cases:
        t0 = time.perf_counter()
        messages = agent.prompt_messages([ChatMessage(role="user", content=case["say"])])
        words_only = routed and router.route(case["say"], camera=False).words_only  # type: ignore[union-attr]
        result = agent.engine.chat(messages, tools=offered, options=agent.options,  # type: ignore[attr-defined]
                                   tool_choice="none" if words_only else "auto")
        calls = [c for c in result.tool_calls if c.name != DIRECT_ANSWER]  # declining = no tool
        call = calls[0] if calls else None
        r = judge_call(case, call.name if call else None, call.parsed_arguments() if call else None,
                       agent.registry, time.perf_counter() - t0, result.text)
        report.results.append(r)
        if progress is not None:
            progress(r)
    return report


def run_selection_eval_api(client: Any, model: str, registry: ToolRegistry, cases: list[dict[str, Any]],
                           *, system: str, max_tokens: int = 32, progress: Any = None) -> EvalReport:
    """The same cases sent the way an app sends them: the official `openai` client, the tools'
    JSON schemas as the app's own tools, tool_choice "auto", one request per case."""
    tools = registry.specs()
    report = EvalReport()
    for case in cases:
        t0 = time.perf_counter()
        try:
            response = client.chat.completions.create(
                model=model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": case["say"]}],
                tools=tools, tool_choice="auto", temperature=0, seed=0, max_tokens=max_tokens,
            )
        except Exception as exc:  # noqa: BLE001 - a failed request is a miss, shown with its error
            r = CaseResult(case["say"], case["expect"][0]["tool"], "(request failed)", None, False, False,
                           time.perf_counter() - t0, f"{type(exc).__name__}: {exc}")
            report.results.append(r)
            if progress is not None:
                progress(r)
            continue
        message = response.choices[0].message
        call = (message.tool_calls or [None])[0]
        tool = call.function.name if call is not None else None
        try:
            args = json.loads(call.function.arguments) if call is not None else None
        except ValueError:
            args = None
        r = judge_call(case, tool, args, registry, time.perf_counter() - t0, message.content or "")
        report.results.append(r)
        if progress is not None:
            progress(r)
    return report
