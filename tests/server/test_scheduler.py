"""The scheduler and SSE framing, with a scripted engine that shares the ChatEngine Protocol.

The live tests cover real models; these pin down what is hard to provoke with one: a failure
after the first token, and the exact order of events on the wire.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from oculi.errors import OculiError
from oculi.llm.messages import Finished, TextDelta, Usage
from oculi.server import Backends, ServerSettings, create_app
from oculi.server.backends.protocols import ChatEngine
from oculi.server.scheduler import END, ChatJob, ChatScheduler, QueueFull


class ScriptedEngine:
    """Yields the words of its script, then fails if told to: a test double, not a model."""

    def __init__(self, words: list[str], fail_after: int | None = None) -> None:
        self.words, self.fail_after = words, fail_after
        self.calls = 0

    def stream_chat(self, messages: Any, **kw: Any) -> Iterator[Any]:
        self.calls += 1
        cancel: threading.Event = kw["cancel"]
        for i, w in enumerate(self.words):
            if cancel.is_set():
                yield Finished("cancelled", Usage(1, i))
                return
            if self.fail_after is not None and i == self.fail_after:
                raise OculiError("the engine broke", code="engine_broke")
            yield TextDelta(w)
        yield Finished("stop", Usage(1, len(self.words)))


def test_scripted_engine_satisfies_the_protocol() -> None:
    assert isinstance(ScriptedEngine([]), ChatEngine)


def _collect(scheduler: ChatScheduler, n: int) -> list[list[Any]]:
    async def run() -> list[list[Any]]:
        jobs = [ChatJob(messages=[]) for _ in range(n)]
        for j in jobs:
            scheduler.submit(j)

        async def drain(job: ChatJob) -> list[Any]:
            items = []
            while (item := await job.queue.get()) is not END:
                items.append(item)
            return items

        return list(await asyncio.gather(*(drain(j) for j in jobs)))

    return asyncio.run(run())


def test_round_robin_serves_each_job_its_own_stream() -> None:
    sched = ChatScheduler([ScriptedEngine(["a", "b", "c"]) for _ in range(3)])
    try:
        results = _collect(sched, 5)  # 3 slots, 2 wait their turn
    finally:
        sched.close()
    for items in results:
        assert [i.text for i in items[:-1]] == ["a", "b", "c"]
        assert items[-1].reason == "stop"


def test_exceptions_travel_as_items_and_free_the_slot() -> None:
    engine = ScriptedEngine(["a", "b"], fail_after=1)
    sched = ChatScheduler([engine])
    try:
        first, second = _collect(sched, 2)
    finally:
        sched.close()
    assert first[0].text == "a" and isinstance(first[1], OculiError)
    assert second[0].text == "a" and engine.calls == 2


def test_failure_mid_stream_is_an_sse_error_event_then_done() -> None:
    sched = ChatScheduler([ScriptedEngine(["Hello", " there"], fail_after=1)])
    app = create_app(Backends(chat=sched, chat_model="scripted"), ServerSettings())

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.post("/v1/chat/completions", json={
                "model": "scripted", "stream": True,
                "messages": [{"role": "user", "content": "hi"}]})

    try:
        r = asyncio.run(call())
    finally:
        sched.close()
    assert r.status_code == 200
    events = [line[6:] for line in r.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert error["code"] == "engine_broke" and error["type"] == "server_error"
    assert json.loads(events[1])["choices"][0]["delta"]["content"] == "Hello"


def test_endpoints_without_a_backend_say_so() -> None:
    app = create_app(Backends(), ServerSettings())

    async def call() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return [
                await c.post("/v1/chat/completions",
                             json={"model": "m", "messages": [{"role": "user", "content": "x"}]}),
                await c.post("/v1/embeddings", json={"model": "m", "input": "x"}),
                await c.post("/v1/audio/speech", json={"model": "m", "input": "x", "voice": "v"}),
            ]

    for r in asyncio.run(call()):
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "model_not_found"
        assert "no" in r.json()["error"]["message"]


class ConcurrentEngine:
    """One engine that many threads call at once (as the batched engine is called): records
    how many streams were open together, and holds each until all admitted ones are open."""

    slots = 2

    def __init__(self) -> None:
        self.open = 0
        self.most = 0
        self.lock = threading.Lock()
        self.both = threading.Barrier(2, timeout=10)

    def stream_chat(self, messages: Any, **kw: Any) -> Iterator[Any]:
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
            self.calls = getattr(self, "calls", 0) + 1
            first_two = self.calls <= 2
        try:
            if first_two:
                self.both.wait()  # the first two meet: they ran at the same time
            yield TextDelta("x")
            yield Finished("stop", Usage(1, 1))
        finally:
            with self.lock:
                self.open -= 1


def test_a_shared_engine_runs_its_slots_at_once_and_queues_the_rest() -> None:
    engine = ConcurrentEngine()
    sched = ChatScheduler(engine, queue_size=1)  # slots from the engine: 2
    try:
        results = _collect(sched, 3)  # the third waits for a free slot, then runs
    finally:
        sched.close()
    assert sched.slots == 2 and engine.most == 2
    for items in results:
        assert [i.text for i in items[:-1]] == ["x"] and items[-1].reason == "stop"

    release = threading.Event()

    class Held(ConcurrentEngine):
        def stream_chat(self, messages: Any, **kw: Any) -> Iterator[Any]:
            release.wait(10)
            yield Finished("stop", Usage(1, 0))

    full = ChatScheduler(Held(), queue_size=0)

    async def overflow() -> int:
        full.submit(ChatJob(messages=[]))
        full.submit(ChatJob(messages=[]))  # both slots busy now
        try:
            full.submit(ChatJob(messages=[]))
        except QueueFull as exc:
            return exc.status
        return 200

    try:
        assert asyncio.run(overflow()) == 503
    finally:
        release.set()
        full.close()
