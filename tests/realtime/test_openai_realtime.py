"""The OpenAI Realtime API on a live `oculi serve`, driven by the official `openai` SDK's
realtime client (not hand-written JSON): a text turn, a spoken turn (pcm16 24 kHz in chunks,
committed, transcribed, answered with audio and its transcript), a photo of a sign with a
question, and a malformed event answered with an error while the session goes on.

The tiny chat model answers, so only the mechanics are asserted here (and the exact
transcript, which Whisper produces); answer correctness needs the default model."""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any

import numpy as np
import pytest

from oculi.server.live import LiveServer
from tests.realtime.conftest import QUESTION, TINY

openai = pytest.importorskip("openai")
pytest.importorskip("websockets")

pytestmark = pytest.mark.slow
TIMEOUT = 600  # a 135M model and Whisper on a shared 2-core machine


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _client(server: LiveServer) -> Any:
    return openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="oculi-local")


async def _until(conn: Any, last: str, timeout: float = TIMEOUT) -> list[Any]:
    """Server events up to and including the first of type `last`."""
    events: list[Any] = []

    async def read() -> None:
        async for ev in conn:
            events.append(ev)
            if ev.type == last:
                return

    await asyncio.wait_for(read(), timeout)
    return events


def _pcm24k(pcm: bytes, rate: int) -> bytes:
    from oculi.voice.audio_in import float_to_pcm16, pcm16_to_float, resample

    samples = pcm16_to_float(pcm)
    if rate != 24_000:
        samples = resample(samples, rate, 24_000)
    return float_to_pcm16(np.concatenate([samples, np.zeros(6000, np.float32)]))


