"""Answers over the OpenAI Realtime API with the default 1.5B model, through the official
`openai` SDK client: a photo of a sign (input_image data URI) and a question read the sign;
a tool the client declares is called with valid arguments and its output is used."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from oculi.paths import Paths
from oculi.server.live import LiveServer
from tests.realtime.conftest import jpeg, render_sign
from tests.realtime.test_openai_realtime import _until

openai = pytest.importorskip("openai")
pytest.importorskip("websockets")

pytestmark = [pytest.mark.slow, pytest.mark.default_model]
DEFAULT = "qwen2.5-coder-1.5b-instruct"
SIGN = "NO ENTRY"
ORDER_TOOL = {
    "type": "function", "name": "order_status",
    "description": "Look up the delivery status of one of the wearer's orders by its number.",
    "parameters": {"type": "object", "properties": {
        "order_number": {"type": "string", "description": "the order number"}},
        "required": ["order_number"]},
}


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from tests.realtime.conftest import _require

    _require(DEFAULT, "whisper-base", "silero-vad", "hibari-tts", "rapidocr-ppocrv4")
    home = tmp_path_factory.mktemp("home")
    (home / "models").symlink_to(Paths.from_env().models, target_is_directory=True)
    with LiveServer("--slots", "1", "--no-embeddings", "--no-image-text", "--realtime-preload",
                    env={"OCULI_HOME": str(home)}, startup_timeout=600) as live:
        yield live


def test_sign_in_a_photo_and_a_client_tool(server: LiveServer) -> None:
    uri = "data:image/jpeg;base64," + base64.b64encode(jpeg(render_sign(SIGN))).decode("ascii")

    async def session() -> tuple[list[Any], ...]:
        client = openai.AsyncOpenAI(base_url=server.base_url + "/v1", api_key="oculi-local")
        async with client.realtime.connect(model=DEFAULT) as conn:
            await _until(conn, "session.created", 300)
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"],
                                               "tools": [ORDER_TOOL]})
            await _until(conn, "session.updated")
            await conn.conversation.item.create(item={
                "type": "message", "role": "user",
                "content": [{"type": "input_image", "image_url": uri},
                            {"type": "input_text", "text": "What does the sign say?"}]})
            await conn.response.create()
            sign = await _until(conn, "response.done")
        # a client without pictures (most OpenAI Realtime apps): a session with no camera
        async with client.realtime.connect(model=DEFAULT) as conn:
            await _until(conn, "session.created", 300)
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"],
                                               "tools": [ORDER_TOOL]})
            await _until(conn, "session.updated")
            await conn.conversation.item.create(item={
                "type": "message", "role": "user",
                # not "where is my order now?": in a session without a camera the 1.5B model sends
                # "where is … now / at the moment" questions to its no-camera answer about half the
                # time (a known weakness of that guard, in the issue notes); this test is about the
                # client tool's round trip
                "content": [{"type": "input_text", "text": "Can you check the status of my order 4417?"}]})
            await conn.response.create()
            called = await _until(conn, "response.done")
            calls = [e for e in called if e.type == "response.function_call_arguments.done"]
            if calls:
                await conn.conversation.item.create(item={
                    "type": "function_call_output", "call_id": calls[0].call_id,
                    "output": json.dumps({"status": "waiting at the Harbour Street locker"})})
                await conn.response.create()
                used = await _until(conn, "response.done")
            else:
                used = []
            return sign, called, used

    sign, called, used = asyncio.run(session())
    for events in (sign, called, used):
        assert "error" not in [e.type for e in events], [e for e in events if e.type == "error"]
    text = next(e.text for e in sign if e.type == "response.output_text.done")
    assert _words(SIGN) in _words(text), text

    calls = [e for e in called if e.type == "response.function_call_arguments.done"]
    said = [e.text for e in called if e.type == "response.output_text.done"]
    assert len(calls) == 1 and calls[0].name == "order_status", said
    assert str(json.loads(calls[0].arguments)["order_number"]).strip("# ") == "4417"
    out = called[-1].response.output
    assert [o.type for o in out] == ["function_call"]

    answer = next((e.text for e in used if e.type == "response.output_text.done"), None)
    assert answer is not None, [e.type for e in used]
    assert re.search(r"\bharbou?r street\b", answer.lower()), answer
