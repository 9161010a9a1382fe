"""Operation: API keys, the bounded queue's 503 + Retry-After, /health, /metrics, shutdown."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import openai
import pytest
from openai import OpenAI

from oculi.errors import ConfigError, OculiError
from oculi.server.live import LiveServer
from oculi.server.run import bind_socket
from oculi.server.settings import ServerSettings
from tests.server.conftest import TINY


@pytest.fixture(scope="module")
def small(tiny_model_path) -> LiveServer:
    """One slot, no waiting line, a key: the tightest server."""
    with LiveServer("--model", TINY, "--slots", "1", "--queue-size", "0", "--api-key", "s3cret",
                    "--no-embeddings", "--no-audio", "--no-image-text", "--graceful-seconds", "5") as server:
        yield server


def test_api_key_required_when_configured(small: LiveServer) -> None:
    bad = OpenAI(base_url=small.base_url + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        bad.models.list()
    assert err.value.code == "invalid_api_key"
    good = OpenAI(base_url=small.base_url + "/v1", api_key="s3cret", max_retries=0)
    assert [m.id for m in good.models.list()] == [TINY]
    assert httpx.get(small.base_url + "/health").status_code == 200  # probes need no key


def test_full_queue_answers_503_with_retry_after(small: LiveServer) -> None:
    client = OpenAI(base_url=small.base_url + "/v1", api_key="s3cret", max_retries=0, timeout=300)
    first = client.chat.completions.create(
        model=TINY, max_tokens=200, stream=True,
        messages=[{"role": "user", "content": "Write a long story."}])
    next(iter(first))  # the only slot is now busy
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model=TINY, max_tokens=5,
                                       messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 503 and err.value.code == "server_busy"
    assert err.value.response.headers["retry-after"] == "2"
    first.close()  # the client leaves: its generation is cancelled and the slot frees
    deadline = time.monotonic() + 60
    while httpx.get(small.base_url + "/health").json()["chat"]["active"]:
        assert time.monotonic() < deadline, "the abandoned generation kept its slot"
        time.sleep(0.1)
    r = client.chat.completions.create(model=TINY, max_tokens=3,
                                       messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content is not None


def test_images_without_an_image_backend_are_a_clear_400(small: LiveServer) -> None:
    client = OpenAI(base_url=small.base_url + "/v1", api_key="s3cret", max_retries=0)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=TINY, messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}])
    assert err.value.code == "images_unsupported"
    assert err.value.response.headers["x-should-retry"] == "false"


def test_body_limit_is_413(small: LiveServer) -> None:
    r = httpx.post(small.base_url + "/v1/chat/completions", content=b"x" * (9 * 1024 * 1024),
                   headers={"authorization": "Bearer s3cret", "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


def test_metrics_and_health(live: LiveServer) -> None:
    health = httpx.get(live.base_url + "/health").json()
    assert health["status"] == "ok" and health["chat"]["slots"] == 8
    text = httpx.get(live.base_url + "/metrics").text
    for name in ("oculi_queue_depth", "oculi_http_request_seconds_bucket",
                 "oculi_time_to_first_token_seconds_bucket", "oculi_tokens_per_second_bucket",
                 "oculi_generated_tokens_total"):
        assert name in text


def test_graceful_shutdown_finishes_in_flight_stream(tiny_model_path) -> None:
    # Generous limits: on a loaded 2-core machine a few tokens can take many seconds.
    server = LiveServer("--model", TINY, "--slots", "1", "--no-embeddings", "--no-audio",
                        "--no-image-text", "--graceful-seconds", "120")
    with server:
        client = OpenAI(base_url=server.base_url + "/v1", api_key="x", max_retries=0, timeout=300)
        stream = client.chat.completions.create(
            model=TINY, max_tokens=6, temperature=0, stream=True,
            messages=[{"role": "user", "content": "Write a long story."}])
        it = iter(stream)
        next(it)
        stopper = threading.Thread(target=server.stop, kwargs={"timeout": 150})
        stopper.start()
        rest = list(it)  # the answer still arrives whole after SIGTERM
        stopper.join(160)
        assert rest[-1].choices[0].finish_reason == "length"
        # uvicorn re-raises the signal once it has shut down cleanly, as a process should.
        assert server.proc is not None and server.proc.returncode in (0, -signal.SIGTERM)
        assert "Traceback" not in server.output()


def test_port_taken_and_exposed_bind_are_clear_errors() -> None:
    sock = bind_socket(ServerSettings(port=0))
    port = sock.getsockname()[1]
    try:
        with pytest.raises(OculiError) as err:
            bind_socket(ServerSettings(port=port))
        assert err.value.code == "port_in_use" and "--port" in (err.value.hint or "")
    finally:
        sock.close()
    with pytest.raises(ConfigError) as err2:
        bind_socket(ServerSettings(host="0.0.0.0", port=0))
    assert "--api-key" in (err2.value.hint or "")
