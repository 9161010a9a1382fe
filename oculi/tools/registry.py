"""The registry: which tools exist, and the one safe way to call them.

`call` is the boundary between a model's output and real actions, so it never raises:
an unknown tool, arguments that do not validate, a refused confirmation, an exception in
the tool, a result too big for the context or a tool that hangs all come back as a
`ToolResult` whose text tells the model what happened and what it can do next.

Timeouts: a tool runs on a worker thread and the caller stops waiting after the limit.
Python cannot kill a thread, so a hung tool keeps its worker until it returns; the pool
is bounded, and tools that talk to the network carry their own I/O timeouts as well.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from oculi.errors import OculiError
from oculi.tools.base import Tool, ToolResult, render_value
from oculi.tools.errors import InvalidToolArguments, ToolDefinitionError


@dataclass(frozen=True)
class ConfirmationRequest:
    """Shown to the wearer before a tool that needs consent runs."""

    tool: str
    arguments: dict[str, Any]
    description: str
    data: frozenset[str]

    def summary(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"{self.tool}({args})"


Confirm = Callable[[ConfirmationRequest], bool]


def _error_text(code: str, message: str, hint: str | None = None) -> str:
    # "done": false first: a small model reading a failed call otherwise reports success
    body: dict[str, object] = {"done": False, "error": code, "message": message}
    if hint:
        body["hint"] = hint
    body["say"] = f"That did not work: {message}"  # the words a small model then repeats
    return json.dumps(body, ensure_ascii=False)


class ToolRegistry:
    def __init__(
        self,
        *,
        timeout_seconds: float = 20.0,
        max_result_chars: int = 4000,
        max_workers: int = 4,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.max_result_chars = max_result_chars
        self._tools: dict[str, Tool] = {}
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="oculi-tool")

    # ------------------------------------------------------------------ contents
    def register(self, tool: Tool, *, replace: bool = False) -> None:
        if tool.name in self._tools and not replace:
            raise ToolDefinitionError(
                f"a tool named {tool.name!r} is already registered (from {self._tools[tool.name].source})",
                hint="rename one of them, or disable one in the [tools] settings",
            )
        self._tools[tool.name] = tool

    def register_all(self, tools: Iterable[Tool]) -> None:
        for t in tools:
            self.register(t)

    def unregister(self, name: str) -> None:
        self._tools.pop(name, None)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        chosen = self._tools.values() if names is None else [self._tools[n] for n in names if n in self._tools]
        return [t.spec() for t in chosen]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ calling
    def prepare(self, name: str, arguments: str | dict[str, Any]) -> tuple[Tool, dict[str, Any]]:
        """Find and validate; raises OculiError (the caller turns it into a result)."""
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(sorted(self._tools)) or "none"
            raise OculiError(
                f"there is no tool named {name!r}",
                hint=f"available tools: {known}",
                code="unknown_tool",
            )
        try:
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments or "{}")
                except ValueError as exc:
                    raise InvalidToolArguments(f"arguments are not valid JSON: {exc}") from exc
            if not isinstance(arguments, dict):
                raise InvalidToolArguments("arguments must be a JSON object")
            return tool, tool.validate(arguments)
        except InvalidToolArguments as exc:
            exc.hint = exc.hint or f"the parameters are: {json.dumps(tool.parameters.get('properties', {}))}"
            raise

    def call(
        self,
        name: str,
        arguments: str | dict[str, Any],
        *,
        confirm: Confirm | None = None,
    ) -> ToolResult:
        """Run one tool call; every failure becomes a result the model can read."""
        t0 = time.perf_counter()
        try:
            tool, args = self.prepare(name, arguments)
        except OculiError as exc:
            return ToolResult(name, False, _error_text(exc.code, exc.message, exc.hint), exc.code)
        if tool.needs_confirmation(args):
            request = ConfirmationRequest(tool.name, args, tool.description, tool.data)
            approved = False
            if confirm is not None:
                try:
                    approved = bool(confirm(request))
                except Exception:  # a broken confirmation channel must not approve anything
                    approved = False
            if not approved:
                why = "the wearer declined" if confirm is not None else "no one could be asked to confirm"
                return ToolResult(
                    name, False,
                    _error_text("tool_declined", f"{tool.name} was not run: {why}",
                                "tell the wearer it was not done; do not retry unless they ask again"),
                    "tool_declined", seconds=time.perf_counter() - t0,
                )
        return self._execute(tool, args, t0)

    def _execute(self, tool: Tool, args: dict[str, Any], t0: float) -> ToolResult:
        limit = tool.timeout if tool.timeout is not None else self.timeout_seconds
        future = self._pool.submit(tool.handler, args)
        try:
            value = future.result(timeout=limit)
        except FutureTimeout:
            future.cancel()
            code = "tool_timeout"
            text = _error_text(code, f"{tool.name} did not finish within {limit:g} s",
                               "tell the wearer it is taking too long; try again later")
            return ToolResult(tool.name, False, text, code, seconds=time.perf_counter() - t0)
        except OculiError as exc:
            return ToolResult(tool.name, False, _error_text(exc.code, exc.message, exc.hint), exc.code,
                              seconds=time.perf_counter() - t0)
        except Exception as exc:  # a tool's bug is reported, never propagated into the conversation
            text = _error_text("tool_failed", f"{tool.name} failed: {type(exc).__name__}: {exc}")
            return ToolResult(tool.name, False, text, "tool_failed", seconds=time.perf_counter() - t0)
        text = render_value(value)
        truncated = len(text) > self.max_result_chars
        if truncated:
            text = (
                text[: self.max_result_chars]
                + f"\n[truncated: the result was {len(text)} characters; only the first "
                f"{self.max_result_chars} are shown]"
            )
        return ToolResult(tool.name, True, text, None, truncated, time.perf_counter() - t0, value)
