"""Spoken answers go through the server's chat scheduler: same slots, same line, same cancel."""

from __future__ import annotations

import asyncio
import threading

import pytest

from oculi.errors import OculiError
from oculi.llm.engine import GenerationOptions
from oculi.llm.messages import ChatMessage, Finished, TextDelta
from oculi.realtime.engine import ScheduledEngine
from oculi.server.scheduler import ChatJob, ChatScheduler

Q = [ChatMessage(role="user", content="Write a long story about a lighthouse.")]


def test_answers_share_the_line_and_free_the_slot_when_abandoned(tiny_engine) -> None:  # type: ignore[no-untyped-def]
    scheduler = ChatScheduler([tiny_engine], queue_size=0)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        engine = ScheduledEngine(scheduler, loop)

        def take_three() -> list[object]:  # a voice agent reading a few tokens, then stopping
            stream = engine.stream_chat(Q, options=GenerationOptions(max_tokens=200, seed=0))
            out = [next(stream) for _ in range(3)]
            stream.close()
            return out

        first = await asyncio.to_thread(take_three)
        assert all(isinstance(e, TextDelta) for e in first)
        for _ in range(200):  # the abandoned generation is cancelled and the slot frees
            if scheduler.active == 0:
                break
            await asyncio.sleep(0.05)
        assert scheduler.active == 0

        # an HTTP request holds the only slot: a spoken answer now is refused, like a 503
        busy = ChatJob(messages=Q, options=GenerationOptions(max_tokens=200))
        scheduler.submit(busy)
        await busy.queue.get()

        def refused() -> None:
            list(engine.stream_chat(Q, options=GenerationOptions(max_tokens=5)))

        with pytest.raises(OculiError) as err:
            await asyncio.to_thread(refused)
        assert err.value.code == "server_busy" and err.value.hint
        busy.cancel.set()
        for _ in range(200):
            if scheduler.active == 0:
                break
            await asyncio.sleep(0.05)

        def whole() -> list[object]:
            cancel = threading.Event()
            return list(engine.stream_chat(Q, options=GenerationOptions(max_tokens=4, seed=0),
                                           cancel=cancel))

        events = await asyncio.to_thread(whole)
        assert isinstance(events[-1], Finished) and events[-1].usage.completion_tokens == 4

    try:
        asyncio.run(scenario())
    finally:
        scheduler.close()
