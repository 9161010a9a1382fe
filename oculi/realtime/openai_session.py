"""One connection speaking the OpenAI Realtime API (GA events), served by the one Assistant.

Apps written for OpenAI's API (the official SDKs' `client.realtime.connect(...)`, framework
plugins) run on oculi unchanged. The conversation is the same `oculi.assistant.Assistant`
as every other interface: its history, tools, camera note (fed by `input_image` parts) and
memory. This module only maps the API's events to it:

    conversation.item.create (input_text / input_image / input_audio) ─┐
    input_audio_buffer.append … commit ──► Whisper (16 kHz) ───────────┴► pending user words
    response.create ──► Assistant.turn() ──► response.output_text.delta           (text)
                                         └─► chunker ► hibari ► response.output_audio.delta
                                                               + output_audio_transcript.delta

Turn detection starts as the client's (`turn_detection: null`: audio is answered after
`commit` and `response.create`); `server_vad` runs oculi's Silero VAD and end-of-turn rule
(`TurnDetector`) on a worker thread, commits each spoken turn, answers it, and cancels an
answer the user talks over (barge-in, `status_details.reason: turn_detected`). Fields oculi cannot honour are refused
with an `error` event naming them; a bad event never ends the session. Inference, speech
recognition, synthesis and perception all run on worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import queue
import threading
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from oculi.agent.events import AgentDone, AnswerDelta, ToolCallStarted
from oculi.agent.prompt import system_prompt
from oculi.assistant import Assistant, CurrentView
from oculi.assistant.host import _custom_system
from oculi.assistant.prompt import assistant_system
from oculi.assistant.session import TurnResult
from oculi.errors import OculiError
from oculi.realtime.engine import ScheduledEngine
from oculi.realtime.openai_protocol import (
    OUTPUT_RATE,
    AudioAppend,
    AudioClear,
    AudioCommit,
    EventError,
    ItemCreate,
    ItemTruncate,
    MessageItem,
    ResponseCancel,
    ResponseCreate,
    SessionConfig,
    SessionUpdate,
    ToolChoiceFunction,
    error_event,
    new_id,
    parse_client_event,
    server_event,
)
from oculi.realtime.runtime import RealtimeModels, RealtimeRuntime
from oculi.vision.decode import decode_image_bytes
from oculi.vision.frame import Frame
from oculi.voice.audio_in import float_to_pcm16, pcm16_to_float, resample
from oculi.voice.sources import StreamResampler
from oculi.voice.tts import SentenceChunker
from oculi.voice.vad import TurnDetector, VadEvent

log = logging.getLogger("oculi.realtime")

INPUT_RATE = 24_000
MAX_BUFFER_S = 120.0  # the input audio buffer; more is refused rather than kept
MIN_COMMIT_S = 0.1  # OpenAI's rule: a commit needs at least 100 ms of audio
CLOSE_UNAVAILABLE = 4004


def openai_requested(query: dict[str, str]) -> bool:
    """How /v1/realtime tells the two protocols apart at connect: OpenAI's clients always
    put `model` in the query string; oculi's own clients never do (they send session.start)."""
    return "model" in query


