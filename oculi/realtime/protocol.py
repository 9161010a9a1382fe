"""The realtime protocol's messages, one pydantic model per event (docs/realtime-protocol.md).

JSON text messages are events discriminated by `type`. Media travel as binary messages with
a small header (see `wire.py`): `AudioHeader` for PCM, `FrameHeader` for a JPEG. Client
events are strict (an unknown field is a typo the sender should hear about); server events
are read leniently by clients, so a server may add fields within one protocol version.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL = "oculi.realtime/1"
AUDIO_FORMAT = "pcm_s16le"

# Binary message kinds (first byte of every binary message).
KIND_AUDIO = 0x01
KIND_FRAME = 0x02


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ---------------------------------------------------------------------------- client → server
class AudioFormat(_Strict):
    rate: int = Field(16_000, ge=8_000, le=96_000, description="samples per second")
    channels: int = Field(1, ge=1, le=2)
    format: Literal["pcm_s16le"] = AUDIO_FORMAT


class SessionStart(_Strict):
    """The first message: protocol version, the microphone's format and how turns are taken."""

    type: Literal["session.start"] = "session.start"
    protocol: str = Field(..., max_length=64, description=f"must be {PROTOCOL!r}")
    audio: AudioFormat = Field(default_factory=AudioFormat)
    mode: Literal["push_to_talk", "open"] = "open"
    overlay: bool = Field(True, description="run perception on frames and send overlay events")
    client: str | None = Field(None, max_length=200, description="client name, for logs")


class TalkStart(_Strict):
    """Push-to-talk pressed: what follows is the wearer speaking to the assistant."""

    type: Literal["talk.start"] = "talk.start"


class TalkStop(_Strict):
    """Push-to-talk released: the turn ends now (no waiting for silence)."""

    type: Literal["talk.stop"] = "talk.stop"


class Ping(_Strict):
    type: Literal["ping"] = "ping"
    id: str | int | None = Field(None, description="echoed in the pong")


class SessionEnd(_Strict):
    type: Literal["session.end"] = "session.end"


class ConfirmReply(_Strict):
    """The wearer's answer to a `confirm.request`: may that tool call run?"""

    type: Literal["confirm.reply"] = "confirm.reply"
    id: str = Field(..., max_length=64, description="the id of the confirm.request")
    approved: bool


ClientEvent = Annotated[
    SessionStart | TalkStart | TalkStop | Ping | SessionEnd | ConfirmReply,
    Field(discriminator="type"),
]
CLIENT_EVENT_TYPES = ("session.start", "talk.start", "talk.stop", "ping", "session.end",
                      "confirm.reply")


class AudioHeader(_Strict):
    """Header of a binary audio message; fields left out take the session's values."""

    rate: int | None = Field(None, ge=1)
    channels: int | None = Field(None, ge=1)
    format: Literal["pcm_s16le"] | None = None
    seq: int | None = Field(None, ge=0, description="chunk counter")
    t: float | None = Field(None, description="capture time of the first sample, sender's clock, ms")
    # server → client audio also names the answer it belongs to
    turn: int | None = Field(None, ge=0)


class FrameHeader(_Strict):
    """Header of a binary camera frame (the payload is one JPEG)."""

    id: int = Field(..., ge=0, le=2**53, description="frame id, echoed in its overlay")
    t: float | None = Field(None, description="capture time, sender's clock, ms")
    format: Literal["jpeg"] = "jpeg"


class AudioIn(BaseModel):
    """A parsed binary audio message."""

    header: AudioHeader
    pcm: bytes


class FrameIn(BaseModel):
    """A parsed binary frame message."""

    header: FrameHeader
    jpeg: bytes


# ---------------------------------------------------------------------------- server → client
class Capabilities(_Lenient):
    audio_in: AudioFormat
    audio_out: AudioFormat
    modes: list[str]
    max_frame_bytes: int
    max_text_bytes: int
    overlay: list[str] = Field(description="what overlays can show: text, codes, faces, objects")
    overlay_interval_s: float
    models: dict[str, str | None]


class SessionStarted(_Lenient):
    type: Literal["session.started"] = "session.started"
    protocol: str = PROTOCOL
    session_id: str
    capabilities: Capabilities


class SessionStatus(_Lenient):
    type: Literal["session.status"] = "session.status"
    state: Literal["loading", "ready"]
    detail: str = ""


