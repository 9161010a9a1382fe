"""Runs the non-chat models (embeddings, transcription, speech) off the loop, one at a time.

Each adapter holds one onnxruntime/CTranslate2 session that is not meant for concurrent
calls, so a single worker thread serves them all in order, and a counter caps how many may
wait (503 + Retry-After beyond that), like the chat scheduler's line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from oculi.server.errors import ApiError
from oculi.server.metrics import Metrics

T = TypeVar("T")


class AuxRunner:
    def __init__(self, metrics: Metrics, *, queue_size: int, retry_after: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oculi-aux")
        self._limit = queue_size + 1
        self._in_flight = 0
        self._metrics = metrics
        self._retry_after = retry_after

    async def run(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        if self._in_flight >= self._limit:
            raise ApiError(503, "the server is busy with other audio and embedding requests",
                           code="server_busy", headers={"Retry-After": str(self._retry_after)})
        self._in_flight += 1
        self._metrics.aux_in_flight.set(self._in_flight)
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))
        finally:
            self._in_flight -= 1
            self._metrics.aux_in_flight.set(self._in_flight)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