def test_text_turn_malformed_event_and_spoken_turn(
    rt_live: LiveServer, question_pcm: tuple[bytes, int]
) -> None:
    pcm = _pcm24k(*question_pcm)

    async def session() -> tuple[list[Any], ...]:
        async with _client(rt_live).realtime.connect(model=TINY) as conn:
            created = await _until(conn, "session.created", 300)
            # words only (the server has no tools either: see rt_live)
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"],
                                               "instructions": "You are terse.",
                                               "tool_choice": "none"})
            updated = await _until(conn, "session.updated")
            # a malformed event, then an unsupported field: errors, and the session goes on
            await conn.send({"type": "conversation.item.create", "item": {"type": "message"}})
            await conn.send({"type": "session.update",
                             "session": {"type": "realtime", "voice_clone": True}})
            bad = await _until(conn, "error") + await _until(conn, "error")
            await conn.conversation.item.create(item={
                "type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "Say hello."}]})
            await conn.response.create()
            text = await _until(conn, "response.done")
            # a spoken turn, answered aloud
            await conn.session.update(session={"type": "realtime", "output_modalities": ["audio"]})
            await _until(conn, "session.updated")
            step = 24_000 * 2 // 10  # 100 ms chunks
            for i in range(0, len(pcm), step):
                await conn.input_audio_buffer.append(
                    audio=base64.b64encode(pcm[i:i + step]).decode("ascii"))
            await conn.input_audio_buffer.commit()
            await conn.response.create()
            spoken = await _until(conn, "response.done")
            return created, updated, bad, text, spoken

    created, updated, bad, text, spoken = asyncio.run(session())
    assert created[-1].session.model == TINY
    assert updated[-1].session.output_modalities == ["text"]
    assert updated[-1].session.tool_choice == "none"

    errors = [e for e in bad if e.type == "error"]
    assert [e.error.code for e in errors] == ["invalid_value", "unsupported_field"]
    assert errors[1].error.param == "session.voice_clone"

    kinds = [e.type for e in text]
    assert "error" not in kinds, [e for e in text if e.type == "error"]
    assert kinds.index("response.created") < kinds.index("response.output_text.delta") \
        < kinds.index("response.output_text.done") < kinds.index("response.done")
    deltas = "".join(e.delta for e in text if e.type == "response.output_text.delta")
    done = next(e for e in text if e.type == "response.output_text.done")
    assert deltas.strip() and done.text == deltas
    final = text[-1].response
    assert final.status == "completed" and final.usage.output_tokens > 0

    kinds = [e.type for e in spoken]
    assert "error" not in kinds, [e for e in spoken if e.type == "error"]
    committed = [e for e in spoken if e.type == "input_audio_buffer.committed"]
    transcribed = [e for e in spoken
                   if e.type == "conversation.item.input_audio_transcription.completed"]
    assert len(committed) == 1 and len(transcribed) == 1
    assert transcribed[0].item_id == committed[0].item_id
    assert _words(transcribed[0].transcript) == _words(QUESTION)
    audio = b"".join(base64.b64decode(e.delta) for e in spoken
                     if e.type == "response.output_audio.delta")
    transcript = next(e for e in spoken if e.type == "response.output_audio_transcript.done")
    assert len(audio) > 24_000, transcript.transcript  # > 0.5 s of pcm16 at 24 kHz
    assert transcript.transcript.strip()
    assert kinds.index("response.output_audio.delta") < kinds.index("response.done")


def test_image_part_reaches_the_view(rt_live: LiveServer, sign_jpeg: bytes) -> None:
    """A photo given as an input_image data URI is perceived and answered from."""
    uri = "data:image/jpeg;base64," + base64.b64encode(sign_jpeg).decode("ascii")

    async def session() -> list[Any]:
        async with _client(rt_live).realtime.connect(model=TINY) as conn:
            await _until(conn, "session.created", 300)
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await _until(conn, "session.updated")
            await conn.conversation.item.create(item={
                "type": "message", "role": "user",
                "content": [{"type": "input_image", "image_url": uri},
                            {"type": "input_text", "text": QUESTION}]})
            await conn.response.create()
            return await _until(conn, "response.done")

    events = asyncio.run(session())
    assert "error" not in [e.type for e in events], [e for e in events if e.type == "error"]
    assert events[-1].response.status == "completed"


def test_server_vad_ends_a_spoken_turn_by_itself(
    rt_live: LiveServer, question_pcm: tuple[bytes, int]
) -> None:
    """No commit, no response.create: oculi's VAD finds the end of the turn and answers."""
    pcm = _pcm24k(*question_pcm) + b"\0\0" * 24_000  # then a second of silence

    async def session() -> list[Any]:
        async with _client(rt_live).realtime.connect(model=TINY) as conn:
            await _until(conn, "session.created", 300)
            await conn.session.update(session={
                "type": "realtime", "output_modalities": ["text"],
                "audio": {"input": {"turn_detection": {"type": "server_vad",
                                                       "silence_duration_ms": 500}}}})
            updated = await _until(conn, "session.updated")
            assert updated[-1].session.audio.input.turn_detection.type == "server_vad"
            step = 24_000 * 2 // 10
            for i in range(0, len(pcm), step):
                await conn.input_audio_buffer.append(
                    audio=base64.b64encode(pcm[i:i + step]).decode("ascii"))
            return await _until(conn, "response.done")

    events = asyncio.run(session())
    kinds = [e.type for e in events]
    assert "error" not in kinds, [e for e in events if e.type == "error"]
    assert kinds.count("input_audio_buffer.speech_started") == 1, kinds
    assert kinds.index("input_audio_buffer.speech_started") \
        < kinds.index("input_audio_buffer.speech_stopped") \
        < kinds.index("input_audio_buffer.committed") < kinds.index("response.created")
    stopped = next(e for e in events if e.type == "input_audio_buffer.speech_stopped")
    spoken_ms = len(_pcm24k(*question_pcm)) / 48
    assert stopped.audio_end_ms <= spoken_ms + 100  # the end of speech, not of the silence
    text = next(e for e in events
                if e.type == "conversation.item.input_audio_transcription.completed")
    assert _words(text.transcript) == _words(QUESTION)
    assert events[-1].response.status == "completed"
