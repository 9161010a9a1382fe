"""The streaming voice pipeline: stages connected by asyncio queues and tasks.

    source → listen (wake word, VAD, end of turn, partial STT) → turns queue
           → final STT → agent (LLM on a thread) → sentence chunker → TTS → player → sink

Speculation hides the end-of-turn silence: at the first quiet frame the final transcript is
started, and as soon as it is ready the answer is generated and its first phrase synthesised
— held, unheard, until the silence rule confirms the turn ended. If the user speaks again
first, the held answer is cancelled and never reaches the history. Earlier still, each partial
transcript is read into the LLM's context while the wearer talks, as a guess at the whole
question: when the guess is right, the answer's prompt is read before the turn ends.

Each model call runs on its own single-thread executor, never on the event loop, so audio
keeps flowing while Whisper, the LLM and the synthesiser work. An answer is one asyncio task
with three sub-tasks (generate, synthesise, play); barge-in cancels that task — real
cancellation, as in Pipecat — sets the engine's cancel Event, and records only what was
played. Errors on one turn become an ErrorFrame; the session goes on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from oculi.errors import OculiError
from oculi.voice.agent import Agent
from oculi.voice.audio_out import AudioSink, SpokenText
from oculi.voice.frames import (
    Announced,
    AnswerAudio,
    AnswerText,
    ErrorFrame,
    Event,
    FinalTranscript,
    Interrupted,
    PartialTranscript,
    SpeechStarted,
    SpeechStopped,
    TurnDone,
    TurnLatency,
    UserTurn,
    WakeWordDetected,
)
from oculi.voice.settings import VoiceSettings
from oculi.voice.sources import AudioSource
from oculi.voice.stt import SpeechToText
from oculi.voice.tts import SentenceChunker, TextToSpeech
from oculi.voice.vad import TurnDetector, VoiceActivity
from oculi.voice.wakeword import ListenGate, WakeWordDetector

log = logging.getLogger("oculi.voice")
_DONE = object()


async def _set_when(event: asyncio.Event, flag: threading.Event) -> None:
    await event.wait()
    flag.set()


def _log_failure(f: asyncio.Future) -> None:
    """Speculative work may fail (the engine closed, say); the answer reads its prompt anyway."""
    if not f.cancelled() and f.exception() is not None:
        log.warning("speculative prefill failed: %s", f.exception())


@dataclass
class _HeldAnswer:
    """An answer started on the draft transcript during the end-of-turn silence, not yet heard."""

    voiced_at: float  # the last voiced frame the draft covers: the turn it belongs to
    text: str
    latency: TurnLatency
    release: asyncio.Event
    task: asyncio.Task[None]


class VoicePipeline:
    def __init__(
        self,
        *,
        settings: VoiceSettings,
        vad: VoiceActivity,
        stt: SpeechToText,
        tts: TextToSpeech,
        agent: Agent,
        sink: AudioSink,
        gate: ListenGate | None = None,
        wake: WakeWordDetector | None = None,
        on_event: Callable[[Event], None] | None = None,
        realtime_output: bool = True,
        partial_transcripts: bool = True,
        speculative_stt: bool = True,
        speculative_answer: bool = True,
    ) -> None:
        self.settings = settings
        self.turns = TurnDetector(vad, settings)
        self.stt, self.tts, self.agent, self.sink = stt, tts, agent, sink
        self.gate = gate or ListenGate("open", settings)
        self.turns.hold = lambda: self.gate.held
        if self.gate.mode == "wake_word" and wake is None:
            raise OculiError("wake-word mode needs a wake-word detector", code="voice_config_invalid",
                             hint="pass a WakeWordDetector, or use push-to-talk / open mode")
        self.wake = wake
        self.on_event = on_event or (lambda e: None)
        self.realtime_output = realtime_output
        self.partial_transcripts = partial_transcripts
        self.speculative_stt = speculative_stt
        self.speculative_answer = speculative_answer and speculative_stt
        self.speculative_prefill = settings.prefill_while_speaking and partial_transcripts
        self._prefill_stop = threading.Event()  # set at the first quiet frame: Whisper goes first
        self._draft: tuple[float, asyncio.Future[str]] | None = None
        self._held: _HeldAnswer | None = None
        self.held_answers = {"used": 0, "dropped": 0}  # how often speculation paid off
        self.latencies: list[TurnLatency] = []
        # one thread per model: calls to one model stay ordered, different models overlap
        self._listen_x = ThreadPoolExecutor(1, thread_name_prefix="voice-listen")
        self._stt_x = ThreadPoolExecutor(1, thread_name_prefix="voice-stt")
        self._partial_x = ThreadPoolExecutor(1, thread_name_prefix="voice-partial")
        self._tts_x = ThreadPoolExecutor(1, thread_name_prefix="voice-tts")
        self._out_x = ThreadPoolExecutor(1, thread_name_prefix="voice-out")
        self._answer: asyncio.Task[None] | None = None
        self._partial: asyncio.Future[str] | None = None
        self._release_requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._announcements: list[asyncio.Future[None]] = []

    # ------------------------------------------------------------------ public
    async def run(self, source: AudioSource) -> list[TurnLatency]:
        """Process the source until it ends and every turn is answered; returns the latency records."""
        self._loop = asyncio.get_running_loop()
        turns: asyncio.Queue[UserTurn | object] = asyncio.Queue()
        respond = asyncio.create_task(self._respond(turns), name="voice-respond")
        try:
            await self._listen(source, turns)
        finally:
            await turns.put(_DONE)
            await respond
        return self.latencies

    def announce(self, text: str) -> None:
        """Speak `text` unprompted (a timer rang); thread-safe. It waits for the answer being
        spoken, if any, and is not an answer: barge-in cuts it like one, nothing is recorded."""
        loop = self._loop
        if loop is None or loop.is_closed() or not text.strip():
            return
        try:
            loop.call_soon_threadsafe(lambda: self._announcements.append(
                asyncio.ensure_future(self._announce(text))))
        except RuntimeError:  # the session's loop has ended
            pass

    async def _announce(self, text: str) -> None:
        loop = asyncio.get_running_loop()
        if self._answer is not None and not self._answer.done():
            await asyncio.wait({self._answer})
        try:
            samples = await loop.run_in_executor(self._tts_x, self.tts.synthesize, text)
        except Exception as exc:  # noqa: BLE001 - a failed announcement is an error event
            self._error(exc, "tts_failed")
            return
        self._emit(Announced(text, time.monotonic()))
        step = max(1, int(self.tts.sample_rate * self.settings.output_chunk_ms / 1000))
        for i in range(0, len(samples), step):
            await loop.run_in_executor(self._out_x, self.sink.write, samples[i:i + step],
                                       self.tts.sample_rate)

    def release_push_to_talk(self) -> None:
        """The talk button was released: end the turn now, without waiting for silence."""
        self.gate.release()
        self._release_requested = True

    def interrupt(self) -> None:
        """Stop the answer being spoken (and any held one), as barge-in does; the history keeps
        only what was played. For clients with a stop button."""
        self._drop_held()
        if self._answer is not None and not self._answer.done():
            self._answer.cancel()

    @property
    def answering(self) -> bool:
        return self._answer is not None and not self._answer.done()

    def close(self) -> None:
        for x in (self._listen_x, self._stt_x, self._partial_x, self._tts_x, self._out_x):
            x.shutdown(wait=False, cancel_futures=True)
        self.sink.close()

    # ------------------------------------------------------------------ listening
    async def _listen(self, source: AudioSource, turns: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        last_partial = 0.0
        async for frame in source.stream():
            if self.gate.needs_wake_word and not self.answering:
                assert self.wake is not None
                score = await loop.run_in_executor(self._listen_x, self.wake.push, frame.samples)
                if score >= self.settings.wake_threshold:
                    self.gate.woke()
                    self.wake.reset()
                    self.turns.reset()
                    self._emit(WakeWordDetected(self.wake.name, score, frame.captured_at))
                continue
            if not (self.gate.is_open or self.answering):
                continue
            events = await loop.run_in_executor(self._listen_x, self.turns.push, frame.samples, frame.captured_at)
            if self._held is not None and self.turns.speaking and self.turns.last_voiced_at != self._held.voiced_at:
                self._drop_held()  # the pause was not the end: the user goes on
            self._speculate(loop)
            if self._release_requested:
                # A release ends the turn in progress. When the turn already ended by itself
                # (the clip had its own trailing silence), the release is spent here: kept,
                # it would cut the NEXT turn at its first voiced frame.
                self._release_requested = False
                if self.turns.speaking:
                    events.append(self.turns.force_end(frame.captured_at))
            for ev in events:
                if ev.kind == "start":
                    if self.answering:
                        await self._barge_in(ev.at)
                    self.gate.turn_started()
                    self._emit(SpeechStarted(ev.at))
                    last_partial = frame.captured_at
                    self._read_turn_frame(loop)
                else:
                    self.gate.turn_ended()
                    self._emit(SpeechStopped(ev.at))
                    assert ev.audio is not None
                    draft = self._draft[1] if self._draft and self._draft[0] == ev.at else None
                    self._draft = None
                    held, self._held = self._held, None
                    if held is not None and held.voiced_at != ev.at:
                        held.task.cancel()
                        self.held_answers["dropped"] += 1
                        held = None
                    await turns.put(UserTurn(ev.audio, ev.at, time.monotonic(), draft=draft, held=held))
            if (
                self.partial_transcripts
                and self.turns.speaking
                and self.turns.silent_frames == 0  # a pause may be the end: keep Whisper free
                and frame.captured_at - last_partial >= self.settings.partial_interval_ms / 1000
                and (self._partial is None or self._partial.done())
            ):
                last_partial = frame.captured_at
                self._start_partial(self.turns.utterance())
        self._drop_held()
        if self.turns.speaking:  # the input ended mid-utterance: that is the end of the turn
            ev = self.turns.force_end(time.monotonic())
            await turns.put(UserTurn(ev.audio, ev.at, time.monotonic()))  # type: ignore[arg-type]

    def _read_turn_frame(self, loop: asyncio.AbstractEventLoop) -> None:
        """The wearer started speaking: let the agent read what comes before the words (the
        history, the camera note, the clock line: ~50 tokens, ~1.2 s on 2 cores) now, so the
        guesses and the answer read only the question. Agents without `turn_started` skip it."""
        started = getattr(self.agent, "turn_started", None)
        if self.speculative_prefill and started is not None and not self.answering:
            self._prefill_stop.clear()
            loop.run_in_executor(self._partial_x, started, self._prefill_stop
                                 ).add_done_callback(_log_failure)

    def _speculate(self, loop: asyncio.AbstractEventLoop) -> None:
        """At the first quiet frame, start the final transcript: if the pause turns out to be the
        end of the turn, Whisper's work is done inside the silence window (speech that resumes
        makes the draft stale; it is then ignored)."""
        if not self.speculative_stt or not self.turns.speaking or self.turns.silent_frames != 1:
            return
        self._prefill_stop.set()  # a guess still being read must not slow the real transcript
        audio = self.turns.utterance()
        fut = loop.run_in_executor(self._stt_x, self.stt.transcribe, audio)
        voiced_at = self.turns.last_voiced_at
        self._draft = (voiced_at, fut)
        if self.speculative_answer:
            fut.add_done_callback(lambda f: self._hold_answer(voiced_at, f))

    def _hold_answer(self, voiced_at: float, draft: asyncio.Future[str]) -> None:
        """The draft transcript is ready while the user is still silent: start answering it,
        held back until the end of the turn is confirmed."""
        if draft.cancelled() or draft.exception() is not None or not draft.result():
            return
        if self._draft is None or self._draft[0] != voiced_at or self.answering:
            return  # speech resumed, the turn already ended, or an answer is playing
        self._drop_held()
        lat = TurnLatency(speech_ended_at=voiced_at, transcript_at=time.monotonic())
        release = asyncio.Event()
        task = asyncio.create_task(self._answer_turn(draft.result(), lat, release), name="voice-held-answer")
        self._held = _HeldAnswer(voiced_at, draft.result(), lat, release, task)

    def _drop_held(self) -> None:
        if self._held is not None:
            self._held.task.cancel()
            self._held = None
            self.held_answers["dropped"] += 1

    def _start_partial(self, audio: np.ndarray) -> None:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._partial_x, lambda: self.stt.transcribe(audio, partial=True))
        self._partial = fut

        def done(f: asyncio.Future[str]) -> None:
            if not f.cancelled() and f.exception() is None and f.result():
                self._emit(PartialTranscript(f.result(), time.monotonic()))
                prefill = getattr(self.agent, "prefill", None)
                if self.speculative_prefill and prefill is not None and self.turns.speaking and not self.answering:
                    # on the partial thread: never alongside the next partial transcript
                    self._prefill_stop.clear()
                    loop.run_in_executor(self._partial_x, prefill, f.result(), self._prefill_stop
                                         ).add_done_callback(_log_failure)

        fut.add_done_callback(done)

    # ------------------------------------------------------------------ responding
    async def _respond(self, turns: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        while True:
            item = await turns.get()
            if item is _DONE:
                if self._answer is not None:
                    await asyncio.wait({self._answer})
                return
            assert isinstance(item, UserTurn)
            lat = TurnLatency(speech_ended_at=item.speech_ended_at, end_of_turn_at=item.detected_at)
            try:
                if item.draft is not None:
                    text = await item.draft
                else:
                    text = await loop.run_in_executor(self._stt_x, self.stt.transcribe, item.audio)
            except Exception as exc:  # a model failure on one turn must not end the session
                self._error(exc, "stt_failed")
                continue
            lat.transcript_at = time.monotonic()
            self._emit(FinalTranscript(text, lat.transcript_at))
            if not text:
                self._emit(ErrorFrame("no_speech", "heard sound but no words", "speak closer to the microphone"))
                continue
            if self._answer is not None and not self._answer.done():
                await asyncio.wait({self._answer})  # interrupted answers are cancelled already
            held = item.held
            if held is not None and held.text == text and not held.task.done():
                held.latency.end_of_turn_at = lat.end_of_turn_at  # transcript_at: when the draft was ready
                self._answer = held.task
                held.release.set()
                self.held_answers["used"] += 1
                continue
            if held is not None:
                held.task.cancel()
                self.held_answers["dropped"] += 1
            self._answer = asyncio.create_task(self._answer_turn(text, lat), name="voice-answer")

    async def _barge_in(self, at: float) -> None:
        """User speech during an answer: stop playing and generating, now."""
        task = self._answer
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.wait({task})
        log.info("barge-in at %.3f handled after %.0f ms", at, (time.monotonic() - at) * 1000)

    async def _answer_turn(self, question: str, lat: TurnLatency, release: asyncio.Event | None = None) -> None:
        """Generate, speak and play one answer. With `release`, the answer is held: generated
        and its first phrase synthesised, but nothing is emitted or played until it is set; a
        held answer cancelled before that leaves no trace."""
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        texts: asyncio.Queue[str | object] = asyncio.Queue()
        audio: asyncio.Queue[AnswerAudio | object] = asyncio.Queue()
        spoken = SpokenText()
        full: list[str] = []

        def send(item: object) -> None:
            try:
                loop.call_soon_threadsafe(texts.put_nowait, item)
            except RuntimeError:  # the loop is gone (session over): nobody is listening
                cancel.set()

        released = threading.Event()  # a held answer acts (runs tools) only once released
        setter: asyncio.Task[None] | None = None
        if release is None:
            released.set()
        else:
            setter = asyncio.create_task(_set_when(release, released))

        def generate() -> None:  # worker thread: llama.cpp blocks
            try:
                for delta in self.agent.answer(question, cancel, released=released):
                    if lat.first_token_at is None:
                        lat.first_token_at = time.monotonic()
                    send(delta)
                    if cancel.is_set():
                        break
            except Exception as exc:
                send(exc)
            finally:
                send(_DONE)

        async def chunk_and_speak() -> None:
            chunker = SentenceChunker(self.settings.min_chunk_chars, self.settings.first_chunk_words)
            while True:
                item = await texts.get()
                if isinstance(item, Exception):
                    raise item
                pieces = chunker.flush() if item is _DONE else chunker.push(item)  # type: ignore[arg-type]
                if item is not _DONE:
                    full.append(item)  # type: ignore[arg-type]
                for piece in pieces:
                    samples = await loop.run_in_executor(self._tts_x, self.tts.synthesize, piece)
                    if release is not None:
                        await release.wait()
                    self._emit(AnswerText(piece))
                    if len(samples):
                        await audio.put(AnswerAudio(samples, self.tts.sample_rate, piece))
                if item is _DONE:
                    if release is not None:
                        await release.wait()
                    await audio.put(_DONE)
                    return

        async def play() -> None:
            step = max(1, int(self.tts.sample_rate * self.settings.output_chunk_ms / 1000))
            clock: float | None = None
            played = 0
            while True:
                item = await audio.get()
                if item is _DONE:
                    if clock is not None and self.realtime_output and not self.sink.paces_itself:
                        await asyncio.sleep(max(0.0, clock + played / self.tts.sample_rate - time.monotonic()))
                    return
                assert isinstance(item, AnswerAudio)
                spoken.start_piece(item.text, len(item.samples))
                for i in range(0, len(item.samples), step):
                    chunk = item.samples[i:i + step]
                    if self.realtime_output and not self.sink.paces_itself and clock is not None:
                        # keep at most one chunk ahead of the playback clock
                        ahead = clock + played / self.tts.sample_rate - time.monotonic()
                        if ahead > 0:
                            await asyncio.sleep(ahead)
                    if clock is None:  # the first sample is handed over now
                        clock = time.monotonic()
                        lat.first_audio_at = clock
                    await loop.run_in_executor(self._out_x, self.sink.write, chunk, item.sample_rate)
                    played += len(chunk)
                    spoken.played(len(chunk))

        thread = threading.Thread(target=generate, name="voice-llm", daemon=True)
        thread.start()
        subtasks = [asyncio.create_task(chunk_and_speak()), asyncio.create_task(play())]
        interrupted = False
        try:
            await asyncio.gather(*subtasks)
        except asyncio.CancelledError:
            interrupted = True
            cancel.set()
            for t in subtasks:
                t.cancel()
            await asyncio.gather(*subtasks, return_exceptions=True)
            if release is not None and not release.is_set():
                raise  # a held answer dropped before anyone heard it
            self._emit(Interrupted(spoken.text(), time.monotonic()))
            raise
        except Exception as exc:
            cancel.set()
            for t in subtasks:
                t.cancel()
            self._error(exc, "answer_failed")
        finally:
            if setter is not None and not setter.done():
                setter.cancel()  # a dropped held answer is never released
            if release is None or release.is_set():  # a dropped held answer leaves no trace
                self._finish_turn(question, spoken.text(), lat, interrupted, full)

    def _finish_turn(self, question: str, said: str, lat: TurnLatency, interrupted: bool, full: list[str]) -> None:
        lat.answer_done_at = time.monotonic()
        lat.interrupted = interrupted
        self.agent.record(question, said, interrupted=interrupted)
        self.latencies.append(lat)
        log.info("turn latency %s", lat.as_dict())
        self._emit(lat)
        self._emit(TurnDone(question, said, lat, full_answer="".join(full).strip()))
        if not interrupted:
            self.gate.answer_finished()

    # ------------------------------------------------------------------ events
    def _emit(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:  # a listener's bug must not stop the voice session
            log.exception("voice event listener failed on %s", event.type)

    def _error(self, exc: BaseException, default_code: str) -> None:
        if isinstance(exc, OculiError):
            self._emit(ErrorFrame(exc.code, exc.message, exc.hint))
        else:
            log.exception("voice stage failed", exc_info=exc)
            self._emit(ErrorFrame(default_code, str(exc)))