class OpenAIRealtimeSession:
    def __init__(self, ws: WebSocket, runtime: RealtimeRuntime, model: str) -> None:
        self.ws, self.runtime, self.model = ws, runtime, model
        self.id = new_id("sess")
        self.loop = asyncio.get_running_loop()
        self._out: asyncio.Queue[str | None] = asyncio.Queue()
        self.models: RealtimeModels | None = None
        self.assistant: Assistant | None = None
        self.view: CurrentView | None = None
        self.instructions: str | None = None
        self.modalities: list[str] = ["audio"]
        self.transcription: dict[str, Any] | None = None
        self._resampler = StreamResampler(INPUT_RATE, 1)
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self._pending: list[Awaitable[str] | str] = []  # user words not yet answered
        self._last_item: str | None = None
        self._response: asyncio.Task[None] | None = None
        self._cancel = threading.Event()
        self._frames = 0
        self._counted = False
        self._answers: dict[str, str] = {}  # assistant item id → its transcript (truncate)
        self._calls: dict[str, str] = {}  # call_id → tool name, awaiting function_call_output
        self._resume = False  # a function_call_output came: the next response goes on from it
        self._tools: list[dict[str, Any]] = []
        self._tool_choice: str | dict[str, Any] = "auto"
        self._turn_detection: dict[str, Any] | None = None
        self._detector: TurnDetector | None = None  # server_vad: oculi's VAD + end-of-turn rule
        self._vad_x: ThreadPoolExecutor | None = None
        self._audio_s = 0.0  # seconds of input audio received (the VAD's clock)
        self._speech_item: str | None = None
        self._cancel_reason = "client_cancelled"
        self._base_system: str | None = None

    # ------------------------------------------------------------------ sending
    def emit(self, event: dict[str, Any]) -> None:
        self._out.put_nowait(json.dumps(event, ensure_ascii=False))

    def emit_threadsafe(self, event: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the session is over
            self.loop.call_soon_threadsafe(self.emit, event)

    def _error(self, exc: OculiError, event_id: str | None = None) -> None:
        message = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        self.emit(error_event(message, code=exc.code, param=getattr(exc, "param", None),
                              event_id=getattr(exc, "event_id", None) or event_id))

    async def _writer(self) -> None:
        while (item := await self._out.get()) is not None:
            try:
                await self.ws.send_text(item)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        await self.ws.accept()
        writer = asyncio.create_task(self._writer(), name=f"{self.id}-writer")
        try:
            if await self._open():
                await self._receive_loop()
        finally:
            await self._stop()
            self._out.put_nowait(None)
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(writer, 10)
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def _open(self) -> bool:
        rt = self.runtime
        if rt.chat is None:
            self.emit(error_event("this server has no chat model, so it cannot answer",
                                  code="chat_unavailable", kind="server_error"))
            return False
        if rt.sessions >= rt.settings.max_sessions:
            self.emit(error_event(f"all {rt.settings.max_sessions} realtime sessions are in use",
                                  code="server_busy", kind="server_error"))
            return False
        rt.sessions += 1
        self._counted = True
        try:
            self.models = await rt.models(lambda detail: log.info("%s", detail))
        except OculiError as exc:
            self._error(exc)
            return False
        host = rt.assistant_host(self.loop)
        assert rt.chat is not None
        # No view until the first input_image: a client that sends no pictures has no camera,
        # and the model is told so (the camera instructions would only distract it).
        self.assistant = host.session(ScheduledEngine(rt.chat, self.loop), view=None,
                                      live_memory=rt.settings.live_memory,
                                      max_tokens=rt.voice.max_answer_tokens, look_tools=False)
        self.assistant.blind_note = False  # the instructions say there is no camera; see Assistant
        self._base_system = _custom_system(host.settings.llm)
        self.emit(server_event("session.created", session=self._session_dict()))
        return True

    async def _stop(self) -> None:
        self._cancel.set()
        if self._response is not None:
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._response), 30)
        if self._vad_x is not None:
            self._vad_x.shutdown(wait=False, cancel_futures=True)
        if self.assistant is not None:
            assistant, self.assistant = self.assistant, None
            await asyncio.to_thread(assistant.close)
        if self._counted:
            self.runtime.sessions -= 1
            self._counted = False

    async def _receive_loop(self) -> None:
        while True:
            try:
                msg = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if msg["type"] == "websocket.disconnect":
                return
            await asyncio.sleep(0)
            event_id = None
            try:
                if msg.get("text") is None:
                    raise EventError("binary messages are not part of this API; send audio as "
                                     "base64 in input_audio_buffer.append", code="invalid_message")
                event = parse_client_event(msg["text"])
                event_id = event.event_id
                await self._on_event(event)
            except OculiError as exc:
                self._error(exc, event_id)
            except Exception as exc:
                log.exception("openai realtime session %s failed on an event", self.id)
                self.emit(error_event(f"{type(exc).__name__}: {exc}", code="internal_error",
                                      event_id=event_id, kind="server_error"))

    # ------------------------------------------------------------------ client events
    async def _on_event(self, event: Any) -> None:
        if isinstance(event, SessionUpdate):
            self._update(event.session)
            self.emit(server_event("session.updated", session=self._session_dict()))
        elif isinstance(event, AudioAppend):
            self._append(event.audio)
        elif isinstance(event, AudioCommit):
            self._commit()
        elif isinstance(event, AudioClear):
            self._buffer, self._buffered = [], 0
            self.emit(server_event("input_audio_buffer.cleared"))
        elif isinstance(event, ItemCreate):
            await self._create_item(event)
        elif isinstance(event, ResponseCreate):
            self._create_response(event)
        elif isinstance(event, ResponseCancel):
            if self._response is None or self._response.done():
                raise EventError("there is no response in progress to cancel",
                                 code="response_cancel_not_active")
            self._cancel.set()
        elif isinstance(event, ItemTruncate):
            await self._truncate(event)

    def _update(self, cfg: SessionConfig) -> None:
        """Check everything first, then apply: a refused update changes nothing."""
        if cfg.model is not None and cfg.model != self.model:
            raise EventError("the model is chosen at connect (the `model` query parameter)",
                             code="unsupported_value", param="session.model")
        audio = cfg.audio
        fmts = []
        if audio is not None:
            fmts = [("session.audio.input.format", audio.input.format if audio.input else None),
                    ("session.audio.output.format", audio.output.format if audio.output else None)]
        for param, fmt in fmts:
            if fmt is not None and (fmt.type not in (None, "audio/pcm")
                                    or fmt.rate not in (None, OUTPUT_RATE)):
                raise EventError(f"only audio/pcm at {OUTPUT_RATE} Hz is supported, not "
                                 f"{fmt.type or 'audio/pcm'} at {fmt.rate or OUTPUT_RATE} Hz",
                                 code="unsupported_value", param=param)
        td = audio.input.turn_detection if audio is not None and audio.input is not None else None
        if td is not None:
            for name in ("idle_timeout_ms", "eagerness"):
                if getattr(td, name) is not None:
                    raise EventError(f"turn_detection.{name} is not supported",
                                     code="unsupported_value",
                                     param=f"session.audio.input.turn_detection.{name}")
            if td.type != "server_vad":
                raise EventError("turn_detection is null or server_vad (oculi's VAD and "
                                 "end-of-turn rule)", code="unsupported_value",
                                 param="session.audio.input.turn_detection.type")
            if td.silence_duration_ms is not None and not 100 <= td.silence_duration_ms <= 5000:
                raise EventError("silence_duration_ms is between 100 and 5000",
                                 code="invalid_value",
                                 param="session.audio.input.turn_detection.silence_duration_ms")
        server_tools = {t.name for t in self.assistant.registry.tools()} if self.assistant else set()
        for i, tool in enumerate(cfg.tools or ()):
            if tool.name in server_tools:
                raise EventError(f"'{tool.name}' is the name of one of oculi's own tools",
                                 code="invalid_value", param=f"session.tools.{i}.name",
                                 hint="give the client tool another name")
        choice = cfg.tool_choice
        if isinstance(choice, ToolChoiceFunction):
            client = ({t.name for t in cfg.tools} if cfg.tools is not None else
                      set(self.assistant.agent.client_tools) if self.assistant else set())
            if choice.name not in server_tools | client:
                raise EventError(f"tool_choice names '{choice.name}', which is not among the "
                                 "session's tools", code="invalid_value",
                                 param="session.tool_choice.name",
                                 hint="name one of session.tools or of oculi's own tools")
        if cfg.output_modalities is not None and len(cfg.output_modalities) != 1:
            raise EventError('output_modalities is ["text"] or ["audio"] (audio comes with its '
                             "transcript)", code="invalid_value", param="session.output_modalities")
        if cfg.instructions is not None and self.assistant is not None:
            self.instructions = cfg.instructions
            self._apply_system()
        if cfg.output_modalities is not None:
            self.modalities = list(cfg.output_modalities)
        if audio is not None and audio.input is not None and "turn_detection" in audio.input.model_fields_set:
            self._set_turn_detection(td)
        if cfg.tools is not None and self.assistant is not None:
            self._tools = [t.model_dump(exclude_none=True) for t in cfg.tools]
            self.assistant.agent.client_tools = {t.name: {"type": "function", "function": {
                "name": t.name, "description": t.description or "",
                "parameters": t.parameters or {"type": "object", "properties": {}}}}
                for t in cfg.tools}
        if choice is not None and self.assistant is not None:
            # "none": replies in words only, and nothing runs (see LlamaEngine.stream_chat)
            self._tool_choice = choice.model_dump() if isinstance(choice, ToolChoiceFunction) else choice
            self.assistant.agent.tool_choice = (
                {"type": "function", "function": {"name": choice.name}}
                if isinstance(choice, ToolChoiceFunction) else choice)
        if audio is not None and audio.input is not None and "transcription" in audio.input.model_fields_set:
            t = audio.input.transcription
            self.transcription = None if t is None else {"model": t.model or "whisper"}

    def _apply_system(self) -> None:
        """The assistant's instructions for what this session has now: the client's
        `instructions` (else the server's) as the identity, then camera and memory lines."""
        assert self.assistant is not None
        base = self.instructions or self._base_system
        self.assistant.agent.system = system_prompt(assistant_system(base, self.assistant.caps))

    def _session_dict(self) -> dict[str, Any]:
        pcm = {"type": "audio/pcm", "rate": OUTPUT_RATE}
        return {
            "type": "realtime", "object": "realtime.session", "id": self.id, "model": self.model,
            "instructions": self.instructions or "", "output_modalities": self.modalities,
            "audio": {"input": {"format": pcm, "transcription": self.transcription,
                                "turn_detection": self._turn_detection,
                                "noise_reduction": None},
                      "output": {"format": pcm, "voice": "hibari", "speed": 1.0}},
            "tools": self._tools, "tool_choice": self._tool_choice, "max_output_tokens": "inf",
        }

    # ------------------------------------------------------------------ input audio
    def _append(self, b64: str) -> None:
        pcm = _b64(b64, "audio")
        if len(pcm) % 2:
            raise EventError(f"audio of {len(pcm)} bytes is not whole 16-bit samples",
                             code="invalid_value", param="audio")
        samples = self._resampler(pcm16_to_float(pcm))
        if (self._buffered + len(samples)) / 16_000 > MAX_BUFFER_S:
            raise EventError(f"the input audio buffer holds at most {MAX_BUFFER_S:.0f} s; this "
                             "chunk was dropped", code="input_audio_buffer_full",
                             hint="commit or clear the buffer")
        self._audio_s += len(samples) / 16_000
        if self._detector is not None and self._vad_x is not None:  # the VAD keeps the turn
            fut = self.loop.run_in_executor(self._vad_x, self._detector.push, samples, self._audio_s)
            fut.add_done_callback(self._on_vad)
            return
        self._buffer.append(samples)
        self._buffered += len(samples)

    # ------------------------------------------------------------------ server_vad
    def _set_turn_detection(self, td: Any) -> None:
        if td is None:
            self._turn_detection, self._detector = None, None
            return
        assert self.models is not None
        voice = self.runtime.voice
        update: dict[str, Any] = {}
        if td.silence_duration_ms is not None:
            update["end_of_turn_silence_ms"] = td.silence_duration_ms
        if td.prefix_padding_ms is not None:
            update["pre_speech_ms"] = max(0, td.prefix_padding_ms)
        if td.threshold is not None:
            update["vad_threshold"] = min(0.95, max(0.05, td.threshold))
        voice = voice.model_copy(update=update)
        self._turn_detection = {
            "type": "server_vad", "threshold": voice.vad_threshold,
            "silence_duration_ms": voice.end_of_turn_silence_ms,
            "prefix_padding_ms": voice.pre_speech_ms,
            "create_response": td.create_response is not False,
            "interrupt_response": td.interrupt_response is not False, "idle_timeout_ms": None}
        if self._vad_x is None:
            self._vad_x = ThreadPoolExecutor(1, thread_name_prefix=f"{self.id}-vad")
        self._detector = TurnDetector(self.models.new_vad(), voice)

    def _on_vad(self, fut: asyncio.Future[list[VadEvent]]) -> None:
        """VAD results, in order, on the loop: speech started (barge-in) / stopped (commit)."""
        if fut.cancelled() or self._turn_detection is None:
            return
        try:
            events = fut.result()
        except Exception as exc:
            log.exception("VAD failed in %s", self.id)
            self.emit(error_event(f"voice activity detection failed: {exc}", code="vad_failed",
                                  kind="server_error"))
            return
        td = self._turn_detection
        for ev in events:
            if ev.kind == "start":
                self._speech_item = new_id("item")
                self.emit(server_event("input_audio_buffer.speech_started",
                                       audio_start_ms=int(ev.at * 1000), item_id=self._speech_item))
                if td["interrupt_response"] and self._response is not None \
                        and not self._response.done():
                    self._cancel_reason = "turn_detected"  # barge-in
                    self._cancel.set()
            elif ev.kind == "end" and ev.audio is not None:
                item_id = self._speech_item or new_id("item")
                self._speech_item = None
                self.emit(server_event("input_audio_buffer.speech_stopped",
                                       audio_end_ms=int(ev.at * 1000), item_id=item_id))
                self._buffer, self._buffered = [], 0
                self.emit(server_event("input_audio_buffer.committed", item_id=item_id,
                                       previous_item_id=self._last_item))
                self._add_user_audio(item_id, ev.audio)
                if td["create_response"]:
                    self.loop.create_task(self._auto_response())

    async def _auto_response(self) -> None:
        """server_vad's own response.create, once a barged-in answer has wound down."""
        if self._response is not None and not self._response.done():
            if self._turn_detection is not None and self._turn_detection["interrupt_response"]:
                self._cancel.set()
            with contextlib.suppress(Exception):
                await self._response
        try:
            self._create_response(ResponseCreate(type="response.create"))
        except OculiError as exc:
            self._error(exc)

    def _commit(self) -> None:
        if self._detector is not None:
            raise EventError("with server_vad the server commits at the end of each spoken turn",
                             code="input_audio_buffer_commit_unsupported",
                             hint="set turn_detection to null to commit yourself")
        if self._buffered < MIN_COMMIT_S * 16_000:
            raise EventError(f"buffer too small: at least {MIN_COMMIT_S * 1000:.0f} ms of audio "
                             f"is needed, it holds {self._buffered / 16:.0f} ms",
                             code="input_audio_buffer_commit_empty")
        audio = np.concatenate(self._buffer)
        self._buffer, self._buffered = [], 0
        self._resampler = StreamResampler(INPUT_RATE, 1)  # the next utterance starts afresh
        item_id = new_id("item")
        self.emit(server_event("input_audio_buffer.committed", item_id=item_id,
                               previous_item_id=self._last_item))
        self._add_user_audio(item_id, audio)

    def _add_user_audio(self, item_id: str, audio: np.ndarray) -> None:
        """A spoken user item: transcribed now on a worker thread; the words join the turn."""
        self._item_added({"id": item_id, "type": "message", "role": "user",
                          "content": [{"type": "input_audio", "transcript": None}]})
        assert self.models is not None
        stt = self.models.stt
        seconds = len(audio) / 16_000

        async def transcribe() -> str:
            text = (await asyncio.to_thread(stt.transcribe, audio)).strip()
            self.emit(server_event(
                "conversation.item.input_audio_transcription.completed", item_id=item_id,
                content_index=0, transcript=text,
                usage={"type": "duration", "seconds": round(seconds, 3)}))
            return text

        self._pending.append(asyncio.ensure_future(transcribe()))

    def _item_added(self, item: dict[str, Any]) -> None:
        item = {"object": "realtime.item", "status": "completed", **item}
        self.emit(server_event("conversation.item.added", item=item,
                               previous_item_id=self._last_item))
        self.emit(server_event("conversation.item.done", item=item,
                               previous_item_id=self._last_item))
        self._last_item = item["id"]

    # ------------------------------------------------------------------ items
    async def _create_item(self, event: ItemCreate) -> None:
        item = event.item
        if not isinstance(item, MessageItem):  # a function_call_output
            name = self._calls.pop(item.call_id, None)
            if name is None or self.assistant is None:
                raise EventError(f"no function call '{item.call_id[:64]}' is waiting for its "
                                 "output", code="invalid_value", param="item.call_id")
            self.assistant.add_tool_result(item.call_id, name, item.output)
            self._resume = True
            self._item_added({"id": item.id or new_id("item"), "type": "function_call_output",
                              "call_id": item.call_id, "output": item.output})
            return
        if item.role != "user":
            raise EventError(f"only user messages can be added (a '{item.role}' message would "
                             "be put in the model's mouth); use session.update instructions",
                             code="unsupported_value", param="item.role")
        if not item.content:
            raise EventError("a message needs at least one content part", code="invalid_value",
                             param="item.content")
        item_id = item.id or new_id("item")
        words: list[str] = []
        audio: np.ndarray | None = None
        image: bytes | None = None
        for i, part in enumerate(item.content):
            if part.type == "input_text" and part.text is not None:
                words.append(part.text)
            elif part.type == "input_audio" and part.audio is not None:
                pcm = _b64(part.audio, f"item.content.{i}.audio")
                audio = StreamResampler(INPUT_RATE, 1)(pcm16_to_float(pcm[: len(pcm) // 2 * 2]))
            elif part.type == "input_image" and part.image_url is not None:
                image = _data_uri(part.image_url, f"item.content.{i}.image_url")
            else:
                raise EventError(f"content part {i} of type '{part.type}' needs its "
                                 f"{ {'input_text': 'text', 'input_audio': 'audio'}.get(part.type, 'image_url') }"
                                 " field (output parts are the assistant's)",
                                 code="invalid_value", param=f"item.content.{i}")
        if image is not None:
            limit = self.runtime.settings.max_frame_bytes
            if len(image) > limit:
                raise EventError(f"the image is {len(image)} bytes, more than the {limit}-byte "
                                 "limit", code="image_too_large", param="item.content",
                                 hint="send a smaller JPEG")
            self._pending.append(asyncio.ensure_future(self._look(image)))
        if words:
            self._pending.append(" ".join(words))
        if audio is not None:
            self._add_user_audio(item_id, audio)
            return
        self._item_added({"id": item_id, "type": "message", "role": "user",
                          "content": [p.model_dump(exclude_none=True) for p in item.content]})

    def _camera(self) -> CurrentView:
        """The session's view, made at the first image: from then on the assistant has a
        camera (its instructions say so) and the image's findings are its camera note."""
        assert self.assistant is not None and self.models is not None
        if self.view is None:
            perceiver = self.models.perceiver
            self.view = CurrentView(has_detector=bool(getattr(perceiver, "has_objects", False)),
                                    max_age_s=float("inf"))
            self.assistant.view = self.view
            self.assistant.caps = replace(self.assistant.caps, camera=True)
            self._apply_system()
        return self.view

    async def _look(self, data: bytes) -> str:
        """An input_image: decoded (size limits), perceived, and made the assistant's view."""
        if self.models is None or self.models.perceiver is None:
            raise EventError("this server cannot look at images (perception did not load)",
                             code="image_unavailable")
        rt, perceiver, view = self.runtime, self.models.perceiver, self._camera()
        self._frames += 1
        fid = self._frames

        def perceive() -> None:
            image = decode_image_bytes(data, name=f"image {fid}", max_pixels=rt.settings.max_frame_pixels)
            frame = Frame(image=image, timestamp=0.0, source="openai-realtime", index=fid)
            view.update(fid, frame, perceiver.perceive(image))

        await asyncio.wrap_future(rt.perception_x.submit(perceive))
        return ""

    async def _truncate(self, event: ItemTruncate) -> None:
        """The client stopped playing an answer: the history keeps only what was heard."""
        said = self._answers.get(event.item_id)
        if said is None or self.assistant is None:
            raise EventError(f"no assistant audio item '{event.item_id[:64]}'",
                             code="item_truncate_invalid_item_id", param="item_id")
        heard = _heard(said, event.audio_end_ms)
        history = self.assistant.history
        for m in reversed(history):
            if m.role == "assistant" and not m.tool_calls and (m.content or "") == said.strip():
                m.content = heard
                break
        self._answers[event.item_id] = heard
        self.emit(server_event("conversation.item.truncated", item_id=event.item_id,
                               content_index=event.content_index, audio_end_ms=event.audio_end_ms))

    # ------------------------------------------------------------------ responses
    def _create_response(self, event: ResponseCreate) -> None:
        if self._response is not None and not self._response.done():
            raise EventError("the conversation already has an active response",
                             code="conversation_already_has_active_response")
        params = event.response
        if params is not None and params.instructions is not None:
            raise EventError("per-response instructions are not supported; use session.update",
                             code="unsupported_value", param="response.instructions")
        modalities = list(params.output_modalities) if params and params.output_modalities \
            else list(self.modalities)
        if len(modalities) != 1:
            raise EventError('output_modalities is ["text"] or ["audio"]', code="invalid_value",
                             param="response.output_modalities")
        pending, self._pending = self._pending, []
        self._cancel = threading.Event()
        self._cancel_reason = "client_cancelled"
        metadata = params.metadata if params is not None else None
        self._response = asyncio.create_task(self._respond(pending, modalities[0], metadata))

    async def _respond(self, pending: list[Awaitable[str] | str], modality: str,
                       metadata: dict[str, str] | None) -> None:
        rid = new_id("resp")
        base = {"object": "realtime.response", "id": rid, "conversation_id": self.id,
                "output_modalities": [modality], "metadata": metadata,
                "audio": {"output": {"format": {"type": "audio/pcm", "rate": OUTPUT_RATE},
                                     "voice": "hibari"}}}
        self.emit(server_event("response.created",
                               response={**base, "status": "in_progress", "output": []}))
        words: list[str] = []
        try:
            for p in pending:
                text = p if isinstance(p, str) else await p
                if text:
                    words.append(text)
        except OculiError as exc:
            self._error(exc)
            self.emit(server_event("response.done", response={
                **base, "status": "failed", "output": [], "status_details": {
                    "type": "failed", "error": {"type": "invalid_request_error", "code": exc.code}}}))
            return
        question = " ".join(words).strip()
        resume, self._resume = self._resume and not question, False
        if not question and not resume:
            self._error(EventError("nothing to answer: add a user message, commit audio or "
                                   "add a function_call_output before response.create",
                                   code="no_user_input"))
            self.emit(server_event("response.done", response={**base, "status": "failed",
                                                               "output": []}))
            return
        assert self.assistant is not None and self.models is not None
        answer = _Answer(self, rid, modality, self.models)
        done = await asyncio.to_thread(answer.run, question, self._cancel, resume)
        status = "cancelled" if self._cancel.is_set() else "completed"
        if answer.message is not None:
            self._finish_message(answer)
        for call in answer.calls:
            self._calls[call["call_id"]] = call["name"]
        usage = done.usage if done is not None else None
        details: dict[str, Any] | None = None
        if status == "cancelled":
            details = {"type": "cancelled", "reason": self._cancel_reason}
        self.emit(server_event("response.done", response={
            **base, "status": status, "status_details": details, "output": answer.output,
            "usage": None if usage is None else {
                "total_tokens": usage.total_tokens, "input_tokens": usage.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "input_token_details": {"cached_tokens": usage.cached_prompt_tokens,
                                        "text_tokens": usage.prompt_tokens, "audio_tokens": 0,
                                        "image_tokens": 0},
                "output_token_details": {"text_tokens": usage.completion_tokens,
                                         "audio_tokens": 0}}}))

    def _finish_message(self, answer: _Answer) -> None:
        """The done events of the answer's message item (its words, or their audio)."""
        item, where, text = answer.message, answer.where, answer.said
        assert item is not None
        if answer.modality == "audio":
            self.emit(server_event("response.output_audio.done", **where))
            self.emit(server_event("response.output_audio_transcript.done", **where,
                                   transcript=text))
            content = {"type": "output_audio", "transcript": text}
            self._answers[item["id"]] = text
        else:
            self.emit(server_event("response.output_text.done", **where, text=text))
            content = {"type": "output_text", "text": text}
        self.emit(server_event("response.content_part.done", **where, part=content))
        item.update(status="incomplete" if self._cancel.is_set() else "completed",
                    content=[content])
        self.emit(server_event("response.output_item.done", response_id=answer.rid,
                               output_index=where["output_index"], item=item))
        self.emit(server_event("conversation.item.done", item=item))


class _Answer:
    """One response on worker threads: the assistant's words as deltas, (audio) each
    sentence synthesised by hibari on a second thread while the model goes on writing, and
    calls of client-declared tools as function_call items handed to the client."""

    def __init__(self, session: OpenAIRealtimeSession, rid: str, modality: str,
                 models: RealtimeModels) -> None:
        self.s, self.rid, self.modality, self.models = session, rid, modality, models
        self.where: dict[str, Any] = {}
        self.message: dict[str, Any] | None = None  # the assistant message item, once it speaks
        self.output: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.said = ""

    def _emit(self, type_: str, **fields: Any) -> None:
        self.s.emit_threadsafe(server_event(type_, **fields))

    def _item_added(self, item: dict[str, Any]) -> int:
        index = len(self.output)
        self.output.append(item)
        self._emit("response.output_item.added", response_id=self.rid, output_index=index,
                   item=item)
        self._emit("conversation.item.added", item=item, previous_item_id=self.s._last_item)
        self.s._last_item = item["id"]
        return index

    def _start_message(self) -> None:
        item_id = new_id("item")
        self.message = {"id": item_id, "object": "realtime.item", "type": "message",
                        "role": "assistant", "status": "in_progress", "content": []}
        index = self._item_added(self.message)
        self.where = {"response_id": self.rid, "item_id": item_id, "output_index": index,
                      "content_index": 0}
        part = "output_audio" if self.modality == "audio" else "output_text"
        self._emit("response.content_part.added", **self.where,
                   part={"type": part, "text": "", "transcript": ""})

    def _function_call(self, ev: ToolCallStarted) -> None:
        arguments = ev.arguments if isinstance(ev.arguments, str) else json.dumps(ev.arguments)
        item_id = new_id("item")
        item = {"id": item_id, "object": "realtime.item", "type": "function_call",
                "status": "in_progress", "name": ev.name, "call_id": ev.call_id, "arguments": ""}
        index = self._item_added(item)
        where = {"response_id": self.rid, "item_id": item_id, "output_index": index,
                 "call_id": ev.call_id}
        self._emit("response.function_call_arguments.delta", **where, delta=arguments)
        self._emit("response.function_call_arguments.done", **where, name=ev.name,
                   arguments=arguments)
        item.update(status="completed", arguments=arguments)
        self._emit("response.output_item.done", response_id=self.rid, output_index=index,
                   item=item)
        self._emit("conversation.item.done", item=item)
        self.calls.append(item)

    def run(self, question: str, cancel: threading.Event, resume: bool) -> AgentDone | None:
        s, assistant = self.s, self.s.assistant
        assert assistant is not None
        audio = self.modality == "audio"
        delta_type = "response.output_audio_transcript.delta" if audio else "response.output_text.delta"
        sentences: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        speaker = threading.Thread(target=self._speak, args=(sentences, cancel), daemon=True,
                                   name=f"{s.id}-tts") if audio else None
        if speaker is not None:
            speaker.start()
        chunker = SentenceChunker(s.runtime.voice.min_chunk_chars, s.runtime.voice.first_chunk_words)
        context = assistant.prepare()
        result = TurnResult(question, context, None)
        events = assistant.resume(cancel, result) if resume else \
            assistant.turn(question, cancel, context, result)
        try:
            for ev in events:
                if isinstance(ev, AnswerDelta) and ev.text:
                    if self.message is None:
                        self._start_message()
                    self.said += ev.text
                    self._emit(delta_type, **self.where, delta=ev.text)
                    for piece in chunker.push(ev.text) if audio else ():
                        sentences.put(piece)
                elif isinstance(ev, ToolCallStarted) and ev.name in assistant.agent.client_tools:
                    self._function_call(ev)
        except OculiError as exc:
            s.loop.call_soon_threadsafe(s._error, exc, None)
        finally:
            for piece in chunker.flush() if audio and not cancel.is_set() else ():
                sentences.put(piece)
            sentences.put(None)
            if speaker is not None:
                speaker.join()
        if self.calls and self.message is not None and not self.said.strip():
            self.output.remove(self.message)  # only whitespace before the call
        assistant.commit(result, heard=self.said)
        return result.done

    def _speak(self, sentences: queue.SimpleQueue[str | None], cancel: threading.Event) -> None:
        tts = self.models.tts
        while (piece := sentences.get()) is not None:
            if cancel.is_set() or not piece.strip():
                continue
            samples = tts.synthesize(piece)
            if tts.sample_rate != OUTPUT_RATE:
                samples = resample(samples, tts.sample_rate, OUTPUT_RATE)
            pcm = float_to_pcm16(samples)
            step = OUTPUT_RATE * 2 // 5  # 200 ms of pcm16 per delta
            for i in range(0, len(pcm), step):
                if cancel.is_set():
                    break
                self.s.emit_threadsafe(server_event(
                    "response.output_audio.delta", **self.where,
                    delta=base64.b64encode(pcm[i:i + step]).decode("ascii")))


def _b64(text: str, param: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EventError("not valid base64", code="invalid_value", param=param) from None


def _data_uri(url: str, param: str) -> bytes:
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:image/") or not header.endswith(";base64"):
        raise EventError("an input_image must be a data URI (data:image/jpeg;base64,…); "
                         "oculi fetches no URLs", code="invalid_value", param=param)
    return _b64(payload, param)


def _heard(text: str, audio_end_ms: int, chars_per_s: float = 14.0) -> str:
    """The words of `text` heard by `audio_end_ms`, at hibari's speaking rate (about 14
    characters a second), cut at a word boundary."""
    cut = int(audio_end_ms / 1000 * chars_per_s)
    if cut >= len(text):
        return text.strip()
    return text[:cut].rsplit(" ", 1)[0].strip()
