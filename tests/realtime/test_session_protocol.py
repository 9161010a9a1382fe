"""The realtime socket's protocol handling, in process (no models needed): keys, refused
messages, the version rule, and — property-based — that no message kills a session."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from oculi.realtime.protocol import KIND_AUDIO, KIND_FRAME, PROTOCOL
from oculi.realtime.runtime import RealtimeRuntime
from oculi.realtime.settings import RealtimeSettings
from oculi.realtime.wire import encode_binary
from oculi.server import Backends, ServerSettings, create_app
from oculi.vision.settings import VisionSettings
from oculi.voice.settings import VoiceSettings


def _app(keys: list[str] | None = None, realtime: bool = True):  # type: ignore[no-untyped-def]
    runtime = RealtimeRuntime(RealtimeSettings(), voice=VoiceSettings(), vision=VisionSettings(),
                              chat=None, chat_model=None) if realtime else None
    return create_app(Backends(realtime=runtime), ServerSettings(api_keys=keys or []))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(_app()) as c:
        yield c


def _error(ws) -> dict:  # type: ignore[no-untyped-def]
    event = ws.receive_json()
    assert event["type"] == "error", event
    assert event["code"] and event["message"]
    return event


def test_refused_messages_get_error_events_and_the_session_goes_on(client: TestClient) -> None:
    with client.websocket_connect("/v1/realtime") as ws:
        ws.send_bytes(encode_binary(KIND_FRAME, {"id": 1}, b"\xff\xd8"))
        assert _error(ws)["code"] == "session_not_started"
        ws.send_bytes(encode_binary(KIND_AUDIO, {"rate": 16000}, b"\0\0"))
        assert _error(ws)["code"] == "session_not_started"
        ws.send_text("junk {")
        assert _error(ws)["code"] == "invalid_json"
        ws.send_text('{"type": "look.now"}')
        assert _error(ws)["code"] == "unknown_event"
        ws.send_text('{"type": "talk.start"}')
        assert _error(ws)["code"] == "session_not_started"
        ws.send_bytes(b"\x07")
        assert _error(ws)["code"] == "invalid_binary"
        ws.send_text(json.dumps({"type": "ping", "id": "still-there"}))
        assert ws.receive_json() == {"type": "pong", "id": "still-there"}


def test_an_unsupported_version_is_fatal_and_closes(client: TestClient) -> None:
    with client.websocket_connect("/v1/realtime") as ws:
        ws.send_text(json.dumps({"type": "session.start", "protocol": "oculi.realtime/9"}))
        err = _error(ws)
        assert err["code"] == "protocol_version_unsupported" and err["fatal"] is True
        assert PROTOCOL in err["hint"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4001


def test_no_chat_model_is_a_fatal_clear_error(client: TestClient) -> None:
    with client.websocket_connect("/v1/realtime") as ws:
        ws.send_text(json.dumps({"type": "session.start", "protocol": PROTOCOL}))
        err = _error(ws)
        assert err["code"] == "chat_unavailable" and err["fatal"]


def test_server_without_realtime_says_so() -> None:
    with TestClient(_app(realtime=False)) as c, c.websocket_connect("/v1/realtime") as ws:
        err = _error(ws)
        assert err["code"] == "realtime_unavailable" and err["fatal"]


def test_the_socket_needs_the_api_key_header_or_query() -> None:
    with TestClient(_app(keys=["s3cret"])) as c:
        with pytest.raises(WebSocketDisconnect) as refused, c.websocket_connect("/v1/realtime"):
            pass
        assert refused.value.code == 1008
        with pytest.raises(WebSocketDisconnect), c.websocket_connect("/v1/realtime?api_key=bad"):
            pass
        for kw in ({"headers": {"Authorization": "Bearer s3cret"}}, {}):
            url = "/v1/realtime" if kw else "/v1/realtime?api_key=s3cret"
            with c.websocket_connect(url, **kw) as ws:
                ws.send_text('{"type": "ping", "id": 1}')
                assert ws.receive_json()["type"] == "pong"
        assert c.get("/hud").status_code == 200  # the page holds nothing; its socket needs the key
        assert c.get("/hud/static/hud.js").status_code == 200
        assert c.get("/v1/models").status_code == 401


messages = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    st.builds(lambda k, h, p: encode_binary(k, h, p), st.sampled_from([1, 2, 9]),
              st.dictionaries(st.sampled_from(["id", "rate", "channels", "t", "zz"]),
                              st.integers(-3, 70_000), max_size=3), st.binary(max_size=40)),
    st.builds(lambda t, extra: json.dumps({"type": t, **extra}),
              st.sampled_from(["talk.start", "talk.stop", "ping", "frame", "overlay", ""]),
              st.dictionaries(st.sampled_from(["id", "x", "mode"]), st.integers(), max_size=2)),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(messages, min_size=1, max_size=8))
def test_no_message_sequence_kills_the_session(client: TestClient, batch: list) -> None:
    with client.websocket_connect("/v1/realtime") as ws:
        for msg in batch:
            if isinstance(msg, bytes):
                ws.send_bytes(msg)
            else:
                ws.send_text(msg)
            reply = ws.receive_json()
            assert reply["type"] in ("error", "pong"), reply
            if reply["type"] == "error":
                assert reply["code"] and reply["message"] and not reply["fatal"]
        ws.send_text('{"type": "ping", "id": "alive"}')
        assert ws.receive_json() == {"type": "pong", "id": "alive"}
