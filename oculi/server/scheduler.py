"""Chat generations admitted to a fixed number of slots, off the event loop, with a bounded line.

Why this shape: the server's chat engine is one `BatchedEngine` (oculi/llm/batched.py) that
decodes every admitted conversation in the same llama.cpp batch from one copy of the
weights, or a `RemoteEngine` whose server batches them itself. Both are safe to call from
several threads at once, so the scheduler only bounds how many run (the slots), keeps a FIFO
line behind them (503 + Retry-After beyond it) and runs each admitted generation's blocking
`stream_chat` on a thread of its own. A list of single-stream engines also works (each
admitted job borrows one): the tests' scripted engines use that.

Hand-off to asyncio follows ExecuTorch's llm_server: events go through an `asyncio.Queue`
via `call_soon_threadsafe`, exceptions travel as items, and `END` closes each stream.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from oculi.llm.engine import GenerationOptions, ToolChoice
from oculi.llm.messages import ChatMessage, Finished
from oculi.server.backends.protocols import ChatEngine
from oculi.server.errors import ApiError

log = logging.getLogger("oculi.server")

END = object()


@dataclass
class ChatJob:
    messages: list[ChatMessage]
    tools: list[dict[str, Any]] | None = None
    tool_choice: ToolChoice = "auto"
    json_schema: dict[str, Any] | None = None
    json_object: bool = False
    options: GenerationOptions = field(default_factory=GenerationOptions)
    cancel: threading.Event = field(default_factory=threading.Event)
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    loop: asyncio.AbstractEventLoop | None = None
    submitted: float = field(default_factory=time.perf_counter)
    started: float | None = None


class QueueFull(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            503,
            "the server is busy: every generation slot and queue place is taken",
            code="server_busy",
            headers={"Retry-After": str(retry_after)},
        )


class ChatScheduler:
    """Up to `slots` generations at once, each on its own thread; a FIFO line behind them."""

    def __init__(
        self, engines: list[ChatEngine] | ChatEngine, *, slots: int | None = None,
        queue_size: int = 16, retry_after: int = 2,
    ) -> None:
        if isinstance(engines, list):
            if not engines:
                raise ValueError("the scheduler needs at least one engine")
            pool = list(engines)  # single-stream engines: one job each
            self._shared = False
        else:
            pool = [engines] * (slots or getattr(engines, "slots", 1))  # one concurrent engine
            self._shared = True
        self._free: list[ChatEngine] = pool
        self.engine = pool[0]
        self.slots = len(pool)
        self.queue_size = queue_size
        self.retry_after = retry_after
        self._waiting: collections.deque[ChatJob] = collections.deque()
        self._active: list[ChatJob] = []
        self._threads: list[threading.Thread] = []
        self._cv = threading.Condition()
        self._stopping = False

    # ------------------------------------------------------------------ called from the loop
    def submit(self, job: ChatJob) -> None:
        """Admit a job or raise QueueFull (503 + Retry-After); never blocks."""
        job.loop = asyncio.get_running_loop()
        with self._cv:
            if self._stopping:
                raise ApiError(503, "the server is shutting down", code="shutting_down")
            if len(self._waiting) + len(self._active) >= self.slots + self.queue_size:
                raise QueueFull(self.retry_after)
            if self._free:
                engine = self._free.pop()
                self._active.append(job)
                t = threading.Thread(target=self._serve, args=(job, engine),
                                     name="oculi-chat-slot", daemon=True)
                self._threads = [x for x in self._threads if x.is_alive()] + [t]
                t.start()
            else:
                self._waiting.append(job)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def active(self) -> int:
        return len(self._active)

    def close(self, timeout: float = 10.0) -> None:
        """Cancel what is waiting and running, then wait for the slot threads."""
        with self._cv:
            self._stopping = True
            for job in self._waiting:
                self._push(job, ApiError(503, "the server is shutting down", code="shutting_down"))
                self._push(job, END)
            self._waiting.clear()
            for job in self._active:
                job.cancel.set()
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if self._shared and hasattr(self.engine, "close"):
            self.engine.close()  # the batched engine's decode loop, a remote engine's client

    # ------------------------------------------------------------------ slot threads
    def _serve(self, job: ChatJob, engine: ChatEngine) -> None:
        """Run `job`, then whatever waits, until the line is empty; then free the engine."""
        current: ChatJob | None = job
        while current is not None:
            self._generate(current, engine)
            with self._cv:
                self._active.remove(current)
                current = None
                while self._waiting and not self._stopping:
                    nxt = self._waiting.popleft()
                    if nxt.cancel.is_set():
                        self._push(nxt, END)
                        continue
                    current = nxt
                    self._active.append(current)
                    break
                if current is None:
                    self._free.append(engine)

    def _generate(self, job: ChatJob, engine: ChatEngine) -> None:
        job.started = time.perf_counter()
        gen = None
        try:
            if not job.cancel.is_set():
                gen = engine.stream_chat(
                    job.messages, tools=job.tools, tool_choice=job.tool_choice,
                    json_schema=job.json_schema, json_object=job.json_object,
                    options=job.options, cancel=job.cancel,
                )
                for ev in gen:
                    self._push(job, ev)
                    if isinstance(ev, Finished):
                        break
        except Exception as exc:  # noqa: BLE001 - passed to the request as an item
            log.warning("generation failed: %s", exc)
            self._push(job, exc)
        finally:
            if gen is not None:
                with contextlib.suppress(Exception):  # a failed engine's error is already sent
                    gen.close()
            self._push(job, END)

    @staticmethod
    def _push(job: ChatJob, item: Any) -> None:
        if job.loop is None or job.loop.is_closed():
            return
        try:
            job.loop.call_soon_threadsafe(job.queue.put_nowait, item)
        except RuntimeError:  # the loop closed between the check and the call
            pass
