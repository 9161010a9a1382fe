"""Chat generations admitted to a fixed number of slots, off the event loop, with a bounded
waiting line (503 + Retry-After beyond it).

Two kinds of engine, two ways to run them:
- **One shared engine** (the server's default): a `BatchedEngine` (oculi/llm/batched.py)
  decodes every admitted conversation in the same llama.cpp batch from one copy of the
  weights, or a `RemoteEngine` whose server batches them itself. Both are safe to call from
  several threads, so each admitted job's blocking `stream_chat` runs on a thread of its own
  and the engine does the interleaving.
- **A list of single-stream engines** (`--engine slots`; the tests' scripted engines): one
  llama.cpp context decodes one sequence, so the scheduler owns several (slots) and ONE
  worker thread advances each active generation by one event (about one token) in turn.
  Every client sees progress from its first token on, while the CPU runs one decode at a
  time with all its threads — N engines on N threads would oversubscribe the cores.

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
    client_choice: ToolChoice = "auto"  # what the client asked for; the server may narrow it
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
    """Up to `slots` generations at once and a FIFO line behind them: round-robin token steps
    over a list of single-stream engines, or a thread per job over one shared engine."""

    def __init__(
        self, engines: list[ChatEngine] | ChatEngine, *, slots: int | None = None,
        queue_size: int = 16, retry_after: int = 2,
    ) -> None:
        if isinstance(engines, list):
            if not engines:
                raise ValueError("the scheduler needs at least one engine")
            self.shared: ChatEngine | None = None
            self._free: list[ChatEngine] = list(engines)
        else:
            self.shared = engines
            self._free = [engines] * (slots or int(getattr(engines, "slots", 1)))
        self.slots = len(self._free)
        self.queue_size = queue_size
        self.retry_after = retry_after
        self._waiting: collections.deque[ChatJob] = collections.deque()
        self._active: list[tuple[ChatJob, Any, ChatEngine]] = []
        self._threads: list[threading.Thread] = []
        self._cv = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        if self.shared is None:
            self._thread = threading.Thread(target=self._run, name="oculi-chat-scheduler",
                                            daemon=True)
            self._thread.start()

    # ------------------------------------------------------------------ called from the loop
    def submit(self, job: ChatJob) -> None:
        """Admit a job or raise QueueFull (503 + Retry-After); never blocks."""
        job.loop = asyncio.get_running_loop()
        with self._cv:
            if self._stopping:
                raise ApiError(503, "the server is shutting down", code="shutting_down")
            if len(self._waiting) + len(self._active) >= self.slots + self.queue_size:
                raise QueueFull(self.retry_after)
            if self.shared is not None and self._free and not self._waiting:
                self._start_thread(job, self._free.pop())
                return
            self._waiting.append(job)
            self._cv.notify()

    def prefill(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Read a guessed prompt (a question still being spoken) into an idle slot, on the
        caller's thread. Only when nothing waits and a slot is free: a guess never delays a
        real request. The next job takes the most recently freed slot, which is this one."""
        with self._cv:
            if self._stopping or self._waiting or not self._free:
                return 0
            engine = self._free.pop()
        try:
            prefill = getattr(engine, "prefill", None)
            return int(prefill(messages, tools=tools, wait=False, stop=stop) or 0) if prefill else 0
        finally:
            with self._cv:
                self._free.append(engine)
                if self.shared is not None:
                    while self._waiting and self._free and not self._stopping:
                        self._start_thread(self._waiting.popleft(), self._free.pop())
                self._cv.notify()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def active(self) -> int:
        return len(self._active)

    def close(self, timeout: float = 10.0) -> None:
        """Cancel what is waiting and running, then stop the worker."""
        with self._cv:
            self._stopping = True
            for job in self._waiting:
                self._push(job, ApiError(503, "the server is shutting down", code="shutting_down"))
                self._push(job, END)
            self._waiting.clear()
            for job, _, _ in self._active:
                job.cancel.set()
            self._cv.notify()
            threads = [self._thread] if self._thread is not None else list(self._threads)
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if self.shared is not None and hasattr(self.shared, "close"):
            self.shared.close()  # the batched engine's decode loop, a remote engine's client

    # ------------------------------------------------------------------ shared engine
    def _start_thread(self, job: ChatJob, engine: ChatEngine) -> None:
        """Called with the lock held: `job` is admitted and runs on a thread of its own."""
        entry = (job, None, engine)
        self._active.append(entry)
        t = threading.Thread(target=self._serve, args=(entry,), name="oculi-chat-slot",
                             daemon=True)
        self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()

    def _serve(self, entry: tuple[ChatJob, Any, ChatEngine]) -> None:
        """Run the job, then whatever waits, until the line is empty; then free the slot."""
        current: tuple[ChatJob, Any, ChatEngine] | None = entry
        while current is not None:
            job, _, engine = current
            self._generate(job, engine)
            with self._cv:
                self._active.remove(current)
                current = None
                while self._waiting and not self._stopping:
                    nxt = self._waiting.popleft()
                    if nxt.cancel.is_set():
                        self._push(nxt, END)
                        continue
                    current = (nxt, None, engine)
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

    # ------------------------------------------------------------------ single-stream engines
    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopping and not self._waiting and not self._active:
                    self._cv.wait()
                if self._stopping and not self._active:
                    return
                while self._waiting and self._free:
                    job = self._waiting.popleft()
                    if job.cancel.is_set():
                        self._push(job, END)
                        continue
                    engine = self._free.pop()
                    job.started = time.perf_counter()
                    gen = engine.stream_chat(
                        job.messages,
                        tools=job.tools,
                        tool_choice=job.tool_choice,
                        json_schema=job.json_schema,
                        json_object=job.json_object,
                        options=job.options,
                        cancel=job.cancel,
                    )
                    self._active.append((job, gen, engine))
                turn = list(self._active)
            for entry in turn:
                self._step(entry)

    def _step(self, entry: tuple[ChatJob, Any, ChatEngine]) -> None:
        job, gen, engine = entry
        done = False
        try:
            if job.cancel.is_set():
                gen.close()
                done = True
            else:
                ev = next(gen)
                self._push(job, ev)
                done = isinstance(ev, Finished)
                if done:
                    gen.close()
        except StopIteration:
            done = True
        except Exception as exc:  # noqa: BLE001 - passed to the request as an item
            log.warning("generation failed: %s", exc)
            self._push(job, exc)
            done = True
            with contextlib.suppress(Exception):  # the engine already failed; its error is sent
                gen.close()
        if done:
            self._push(job, END)
            with self._cv:
                self._active.remove(entry)
                self._free.append(engine)

    @staticmethod
    def _push(job: ChatJob, item: Any) -> None:
        if job.loop is None or job.loop.is_closed():
            return
        try:
            job.loop.call_soon_threadsafe(job.queue.put_nowait, item)
        except RuntimeError:  # the loop closed between the check and the call
            pass
