"""The chat completions route; the work is in serving_chat."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from oculi.server.protocol import ChatCompletionRequest
from oculi.server.serving_chat import (
    ChatRun,
    app_tools,
    build_job,
    check_supported,
    plainly_words,
    to_chat_messages,
)
from oculi.server.state import get_state, not_configured, wrong_model

router = APIRouter()


async def _cancel_on_disconnect(request: Request, cancel: threading.Event) -> None:
    """The body is already read, so the next ASGI message is the client hanging up."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancel.set()
            return


@contextlib.asynccontextmanager
async def _watched(request: Request, cancel: threading.Event) -> AsyncIterator[None]:
    # Waiting for a token does not notice a vanished client, so a watcher frees the slot.
    watcher = asyncio.create_task(_cancel_on_disconnect(request, cancel))
    try:
        yield
    finally:
        watcher.cancel()


async def _stream(run: ChatRun, request: Request, include_usage: bool) -> AsyncIterator[str]:
    gen = run.stream(include_usage)
    try:
        async with _watched(request, run.job.cancel):
            async for line in gen:
                yield line
    finally:
        run.job.cancel.set()
        await gen.aclose()


@router.post("/v1/chat/completions", tags=["openai"])
async def chat_completions(body: ChatCompletionRequest, request: Request):  # type: ignore[no-untyped-def]
    state = get_state(request)
    b = state.backends
    if b.chat is None or b.chat_model is None:
        raise not_configured("chat", body.model)
    if body.model != b.chat_model:
        raise wrong_model(body.model, b.chat_model)
    check_supported(body, state.settings)
    messages = await to_chat_messages(body, b.images, state.settings)
    # the router embeds the request (a few ms): off the event loop
    tools = app_tools(body)
    words_only = bool(b.router and tools) and await asyncio.to_thread(
        plainly_words, b.router, body, messages, tools or [])
    run = ChatRun(build_job(body, messages, state.settings, tools=tools, words_only=words_only),
                  b.chat, state.metrics, b.chat_model)
    run.start()
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            _stream(run, request, include_usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    try:
        async with _watched(request, run.job.cancel):
            return JSONResponse(await run.complete())
    finally:
        run.job.cancel.set()
