"""The server side of one realtime connection: socket messages in, pipeline events out.

One session = one `oculi.assistant.Assistant` (the same conversation, tools, camera note
and memory as every other interface, answering through the server's chat scheduler), spoken
to through the voice pipeline (`oculi.voice.pipeline.VoicePipeline`) fed by a socket audio
source and writing answer audio to a socket sink, plus a `FrameWorker` that turns camera
frames into overlays and keeps the assistant's view current. This module only maps: socket
messages to the assistant, the assistant's events to `oculi.realtime/1` events. Every message is parsed by `wire.py`; a
bad one is answered with an `error` event and the session goes on. Only an unsupported
protocol version, a full server or missing models end it (a fatal error event, then close).

Everything sent goes through one queue drained by one writer task, so JSON events and binary
audio keep their order (an answer's text piece always precedes its audio) and worker threads
never touch the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from starlette.websockets import WebSocket, WebSocketDisconnect

from oculi.agent.events import AgentEvent, ToolCallFinished, ToolCallStarted
from oculi.assistant import Assistant, AssistantEvent, CurrentView, MemoryStateChanged
from oculi.assistant.events import NotificationFired
from oculi.assistant.session import arguments_dict, tool_summary
from oculi.assistant.view import ViewSnapshot
from oculi.assistant.voice import VoiceTurns
from oculi.errors import OculiError
from oculi.realtime.audio import SocketAudioSink, SocketAudioSource
from oculi.realtime.engine import ScheduledEngine
from oculi.realtime.errors import ProtocolError, RealtimeUnavailable
from oculi.realtime.frames import FrameWorker, Seen
from oculi.realtime.protocol import (
    PROTOCOL,
    AnswerDelta,
    AnswerDone,
    AnswerInterrupted,
    AudioFormat,
    AudioIn,
    Capabilities,
    ConfirmReply,
    ConfirmRequest,
    ErrorEvent,
    FrameIn,
    MemoryState,
    NotificationEvent,
    Ping,
    Pong,
    SessionEnd,
    SessionEnded,
    SessionStart,
    SessionStarted,
    SessionStatus,
    SpeechStartedEvent,
    SpeechStoppedEvent,
    TalkStart,
    TalkStop,
    ToolFinished,
    ToolStarted,
    TranscriptFinal,
    TranscriptPartial,
)
from oculi.realtime.runtime import RealtimeModels, RealtimeRuntime
from oculi.realtime.wire import MAX_TEXT_BYTES, encode_event, parse_client_binary, parse_client_text
from oculi.voice import frames as vf
from oculi.voice.pipeline import VoicePipeline
from oculi.voice.wakeword import ListenGate

log = logging.getLogger("oculi.realtime")

# WebSocket close codes (4000-4999 are the application's own).
CLOSE_NORMAL = 1000
CLOSE_VERSION = 4001
CLOSE_BUSY = 4003
CLOSE_UNAVAILABLE = 4004

TALK_STOP_SILENCE_S = 0.064  # two VAD frames: lets the pipeline act on the release at once
FRESH_TIMEOUT_S = 30.0  # perception of one frame takes well under this


class RealtimeSession:
    def __init__(self, ws: WebSocket, runtime: RealtimeRuntime) -> None:
        self.ws = ws
        self.runtime = runtime
        self.id = f"rt-{uuid.uuid4().hex[:16]}"
        self.loop = asyncio.get_running_loop()
        self.t0 = time.monotonic()
        self.start: SessionStart | None = None
        self.turn = 0
        self.answer_turn = 0
        self._out: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._close_code = CLOSE_NORMAL
        self._counted = False
        self._tasks: list[asyncio.Task[Any]] = []
        self.pipeline: VoicePipeline | None = None
        self.source: SocketAudioSource | None = None
        self.sink: SocketAudioSink | None = None
        self.frames: FrameWorker | None = None
        self.assistant: Assistant | None = None
        self.turns: VoiceTurns | None = None
        self.view: CurrentView | None = None
        self._confirms: dict[str, tuple[threading.Event, list[bool]]] = {}
        self._last_overrun = 0.0

    # ------------------------------------------------------------------ sending
    def emit(self, event: BaseModel) -> None:
        self._out.put_nowait(encode_event(event))

    def emit_threadsafe(self, event: BaseModel) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the session is over
            self.loop.call_soon_threadsafe(self.emit, event)

    def send_bytes_threadsafe(self, data: bytes) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._out.put_nowait, data)

    def _error(self, exc: OculiError, *, ref: str | None = None, fatal: bool = False) -> None:
        self.emit(ErrorEvent(code=exc.code, message=exc.message, hint=exc.hint,
                             fatal=fatal or bool(getattr(exc, "fatal", False)), ref=ref))

    async def _writer(self) -> None:
        while True:
            item = await self._out.get()
            if item is None:
                return
            try:
                if isinstance(item, str):
                    await self.ws.send_text(item)
                else:
                    await self.ws.send_bytes(item)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return  # the client is gone; the receive loop notices too

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        await self.ws.accept()
        writer = asyncio.create_task(self._writer(), name=f"{self.id}-writer")
        try:
            await self._receive_loop()
        finally:
            await self._stop()
            self._out.put_nowait(None)
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(writer, 10)
            with contextlib.suppress(Exception):
                await self.ws.close(self._close_code)

    async def _receive_loop(self) -> None:
        while True:
            try:
                msg = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if msg["type"] == "websocket.disconnect":
                return
            await asyncio.sleep(0)  # a flood of messages must not starve the pipeline
            try:
                if msg.get("text") is not None:
                    if await self._on_text(msg["text"]):
                        return
                elif msg.get("bytes") is not None:
                    self._on_bytes(msg["bytes"])
            except ProtocolError as exc:
                self._error(exc)
                if exc.fatal:
                    return
            except RealtimeUnavailable as exc:
                self._error(exc, fatal=True)
                self._close_code = CLOSE_UNAVAILABLE
                return
            except OculiError as exc:
                self._error(exc)
            except Exception as exc:
                log.exception("realtime session %s failed on a message", self.id)
                self.emit(ErrorEvent(code="internal_error", message=f"{type(exc).__name__}: {exc}"))

    async def _stop(self) -> None:
        if self.source is not None:
            self.source.close()
        if self.pipeline is not None:
            self.pipeline.interrupt()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        if self.pipeline is not None:
            self.pipeline.close()
        for event, _ in list(self._confirms.values()):
            event.set()  # a pending confirmation is declined: nobody is left to answer it
        if self.assistant is not None:
            assistant, self.assistant = self.assistant, None
            await asyncio.to_thread(assistant.close)
        if self._counted:
            self.runtime.sessions -= 1
            self._counted = False

    # ------------------------------------------------------------------ client messages
    async def _on_text(self, text: str) -> bool:
        """Handle one JSON event; True when the session should end."""
        event = parse_client_text(text, max_bytes=MAX_TEXT_BYTES)
        if isinstance(event, Ping):
            self.emit(Pong(id=event.id))
            return False
        if isinstance(event, SessionStart):
            await self._start_session(event)
            return False
        if isinstance(event, SessionEnd):
            self.emit(SessionEnded(reason="the client ended the session"))
            return True
        if self.pipeline is None or self.start is None or self.source is None:
            raise _not_started(event.type)  # type: ignore[attr-defined]
        if isinstance(event, ConfirmReply):
            self._on_confirm_reply(event)
            return False
        if isinstance(event, TalkStart | TalkStop) and self.start.mode != "push_to_talk":
            raise ProtocolError(f"'{event.type}' needs push-to-talk mode; this session is "
                                f"'{self.start.mode}'", code="not_push_to_talk",
                                hint='start the session with "mode": "push_to_talk"')
        if isinstance(event, TalkStart):
            self.source.push_control(self.pipeline.gate.press)
        elif isinstance(event, TalkStop):
            self.source.push_control(self.pipeline.release_push_to_talk)
            self.source.push_silence(TALK_STOP_SILENCE_S)
        return False

    def _on_bytes(self, data: bytes) -> None:
        msg = parse_client_binary(data)
        if self.start is None or self.source is None or self.frames is None:
            raise _not_started("binary")
        if isinstance(msg, AudioIn):
            self._on_audio(msg, self.start.audio, self.source)
        elif isinstance(msg, FrameIn):
            limit = self.runtime.settings.max_frame_bytes
            fid = msg.header.id
            if len(msg.jpeg) > limit:
                raise ProtocolError(f"frame {fid} is {len(msg.jpeg)} bytes, more than the "
                                    f"{limit}-byte limit", code="frame_too_large",
                                    hint="send a smaller JPEG (lower resolution or quality)")
            if not msg.jpeg:
                raise ProtocolError(f"frame {fid} has no JPEG payload", code="frame_empty",
                                    hint="put the JPEG bytes after the header")
            self.frames.offer(msg)

    def _on_audio(self, msg: AudioIn, fmt: AudioFormat, source: SocketAudioSource) -> None:
        h = msg.header
        for name, announced in (("rate", fmt.rate), ("channels", fmt.channels),
                                ("format", fmt.format)):
            value = getattr(h, name)
            if value is not None and value != announced:
                raise ProtocolError(
                    f"audio chunk says {name}={value} but the session was started with "
                    f"{name}={announced}; the chunk was dropped", code="audio_format_mismatch",
                    hint="send audio in the format announced in session.start (or start a "
                    "new session)")
        if len(msg.pcm) % (2 * fmt.channels):
            raise ProtocolError(f"audio chunk of {len(msg.pcm)} bytes is not whole 16-bit "
                                f"samples for {fmt.channels} channel(s); dropped",
                                code="audio_misaligned", hint="send whole samples per chunk")
        dropped = source.push_pcm(msg.pcm)
        if dropped and time.monotonic() - self._last_overrun > 1.0:
            self._last_overrun = time.monotonic()
            self.emit(ErrorEvent(code="audio_overrun",
                                 message=f"input audio arrives faster than it is processed; "
                                 f"{dropped / 16000:.2f} s of the oldest audio was dropped",
                                 hint="send audio at its real rate"))

    # ------------------------------------------------------------------ session start
    async def _start_session(self, event: SessionStart) -> None:
        if self.start is not None:
            raise ProtocolError("the session is already started", code="session_already_started",
                                hint="send session.start once per connection")
        if event.protocol != PROTOCOL:
            self._close_code = CLOSE_VERSION
            raise ProtocolError(f"protocol '{event.protocol[:64]}' is not supported",
                                hint=f"this server speaks {PROTOCOL}",
                                code="protocol_version_unsupported", fatal=True)
        rt = self.runtime
        if rt.chat is None:
            self._close_code = CLOSE_UNAVAILABLE
            raise ProtocolError("this server has no chat model, so it cannot answer",
                                code="chat_unavailable", fatal=True,
                                hint="start oculi serve with a chat model")
        if rt.sessions >= rt.settings.max_sessions:
            self._close_code = CLOSE_BUSY
            raise ProtocolError(f"all {rt.settings.max_sessions} realtime sessions are in use",
                                code="server_busy", fatal=True,
                                hint="try again later, or raise server.realtime.max_sessions")
        rt.sessions += 1
        self._counted = True
        was_loaded = rt.loaded
        models = await rt.models(lambda d: self.emit(SessionStatus(state="loading", detail=d)))
        if not was_loaded:
            self.emit(SessionStatus(state="ready", detail=f"models loaded in "
                                    f"{rt.load_seconds or 0:.1f} s"))
        self._build(event, models)
        self.start = event
        self.emit(SessionStarted(session_id=self.id, capabilities=self._capabilities(models)))
        recorder = self.assistant.live_memory if self.assistant is not None else None
        recording = await asyncio.to_thread(lambda: recorder is not None and recorder.recording)
        self.emit(MemoryState(recording=recording,
                              reason="live memory" if recording else
                              ("paused" if recorder is not None else "off for this server")))
        if models.perception_error and event.overlay:
            self.emit(ErrorEvent(code="overlay_unavailable", message=models.perception_error,
                                 hint="overlays are off for this session; voice still works"))

    def _build(self, event: SessionStart, models: RealtimeModels) -> None:
        rt = self.runtime
        assert rt.chat is not None
        voice = rt.voice.model_copy(update={"output_chunk_ms": rt.settings.output_chunk_ms})
        self.source = SocketAudioSource(event.audio.rate, event.audio.channels,
                                        max_seconds=rt.settings.audio_queue_seconds)
        self.sink = SocketAudioSink(self.send_bytes_threadsafe)
        self.frames = FrameWorker(models.perceiver, rt.perception_x, self.emit,
                                  interval_s=rt.settings.overlay_interval_s,
                                  max_pixels=rt.settings.max_frame_pixels,
                                  max_age_s=rt.settings.frame_max_age_s, overlay=event.overlay,
                                  on_seen=self._on_seen)
        engine = ScheduledEngine(rt.chat, self.loop)
        if models.perceiver is not None:
            self.view = CurrentView(has_detector=bool(getattr(models.perceiver, "has_objects", False)),
                                    max_age_s=rt.settings.frame_max_age_s)
            self.view.set_fresh(self._fresh_view)
        host = rt.assistant_host(self.loop)
        self.assistant = host.session(engine, view=self.view, live_memory=rt.settings.live_memory,
                                      confirm=self._confirm, max_tokens=voice.max_answer_tokens)
        self.assistant.subscribe(self._on_assistant_event)
        self.turns = VoiceTurns(self.assistant, on_event=self._on_agent_event)
        self.pipeline = VoicePipeline(
            settings=voice, vad=models.new_vad(), stt=models.stt, tts=models.tts,
            agent=self.turns, sink=self.sink, gate=ListenGate(event.mode, voice),
            on_event=self._on_voice_event, realtime_output=False,
        )
        self._tasks = [
            asyncio.create_task(self._run_pipeline(), name=f"{self.id}-voice"),
            asyncio.create_task(self.frames.run(), name=f"{self.id}-frames"),
            # the instructions and tool list, read into an idle slot before the first question
            asyncio.create_task(asyncio.to_thread(self.assistant.warm_up), name=f"{self.id}-warm"),
        ]

    # ------------------------------------------------------------------ the assistant's side
    def _on_seen(self, seen: Seen) -> None:
        """A frame was perceived (perception thread): it is the assistant's view now."""
        if self.view is None:
            return
        snap = self.view.update(seen.frame_id, seen.frame, seen.perception, seen.at)
        if self.assistant is not None and self.assistant.live_memory is not None:
            self.assistant.live_memory.saw(snap)

    def _fresh_view(self) -> ViewSnapshot | None:
        """Called from the assistant's thread: wait for a frame being perceived right now."""
        if self.frames is None or self.view is None:
            return None
        fut = asyncio.run_coroutine_threadsafe(self.frames.fresh(), self.loop)
        fut.result(timeout=FRESH_TIMEOUT_S)
        return self.view.latest()

    def _on_agent_event(self, ev: AgentEvent) -> None:
        """Tool activity of a turn (assistant thread) → tool.started / tool.finished."""
        if isinstance(ev, ToolCallStarted):
            self.emit_threadsafe(ToolStarted(call_id=ev.call_id, name=ev.name,
                                             detail={"arguments": arguments_dict(ev.arguments)}))
        elif isinstance(ev, ToolCallFinished):
            detail: dict[str, Any] = {"summary": tool_summary(ev.content),
                                      "seconds": round(ev.seconds, 3)}
            if ev.error_code:
                detail["error_code"] = ev.error_code
            self.emit_threadsafe(ToolFinished(call_id=ev.call_id, name=ev.name, ok=ev.ok,
                                              detail=detail))

    def _on_assistant_event(self, ev: AssistantEvent) -> None:
        """Pushed outside turns (scheduler or tool thread): notifications, memory state."""
        if isinstance(ev, NotificationFired):
            n = ev.notification
            self.emit_threadsafe(NotificationEvent(
                kind=n.kind, title=n.title, text=n.text, late=n.late_seconds > 5,
                due=datetime.fromtimestamp(n.due_at).astimezone().isoformat(timespec="seconds")))
            if self.pipeline is not None:
                self.pipeline.announce(n.text)
        elif isinstance(ev, MemoryStateChanged):
            self.emit_threadsafe(MemoryState(recording=ev.recording, reason=ev.reason))

    def _confirm(self, request: Any) -> bool:
        """A tool needs consent (tool thread): ask the client and wait for its reply."""
        rid = f"cf-{uuid.uuid4().hex[:12]}"
        done, answer = threading.Event(), [False]
        self._confirms[rid] = (done, answer)
        timeout = self.runtime.settings.confirm_timeout_s
        self.emit_threadsafe(ConfirmRequest(id=rid, tool=request.tool,
                                            arguments=dict(request.arguments),
                                            question=f"Allow {request.summary()}?",
                                            timeout_s=timeout))
        try:
            done.wait(timeout)
            return answer[0]
        finally:
            self._confirms.pop(rid, None)

    def _on_confirm_reply(self, event: ConfirmReply) -> None:
        pending = self._confirms.get(event.id)
        if pending is None:
            raise ProtocolError(f"no confirmation '{event.id[:64]}' is waiting (answered, "
                                "timed out or never asked)", code="unknown_confirmation",
                                hint="reply to the id of a confirm.request, once")
        done, answer = pending
        answer[0] = event.approved
        done.set()

    async def _run_pipeline(self) -> None:
        assert self.pipeline is not None and self.source is not None
        try:
            await self.pipeline.run(self.source)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("voice pipeline of %s stopped", self.id)
            self.emit(ErrorEvent(code="voice_failed", message=f"{type(exc).__name__}: {exc}",
                                 hint="start a new session"))

    def _capabilities(self, models: RealtimeModels) -> Capabilities:
        rt = self.runtime
        overlay = []
        if models.perceiver is not None:
            names = {s.name for s in models.perceiver.steps}
            overlay = [k for k, step in (("text", "ocr"), ("codes", "codes"), ("faces", "faces"),
                                         ("objects", "objects")) if step in names]
        assert self.start is not None
        return Capabilities(
            audio_in=self.start.audio,
            audio_out=AudioFormat(rate=models.tts.sample_rate, channels=1),
            modes=["push_to_talk", "open"],
            max_frame_bytes=rt.settings.max_frame_bytes,
            max_text_bytes=MAX_TEXT_BYTES,
            overlay=overlay,
            overlay_interval_s=rt.settings.overlay_interval_s,
            models={"chat": rt.chat_model, "stt": rt.voice.stt_model, "vad": "silero-vad",
                    "tts": "hibari-tts"},
        )

    # ------------------------------------------------------------------ pipeline events
    def _on_voice_event(self, ev: vf.Event) -> None:
        if isinstance(ev, vf.SpeechStarted):
            self.turn += 1
            self.emit(SpeechStartedEvent(turn=self.turn, t=round(ev.at - self.t0, 3)))
        elif isinstance(ev, vf.SpeechStopped):
            self.emit(SpeechStoppedEvent(turn=self.turn, t=round(ev.at - self.t0, 3)))
        elif isinstance(ev, vf.PartialTranscript):
            self.emit(TranscriptPartial(turn=self.turn, text=ev.text))
        elif isinstance(ev, vf.FinalTranscript):
            self.answer_turn = self.turn
            if self.sink is not None:
                self.sink.turn = self.turn
            self.emit(TranscriptFinal(turn=self.turn, text=ev.text))
        elif isinstance(ev, vf.AnswerText):
            self.emit(AnswerDelta(turn=self.answer_turn, text=ev.text))
        elif isinstance(ev, vf.Interrupted):
            self.emit(AnswerInterrupted(turn=self.answer_turn, spoken_text=ev.spoken_text))
        elif isinstance(ev, vf.TurnDone):
            frame_id = self.turns.last_frame_id if self.turns else None
            self.emit(AnswerDone(turn=self.answer_turn, transcript=ev.transcript,
                                 answer=ev.answer, full_answer=ev.full_answer,
                                 interrupted=ev.latency.interrupted, frame_id=frame_id,
                                 latency=ev.latency.as_dict()))
        elif isinstance(ev, vf.ErrorFrame):
            self.emit(ErrorEvent(code=ev.code, message=ev.message, hint=ev.hint,
                                 ref=f"turn:{self.turn}"))


def _not_started(what: str) -> ProtocolError:
    return ProtocolError(f"'{what}' before session.start; the message was ignored",
                         code="session_not_started",
                         hint=f'send {{"type": "session.start", "protocol": "{PROTOCOL}"}} first')
