"""`[llm] endpoint` against a real OpenAI-compatible engine no one here wrote: llama-cpp-python's
own server (`python -m llama_cpp.server`) on the tiny model, behind a recording proxy so the
test sees exactly what left the device."""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from oculi.llm.engine import GenerationOptions
from oculi.llm.messages import ChatMessage, TextDelta
from oculi.server.live import free_port

pytestmark = pytest.mark.slow


class _Recorder(http.server.BaseHTTPRequestHandler):
    upstream = ""
    bodies: list[bytes] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._forward(None)

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).bodies.append(body)
        self._forward(body)

    def _forward(self, body: bytes | None) -> None:
        headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
        with httpx.stream(self.command, self.upstream + self.path, content=body, headers=headers,
                          timeout=300) as r:
            self.send_response(r.status_code)
            self.send_header("Content-Type", r.headers.get("content-type", "application/json"))
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in r.iter_raw():
                self.wfile.write(chunk)
                self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def llama_server(tiny_model_path: Path) -> Iterator[tuple[str, list[bytes], io.BufferedRandom]]:
    pytest.importorskip("sse_starlette", reason="llama_cpp.server needs the [server] extras")
    pytest.importorskip("starlette_context", reason="llama_cpp.server needs the [server] extras")
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(tiny_model_path),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2",
         "--model_alias", "tiny-remote", "--verbose", "true"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "llama_cpp.server exited during start-up"
            try:
                if httpx.get(base + "/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not start"
            time.sleep(0.3)
        _Recorder.upstream = base
        _Recorder.bodies = []
        proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{proxy.server_address[1]}", _Recorder.bodies, log
        proxy.shutdown()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _engine(url: str, **kw: object):
    from oculi.llm.remote import RemoteEngine

    return RemoteEngine(url, **kw)  # type: ignore[arg-type]


def test_streams_an_answer_and_stops_on_cancel(llama_server) -> None:
    url, bodies, _ = llama_server
    engine = _engine(url)
    result = engine.chat([ChatMessage("user", "What is the capital of France?")],
                         options=GenerationOptions(max_tokens=16, temperature=0.0))
    assert result.text.strip() and result.finish_reason in ("stop", "length")
    assert json.loads(bodies[-1])["model"] == "tiny-remote"  # asked of the server itself
    cancel = threading.Event()
    deltas = []
    for ev in engine.stream_chat([ChatMessage("user", "Tell a long story about a ship.")],
                                 options=GenerationOptions(max_tokens=300), cancel=cancel):
        if isinstance(ev, TextDelta):
            deltas.append(ev)
            cancel.set()
    assert ev.reason == "cancelled" and len(deltas) <= 2


def test_json_output_and_tool_calls(llama_server) -> None:
    url, bodies, _ = llama_server
    engine = _engine(url)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    r = engine.chat([ChatMessage("user", "Which city is the capital of France? Answer in JSON.")],
                    json_schema=schema, options=GenerationOptions(max_tokens=40, temperature=0.0))
    assert "city" in json.loads(r.text)
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]
    r = engine.chat([ChatMessage("user", "What is the weather in Oslo?")], tools=tools,
                    tool_choice={"type": "function", "function": {"name": "get_weather"}},
                    options=GenerationOptions(max_tokens=60, temperature=0.0))
    assert r.finish_reason == "tool_calls" and r.tool_calls[0].name == "get_weather"
    assert "tools" in json.loads(bodies[-1])  # the server's own tool calling was used


def test_no_image_bytes_leave_by_default(llama_server) -> None:
    from PIL import Image

    url, bodies, _ = llama_server
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, format="PNG")
    b64 = base64.b64encode(buf.getvalue()).decode()
    parts = [{"type": "text", "text": "What is in this picture?"},
             {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64}"}}]
    msg = ChatMessage("user", parts)  # type: ignore[arg-type]
    n = len(bodies)
    _engine(url).chat([msg], options=GenerationOptions(max_tokens=8, temperature=0.0))
    sent = b"".join(bodies[n:])
    assert sent and b64[:40].encode() not in sent and b"image_url" not in sent
    assert b"send_images is off" in sent  # the model is told an image was withheld


def test_oculi_chat_answers_through_the_endpoint(llama_server, tmp_path: Path) -> None:
    url, bodies, log = llama_server
    n = len(bodies)
    env = {**os.environ, "OCULI_LLM__ENDPOINT": url, "OCULI_HOME": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop("OCULI_CONFIG", None)
    out = subprocess.run([sys.executable, "-m", "oculi", "chat", "Say hello.", "--max-tokens", "12",
                          "--temperature", "0"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()
    assert any(b"Say hello." in b for b in bodies[n:])  # it went through the remote server


def test_doctor_shows_the_endpoint_answering(llama_server) -> None:
    from oculi.config import Settings
    from oculi.system.endpoint import probe_endpoint

    url, _, _ = llama_server
    status = probe_endpoint(Settings(llm={"endpoint": url}))  # type: ignore[arg-type]
    assert status is not None and status.answers and "tiny-remote" in status.detail
    assert not status.send_images
    down = probe_endpoint(Settings(llm={"endpoint": "http://127.0.0.1:9"}), timeout=2)  # type: ignore[arg-type]
    assert down is not None and not down.answers


def test_a_realtime_spoken_question_is_answered_through_the_endpoint(llama_server) -> None:
    """The glasses' way in: a spoken question over the realtime socket is transcribed on the
    device, and its answer comes from the external engine (the proxy saw the transcript)."""
    import asyncio

    from oculi.realtime.client import RealtimeClient
    from oculi.realtime.protocol import AnswerDone, ErrorEvent
    from oculi.server.live import LiveServer
    from tests.realtime.conftest import QUESTION, _require

    _require("whisper-base", "silero-vad", "hibari-tts")
    url, bodies, _ = llama_server
    n = len(bodies)
    env = {"OCULI_LLM__ENDPOINT": url, "OCULI_TOOLS__DISABLED": '["*"]'}
    with LiveServer("--model", "smollm2-135m-instruct", "--slots", "2", "--no-embeddings",
                    "--no-image-text", "--realtime-preload", env=env) as server:
        r = httpx.post(server.base_url + "/v1/audio/speech", timeout=300,
                       json={"model": "hibari-tts", "voice": "heart", "input": QUESTION,
                             "response_format": "pcm"})
        assert r.status_code == 200, r.text
        pcm, rate = r.content, int(r.headers["x-sample-rate"])

        async def session() -> list:
            async with await RealtimeClient.connect(server.base_url, mode="push_to_talk",
                                                    rate=rate) as rt:
                await rt.talk_start()
                await rt.send_audio(pcm, chunk_ms=40)
                await rt.send_audio(b"\0\0" * (rate // 4))
                await rt.talk_stop()
                return await rt.collect(lambda e: isinstance(e, AnswerDone), 600)

        events = asyncio.run(session())
    assert not [e for e in events if isinstance(e, ErrorEvent)]
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.full_answer.strip()
    sent = [json.loads(b) for b in bodies[n:] if b.startswith(b"{")]
    asked = [m["content"] for body in sent for m in body.get("messages", [])
             if m.get("role") == "user" and isinstance(m.get("content"), str)]
    assert any("sign" in a.lower() for a in asked), asked  # the question reached the engine