class SpeechStartedEvent(_Lenient):
    type: Literal["speech.started"] = "speech.started"
    turn: int
    t: float = Field(description="seconds since session start (server clock)")


class SpeechStoppedEvent(_Lenient):
    type: Literal["speech.stopped"] = "speech.stopped"
    turn: int
    t: float


class TranscriptPartial(_Lenient):
    type: Literal["transcript.partial"] = "transcript.partial"
    turn: int
    text: str


class TranscriptFinal(_Lenient):
    type: Literal["transcript.final"] = "transcript.final"
    turn: int
    text: str


class AnswerDelta(_Lenient):
    """A speakable piece of the answer (a sentence or clause), sent just before its audio."""

    type: Literal["answer.delta"] = "answer.delta"
    turn: int
    text: str


class AnswerInterrupted(_Lenient):
    type: Literal["answer.interrupted"] = "answer.interrupted"
    turn: int
    spoken_text: str


class AnswerDone(_Lenient):
    type: Literal["answer.done"] = "answer.done"
    turn: int
    transcript: str
    answer: str
    full_answer: str
    interrupted: bool
    frame_id: int | None = Field(None, description="the frame the answer looked at, if any")
    latency: dict[str, float | bool | None] = Field(default_factory=dict)


class OverlayItem(_Lenient):
    kind: Literal["text", "code", "face", "object"]
    box: tuple[int, int, int, int] = Field(description="x0, y0, x1, y1 in frame pixels")
    text: str | None = None
    label: str | None = None
    score: float | None = None
    translation: str | None = None


class Overlay(_Lenient):
    type: Literal["overlay"] = "overlay"
    frame_id: int
    width: int
    height: int
    items: list[OverlayItem]
    quality: list[str] = Field(default_factory=list, description="problems: dark, blurred…")
    errors: dict[str, str] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    dropped_frames: int = Field(0, description="frames replaced by newer ones before perception")


class ToolStarted(_Lenient):
    type: Literal["tool.started"] = "tool.started"
    call_id: str
    name: str
    detail: dict[str, Any] = Field(default_factory=dict)


class ToolFinished(_Lenient):
    type: Literal["tool.finished"] = "tool.finished"
    call_id: str
    name: str
    ok: bool
    detail: dict[str, Any] = Field(default_factory=dict)


class NotificationEvent(_Lenient):
    """A timer or reminder fell due while the session was open; its text is then spoken
    (answer audio follows, with no answer events around it)."""

    type: Literal["notification"] = "notification"
    kind: Literal["timer", "reminder"]
    title: str
    text: str = Field(description="the sentence that is spoken")
    due: str = Field(description="when it was due, local time, ISO 8601")
    late: bool = Field(False, description="it fell due while oculi was not running")


class MemoryState(_Lenient):
    """Whether live memory is recording this session (sent at start and on every change)."""

    type: Literal["memory.state"] = "memory.state"
    recording: bool
    reason: str = ""


class ConfirmRequest(_Lenient):
    """A tool call needs the wearer's consent; answer with `confirm.reply` within
    `timeout_s`, or it is declined."""

    type: Literal["confirm.request"] = "confirm.request"
    id: str
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    question: str
    timeout_s: float


class ErrorEvent(_Lenient):
    type: Literal["error"] = "error"
    code: str
    message: str
    hint: str | None = None
    fatal: bool = Field(False, description="the server closes the session after a fatal error")
    ref: str | None = Field(None, description="what it is about, e.g. 'frame:12'")


class Pong(_Lenient):
    type: Literal["pong"] = "pong"
    id: str | int | None = None


class SessionEnded(_Lenient):
    type: Literal["session.ended"] = "session.ended"
    reason: str = ""


ServerEvent = Annotated[
    SessionStarted | SessionStatus | SpeechStartedEvent | SpeechStoppedEvent | TranscriptPartial
    | TranscriptFinal | AnswerDelta | AnswerInterrupted | AnswerDone | Overlay | ToolStarted
    | ToolFinished | NotificationEvent | MemoryState | ConfirmRequest | ErrorEvent | Pong
    | SessionEnded,
    Field(discriminator="type"),
]


class AudioOut(BaseModel):
    """Answer audio as the client receives it (a parsed binary message from the server)."""

    type: Literal["answer.audio"] = "answer.audio"
    header: AudioHeader
    pcm: bytes
