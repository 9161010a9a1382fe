"""Typed chat messages and stream events, shaped like OpenAI's so every interface can share them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ToolCall:
    name: str
    arguments: str  # a JSON object, as text (OpenAI's shape)
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")

    def parsed_arguments(self) -> dict[str, Any]:
        return json.loads(self.arguments)

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass
class ChatMessage:
    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    def to_template_dict(self) -> dict[str, Any]:
        """The dict a Jinja chat template expects (OpenAI message shape)."""
        d: dict[str, Any] = {"role": self.role, "content": self.content or ""}
        if self.tool_calls:
            d["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.parsed_arguments()},
                }
                for c in self.tool_calls
            ]
        if self.tool_call_id:
            d["tool_call_id"] = self.tool_call_id
        if self.name:
            d["name"] = self.name
        return d

    @classmethod
    def from_openai(cls, d: dict[str, Any]) -> "ChatMessage":
        content = d.get("content")
        if isinstance(content, list):  # text parts only here; images are handled upstream
            content = "".join(p.get("text", "") for p in content if p.get("type") == "text")
        calls = [
            ToolCall(
                name=c["function"]["name"],
                arguments=c["function"]["arguments"]
                if isinstance(c["function"]["arguments"], str)
                else json.dumps(c["function"]["arguments"]),
                id=c.get("id") or f"call_{uuid.uuid4().hex[:24]}",
            )
            for c in d.get("tool_calls") or []
        ]
        return cls(
            role=d["role"],
            content=content,
            tool_calls=calls,
            tool_call_id=d.get("tool_call_id"),
            name=d.get("name"),
        )


FinishReason = Literal["stop", "length", "tool_calls", "cancelled"]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0  # prompt tokens whose KV state was reused, not recomputed

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class TextDelta:
    text: str
    type: Literal["text"] = "text"


@dataclass
class ToolCallsReady:
    calls: list[ToolCall]
    type: Literal["tool_calls"] = "tool_calls"


@dataclass
class Finished:
    reason: FinishReason
    usage: Usage
    type: Literal["finished"] = "finished"


StreamEvent = TextDelta | ToolCallsReady | Finished


@dataclass
class ChatResult:
    """A whole answer, collected from a stream."""

    text: str
    tool_calls: list[ToolCall]
    finish_reason: FinishReason
    usage: Usage


def collect(stream: Iterable[StreamEvent]) -> ChatResult:
    """Gather a streamed answer into one `ChatResult`."""
    text: list[str] = []
    calls: list[ToolCall] = []
    reason: FinishReason = "stop"
    usage = Usage()
    for ev in stream:
        if isinstance(ev, TextDelta):
            text.append(ev.text)
        elif isinstance(ev, ToolCallsReady):
            calls = ev.calls
        else:
            reason, usage = ev.reason, ev.usage
    return ChatResult("".join(text), calls, reason, usage)
