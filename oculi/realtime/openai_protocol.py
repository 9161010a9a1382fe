"""Client events of the OpenAI Realtime API (GA shape) that oculi accepts, as pydantic models.

Names and fields follow the `openai` SDK's `types/realtime/` (the GA API, not the beta
one). Every model forbids unknown fields, so a field oculi does not implement is refused
with an error naming it instead of being silently ignored; fields oculi accepts but whose
values it cannot honour are refused by `openai_session` with `unsupported_value`.

Server events are built as plain dicts by `server_event` (one place fixes `event_id`).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from oculi.realtime.errors import ProtocolError

MAX_EVENT_BYTES = 16 * 1024 * 1024  # base64 audio and images travel inside JSON events
OUTPUT_RATE = 24_000  # the API's only pcm rate; hibari's native rate too


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- session configuration
class AudioFormat(_Strict):
    type: Literal["audio/pcm", "audio/pcmu", "audio/pcma"] | None = None
    rate: int | None = None


class TurnDetection(_Strict):
    type: Literal["server_vad", "semantic_vad"]
    create_response: bool | None = None
    interrupt_response: bool | None = None
    silence_duration_ms: int | None = None
    prefix_padding_ms: int | None = None
    threshold: float | None = None
    idle_timeout_ms: int | None = None
    eagerness: str | None = None


class Transcription(_Strict):
    model: str | None = None  # any name: oculi transcribes with its own Whisper


class AudioInput(_Strict):
    format: AudioFormat | None = None
    transcription: Transcription | None = None
    turn_detection: TurnDetection | None = None


class AudioOutput(_Strict):
    format: AudioFormat | None = None


class AudioConfig(_Strict):
    input: AudioInput | None = None
    output: AudioOutput | None = None


class FunctionTool(_Strict):
    type: Literal["function"] = "function"
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    description: str | None = None
    parameters: dict[str, Any] | None = None


class ToolChoiceFunction(_Strict):
    type: Literal["function"]
    name: str = Field(min_length=1)


class SessionConfig(_Strict):
    type: Literal["realtime"] = "realtime"
    model: str | None = None
    instructions: str | None = None
    output_modalities: list[Literal["text", "audio"]] | None = None
    audio: AudioConfig | None = None
    tools: list[FunctionTool] | None = None
    tool_choice: Literal["auto", "none", "required"] | ToolChoiceFunction | None = None


# ---------------------------------------------------------------- conversation items
class ContentPart(_Strict):
    type: Literal["input_text", "input_audio", "input_image", "text", "output_text"]
    text: str | None = None
    audio: str | None = None  # base64 pcm16 24 kHz
    transcript: str | None = None
    image_url: str | None = None  # a data: URI
    detail: Literal["auto", "low", "high"] | None = None


class MessageItem(_Strict):
    type: Literal["message"] = "message"
    id: str | None = None
    object: Literal["realtime.item"] | None = None
    status: str | None = None
    role: Literal["user", "assistant", "system"]
    content: list[ContentPart]


class FunctionCallOutputItem(_Strict):
    type: Literal["function_call_output"]
    id: str | None = None
    object: Literal["realtime.item"] | None = None
    status: str | None = None
    call_id: str
    output: str


Item = Annotated[MessageItem | FunctionCallOutputItem, Field(discriminator="type")]


# ---------------------------------------------------------------- client events
class _Event(_Strict):
    event_id: str | None = None


class SessionUpdate(_Event):
    type: Literal["session.update"]
    session: SessionConfig


class AudioAppend(_Event):
    type: Literal["input_audio_buffer.append"]
    audio: str


class AudioCommit(_Event):
    type: Literal["input_audio_buffer.commit"]


class AudioClear(_Event):
    type: Literal["input_audio_buffer.clear"]


class ItemCreate(_Event):
    type: Literal["conversation.item.create"]
    previous_item_id: str | None = None
    item: Item


class ItemTruncate(_Event):
    type: Literal["conversation.item.truncate"]
    item_id: str
    content_index: int = 0
    audio_end_ms: int


class ResponseParams(_Strict):
    instructions: str | None = None
    output_modalities: list[Literal["text", "audio"]] | None = None
    conversation: Literal["auto"] | None = None
    metadata: dict[str, str] | None = None


class ResponseCreate(_Event):
    type: Literal["response.create"]
    response: ResponseParams | None = None


class ResponseCancel(_Event):
    type: Literal["response.cancel"]
    response_id: str | None = None


ClientEvent = Annotated[
    SessionUpdate | AudioAppend | AudioCommit | AudioClear | ItemCreate | ItemTruncate
    | ResponseCreate | ResponseCancel,
    Field(discriminator="type"),
]
CLIENT_EVENT_TYPES = ("session.update", "input_audio_buffer.append", "input_audio_buffer.commit",
                      "input_audio_buffer.clear", "conversation.item.create",
                      "conversation.item.truncate", "response.create", "response.cancel")
_client: TypeAdapter[Any] = TypeAdapter(ClientEvent)


class EventError(ProtocolError):
    """A refused client event; `param` names the offending field, `event_id` the event."""

    def __init__(self, message: str, *, code: str, param: str | None = None,
                 event_id: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, code=code, hint=hint)
        self.param = param
        self.event_id = event_id


def parse_client_event(text: str) -> Any:
    """One JSON text message → a client event model, or `EventError` with a stable code."""
    if len(text) > MAX_EVENT_BYTES:
        raise EventError(f"the event is {len(text)} bytes, more than the {MAX_EVENT_BYTES}-byte "
                         "limit", code="event_too_large")
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EventError(f"the event is not valid JSON ({type(exc).__name__})",
                         code="invalid_json") from None
    if not isinstance(raw, dict):
        raise EventError("an event must be a JSON object", code="invalid_json")
    event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else None
    kind = raw.get("type")
    if kind not in CLIENT_EVENT_TYPES:
        raise EventError(f"event type '{str(kind)[:64]}' is not supported by oculi",
                         code="unsupported_event", param="type", event_id=event_id,
                         hint="see docs/openai-realtime.md for the supported events")
    try:
        return _client.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ())]
        # drop the discriminator tags pydantic inserts into the location
        loc = [p for p in loc if p not in {kind, "message", "function_call_output"}]
        # and the union members' names (tool_choice: "literal[...]" or ToolChoiceFunction)
        loc = [p for p in loc if not p.startswith("literal[") and not p[:1].isupper()]
        param = ".".join(loc) or None
        if first.get("type") == "extra_forbidden":
            raise EventError(f"'{param}' is not supported by oculi (in {kind})",
                             code="unsupported_field", param=param, event_id=event_id,
                             hint="remove the field; see docs/openai-realtime.md") from None
        raise EventError(f"invalid '{param}' in {kind}: {first.get('msg', 'invalid value')}",
                         code="invalid_value", param=param, event_id=event_id) from None


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def server_event(type_: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "event_id": new_id("event"), **fields}


def error_event(message: str, *, code: str, param: str | None = None,
                event_id: str | None = None, kind: str = "invalid_request_error") -> dict[str, Any]:
    """OpenAI's error shape: `error.type`, `.code`, `.message`, `.param`, `.event_id`."""
    return server_event("error", error={"type": kind, "code": code, "message": message,
                                        "param": param, "event_id": event_id})
