"""A chat engine that goes through the server's scheduler, for the voice and look agents.

Why: the agents call `engine.stream_chat(...)` on a worker thread and iterate tokens. Handing
them the server's `ChatScheduler` instead of an engine of their own means spoken answers and
HTTP chat share the same slots, the same bounded line (a full line is a `server_busy` error
event, like the HTTP 503) and the same cancellation, and no extra model is loaded.

The scheduler hands items to a job's `queue` with `loop.call_soon_threadsafe(queue.put_nowait,
item)`; a thread-safe `queue.SimpleQueue` takes that call, so the agent's worker thread can
block on it directly while the event loop stays free.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator
from typing import Any

from oculi.errors import OculiError
from oculi.llm.engine import GenerationOptions, ToolChoice
from oculi.llm.messages import ChatMessage, ChatResult, Finished, StreamEvent, collect
from oculi.server.errors import ApiError
from oculi.server.scheduler import END, ChatJob, ChatScheduler


class _JobCancel(threading.Event):
    """A job's own cancel flag, also set while the caller's is. Abandoning a stream sets only
    the job's: the caller's flag belongs to the whole turn (a turn whose first reply is
    dropped goes on with another model call, which the turn's flag would have cancelled)."""

    def __init__(self, caller: threading.Event | None) -> None:
        super().__init__()
        self.caller = caller

    def is_set(self) -> bool:
        return super().is_set() or (self.caller is not None and self.caller.is_set())


class ScheduledEngine:
    """`stream_chat` over a `ChatScheduler`; call it from a worker thread, never the loop."""

    def __init__(self, scheduler: ChatScheduler, loop: asyncio.AbstractEventLoop) -> None:
        self.scheduler = scheduler
        self.loop = loop

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
        items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        job = ChatJob(messages=messages, tools=tools, tool_choice=tool_choice,
                      json_schema=json_schema, json_object=json_object,
                      options=options or GenerationOptions(),
                      cancel=_JobCancel(cancel), queue=items)  # type: ignore[arg-type]

        async def submit() -> None:
            self.scheduler.submit(job)  # sets job.loop; raises QueueFull when the line is full

        try:
            asyncio.run_coroutine_threadsafe(submit(), self.loop).result(timeout=30)
        except ApiError as exc:
            raise OculiError(exc.message, code=exc.code or "server_busy",
                             hint="the assistant is busy with other requests; ask again") from None
        finished = False
        try:
            while True:
                try:
                    item = items.get(timeout=1.0)
                except queue.Empty:
                    if self.loop.is_closed():  # the server stopped: nobody will send END
                        return
                    continue
                if item is END:
                    finished = True
                    return
                if isinstance(item, ApiError):
                    raise OculiError(item.message, code=item.code or "generation_failed")
                if isinstance(item, Exception):
                    raise item
                if isinstance(item, Finished):
                    finished = True
                yield item
                if finished:
                    return
        finally:
            if not finished:
                job.cancel.set()  # an abandoned stream frees its slot at the next token

    def chat(self, messages: list[ChatMessage], **kwargs: Any) -> ChatResult:
        """The whole answer at once (tools such as translate call it)."""
        return collect(self.stream_chat(messages, **kwargs))

    def prefill(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        wait: bool = False,
        stop: threading.Event | None = None,
    ) -> int:
        """Read a guessed prompt into an idle slot; a busy server reads nothing (never waits)."""
        prefill = getattr(self.scheduler, "prefill", None)
        if prefill is None:
            return 0
        return int(prefill(messages, tools=tools, stop=stop))
