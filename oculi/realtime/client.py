"""A small asyncio client of the realtime API (aiohttp's WebSocket client).

    async with await RealtimeClient.connect("http://127.0.0.1:8000", mode="push_to_talk") as rt:
        await rt.send_frame(jpeg_bytes)
        await rt.talk_start(); await rt.send_audio(pcm16); await rt.talk_stop()
        async for event in rt.events():
            ...  # typed events (oculi.realtime.protocol); answer audio as AudioOut

`connect` sends `session.start` and returns once `session.started` arrived (capabilities on
`rt.started`), raising the server's error if it refused the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any, Literal, Self

import aiohttp
from pydantic import BaseModel

from oculi.realtime.errors import ProtocolError, RealtimeUnavailable
from oculi.realtime.protocol import (
    AUDIO_FORMAT,
    KIND_AUDIO,
    KIND_FRAME,
    PROTOCOL,
    AudioFormat,
    AudioHeader,
    AudioOut,
    ErrorEvent,
    FrameHeader,
    Ping,
    SessionEnd,
    SessionStart,
    SessionStarted,
    TalkStart,
    TalkStop,
)
from oculi.realtime.wire import encode_binary, parse_server_binary, parse_server_text

Event = BaseModel  # a server event model, or AudioOut


def realtime_url(base_url: str) -> str:
    """http(s)://host:port[/v1] → ws(s)://host:port/v1/realtime."""
    url = base_url.rstrip("/")
    if url.startswith("http"):
        url = "ws" + url[4:]
    if not url.endswith("/v1/realtime"):
        url = url.removesuffix("/v1") + "/v1/realtime"
    return url


class RealtimeClient:
    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse,
                 audio: AudioFormat) -> None:
        self._http, self._ws = http, ws
        self.audio = audio
        self.started: SessionStarted | None = None
        self._frame_id = 0
        self._seq = 0
        self._t0 = time.monotonic()

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        api_key: str | None = None,
        mode: Literal["push_to_talk", "open"] = "open",
        rate: int = 16_000,
        channels: int = 1,
        overlay: bool = True,
        protocol: str = PROTOCOL,
        timeout: float = 300.0,
    ) -> RealtimeClient:
        """Open the socket and start the session (the first session may wait for model loading)."""
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        http = aiohttp.ClientSession()
        try:
            ws = await http.ws_connect(realtime_url(url), headers=headers, heartbeat=None,
                                       max_msg_size=64 * 1024 * 1024)
        except aiohttp.WSServerHandshakeError as exc:
            await http.close()
            raise RealtimeUnavailable(f"the server refused the WebSocket (HTTP {exc.status})",
                                      hint="check the API key" if exc.status in (401, 403)
                                      else None, code="handshake_refused") from exc
        except BaseException:
            await http.close()
            raise
        audio = AudioFormat(rate=rate, channels=channels)
        client = cls(http, ws, audio)
        try:
            await client.send_event(SessionStart(protocol=protocol, audio=audio, mode=mode,
                                                 overlay=overlay, client="oculi.realtime.client"))
            async with asyncio.timeout(timeout):
                async for ev in client.events():
                    if isinstance(ev, SessionStarted):
                        client.started = ev
                        return client
                    if isinstance(ev, ErrorEvent) and ev.fatal:
                        raise RealtimeUnavailable(f"{ev.code}: {ev.message}", hint=ev.hint,
                                                  code=ev.code)
            raise RealtimeUnavailable("the server closed the socket before the session started",
                                      code="session_refused")
        except BaseException:
            await client.close()
            raise

    # ------------------------------------------------------------------ sending
    async def send_event(self, event: BaseModel) -> None:
        await self._ws.send_str(event.model_dump_json(exclude_none=True))

    async def send_text(self, text: str) -> None:
        """A raw text message (tests of the server's error handling)."""
        await self._ws.send_str(text)

    async def send_bytes(self, data: bytes) -> None:
        await self._ws.send_bytes(data)

    async def send_frame(self, jpeg: bytes, *, frame_id: int | None = None) -> int:
        """Send one JPEG; returns its id (echoed by the overlay event for it)."""
        if frame_id is None:
            self._frame_id += 1
            frame_id = self._frame_id
        header = FrameHeader(id=frame_id, t=(time.monotonic() - self._t0) * 1000)
        await self._ws.send_bytes(encode_binary(KIND_FRAME, header, jpeg))
        return frame_id

    async def send_audio(self, pcm: bytes, *, chunk_ms: int = 100, realtime: bool = False) -> None:
        """16-bit PCM in the session's format, cut into chunks (paced like a microphone if
        `realtime`)."""
        step = max(2 * self.audio.channels,
                   int(self.audio.rate * chunk_ms / 1000) * 2 * self.audio.channels)
        start = time.monotonic()
        for i in range(0, len(pcm), step):
            header = AudioHeader(rate=self.audio.rate, channels=self.audio.channels,
                                 format=AUDIO_FORMAT, seq=self._seq,
                                 t=(time.monotonic() - self._t0) * 1000)
            self._seq += 1
            await self._ws.send_bytes(encode_binary(KIND_AUDIO, header, pcm[i:i + step]))
            if realtime:
                due = start + (i + step) / (2 * self.audio.channels * self.audio.rate)
                await asyncio.sleep(max(0.0, due - time.monotonic()))

    async def talk_start(self) -> None:
        await self.send_event(TalkStart())

    async def talk_stop(self) -> None:
        await self.send_event(TalkStop())

    async def ping(self, id: str | int | None = None) -> None:
        await self.send_event(Ping(id=id))

    # ------------------------------------------------------------------ receiving
    async def events(self) -> AsyncIterator[Event]:
        """Typed events until the server closes the socket."""
        async for msg in self._ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                yield parse_server_text(msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                yield parse_server_binary(msg.data)
            elif msg.type == aiohttp.WSMsgType.ERROR:
                raise ProtocolError(f"WebSocket error: {self._ws.exception()}",
                                    code="socket_error")

    async def collect(self, until: Any, timeout: float) -> list[Event]:
        """Events until `until(event)` is true (inclusive), or TimeoutError."""
        out: list[Event] = []
        async with asyncio.timeout(timeout):
            async for ev in self.events():
                out.append(ev)
                if until(ev):
                    return out
        return out

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code

    async def close(self, *, end: bool = True) -> None:
        if end and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self.send_event(SessionEnd())
        with contextlib.suppress(Exception):
            await self._ws.close()
        await self._http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["AudioOut", "RealtimeClient", "realtime_url"]
