"""The one chat-engine interface every consumer is written against.

`LlamaEngine` (one on-device context), the server's `ScheduledEngine` (slots behind a
scheduler) and engines for external servers all stream the same events; the assistant, the
agent loop, the scheduler and the tools take any of them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from oculi.llm.engine import GenerationOptions, ToolChoice
from oculi.llm.messages import ChatMessage, StreamEvent


@runtime_checkable
class ChatEngine(Protocol):
    def stream_chat(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: ToolChoice = "auto",
        json_schema: dict[str, Any] | None = None,
        json_object: bool = False,
        options: GenerationOptions | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        """Text deltas (or one ToolCallsReady), then Finished with usage; stops soon after
        `cancel` is set."""
        ...


class PrefillingEngine(ChatEngine, Protocol):
    """An engine that can read a prompt ahead of its generation (a guess, a warm-up)."""

    def prefill(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        wait: bool = True,
        stop: threading.Event | None = None,
    ) -> int: ...
