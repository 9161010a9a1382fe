"""One realtime session, spoken to by a raw WebSocket client, does everything in one place.

The client is written here from docs/realtime-protocol.md (not `RealtimeClient`): JSON
events as text messages, binary messages framed by hand. It speaks like a foreign client
does — 16 kHz PCM paced in real time, each clip with its own trailing silence before
`talk.stop` (the case that used to cut the second turn) — and in ONE session it asks about a
photo's sign, follows up from the conversation, asks the assistant to remember where it
parked and later where that was, and sets a one-minute timer by voice, whose notification
and spoken text arrive in the same session. Every transcript must match what was said.
The questions are spoken by hibari (synthetic speech); the chat model is the default 1.5B.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import struct
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from oculi.paths import Paths
from oculi.server.live import LiveServer
from tests.realtime.conftest import jpeg, render_sign

pytestmark = [pytest.mark.slow, pytest.mark.default_model]

RATE = 16_000
SIGN = "EXIT B"
TURN_TIMEOUT = 420.0  # one spoken turn on a busy 2-core machine
NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}


def words(text: str) -> list[str]:
    out = []
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        out.append(NUMBERS.get(w, w))
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from tests.realtime.conftest import _require

    _require("qwen2.5-coder-1.5b-instruct", "whisper-base", "silero-vad", "hibari-tts",
             "rapidocr-ppocrv4", "minilm-l6-v2")
    home = tmp_path_factory.mktemp("home")
    (home / "models").symlink_to(Paths.from_env().models, target_is_directory=True)
    env = {"OCULI_HOME": str(home)}
    with LiveServer("--slots", "1", "--no-embeddings", "--no-image-text", "--realtime-preload",
                    env=env, startup_timeout=600) as live:
        yield live


def speak(server: LiveServer, text: str) -> bytes:
    """16 kHz 16-bit PCM of `text` (hibari at 24 kHz, resampled here)."""
    r = httpx.post(server.base_url + "/v1/audio/speech", timeout=300,
                   json={"model": "hibari-tts", "voice": "heart", "input": text,
                         "response_format": "pcm"})
    assert r.status_code == 200, r.text
    rate = int(r.headers["x-sample-rate"])
    pcm = np.frombuffer(r.content, "<i2").astype(np.float32)
    n = int(len(pcm) * RATE / rate)
    out = np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm)
    return out.astype("<i2").tobytes()


def binary(kind: int, header: dict, payload: bytes) -> bytes:
    h = json.dumps(header).encode()
    return bytes([kind]) + struct.pack(">H", len(h)) + h + payload


class RawClient:
    """Just enough of the protocol, by hand."""

    def __init__(self, ws) -> None:  # type: ignore[no-untyped-def]
        self.ws = ws
        self.events: list[dict] = []
        self.audio_bytes = 0
        self.seq = 0

    async def recv_until(self, done, timeout: float) -> list[dict]:  # type: ignore[no-untyped-def]
        got: list[dict] = []
        deadline = time.monotonic() + timeout
        while True:
            msg = await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.monotonic()))
            if isinstance(msg, bytes):
                self.audio_bytes += len(msg)
                got.append({"type": "answer.audio", "bytes": len(msg)})
                continue
            ev = json.loads(msg)
            got.append(ev)
            self.events.append(ev)
            if done(ev):
                return got

    async def say(self, pcm: bytes) -> list[dict]:
        """Press, speak in real time with 0.6 s of trailing room tone, release; wait for the answer."""
        await self.ws.send(json.dumps({"type": "talk.start"}))
        clip = pcm + b"\0\0" * int(0.6 * RATE)
        step = RATE // 25 * 2  # 40 ms
        t0 = time.monotonic()
        for i in range(0, len(clip), step):
            await self.ws.send(binary(0x01, {"seq": self.seq}, clip[i:i + step]))
            self.seq += 1
            await asyncio.sleep(max(0.0, t0 + (i + step) / 2 / RATE - time.monotonic()))
        await self.ws.send(json.dumps({"type": "talk.stop"}))
        return await self.recv_until(lambda e: e["type"] == "answer.done", TURN_TIMEOUT)


def test_one_session_looks_follows_up_remembers_recalls_and_rings_a_timer(server: LiveServer) -> None:
    import websockets

    said = [
        "What does the sign say?",
        "Which letter came after the word exit?",
        "Remember that I parked on level three.",
        "Where did I park?",
        "Set a timer for one minute.",
    ]
    clips = [speak(server, s) for s in said]
    url = server.base_url.replace("http", "ws") + "/v1/realtime"

    async def session() -> tuple[list[list[dict]], list[dict], RawClient]:
        async with websockets.connect(url, max_size=None) as ws:
            rt = RawClient(ws)
            await ws.send(json.dumps({"type": "session.start", "protocol": "oculi.realtime/1",
                                      "audio": {"rate": RATE, "channels": 1},
                                      "mode": "push_to_talk", "client": "raw test client"}))
            await rt.recv_until(lambda e: e["type"] == "session.started", 600)
            await ws.send(binary(0x02, {"id": 1}, jpeg(render_sign(SIGN))))
            await rt.recv_until(lambda e: e["type"] == "overlay", 120)
            turns = []
            for clip in clips:
                turns.append(await rt.say(clip))
            # the timer rings about a minute after it was set: notification, then its speech
            rang = await rt.recv_until(lambda e: e["type"] == "notification", 150)
            before = rt.audio_bytes
            with contextlib.suppress(asyncio.TimeoutError):  # read its speech for a while
                await rt.recv_until(lambda e: False, 30)
            with_audio = rt.audio_bytes - before
            await ws.send(json.dumps({"type": "session.end"}))
            return turns, rang + [{"type": "audio", "bytes": with_audio}], rt

    turns, rang, rt = asyncio.run(session())
    errors = [e for e in rt.events if e["type"] == "error"]
    assert not errors, errors

    finals = [[e["text"] for e in t if e["type"] == "transcript.final"] for t in turns]
    assert [[words(x) for x in f] for f in finals] == [[words(s)] for s in said], finals

    answers = [next(e for e in t if e["type"] == "answer.done")["full_answer"] for t in turns]
    tools = [[e["name"] for e in t if e["type"] == "tool.started"] for t in turns]
    look, follow_up, remember, recall, timer = answers
    assert "exit" in words(look) and "b" in words(look), answers
    assert "b" in words(follow_up), answers
    assert "remember" in tools[2], (tools, answers)
    assert "3" in words(recall), answers
    assert "set_timer" in tools[4], (tools, answers)

    note = next(e for e in rang if e["type"] == "notification")
    assert note["kind"] == "timer" and note["text"]
    assert rang[-1]["bytes"] > 0.5 * 24_000 * 2  # the notification was spoken (24 kHz pcm16)
