"""`oculi bench realtime`: voice-to-voice over the realtime socket, by kind of question.

A client speaks into a live `oculi serve` over `/v1/realtime` exactly as glasses do:
push-to-talk, 16 kHz PCM paced in real time, released 0.2 s after the clip's last sample.
Voice-to-voice is measured from the clip's true end (known from the file, not from any
VAD) to the first answer audio the client receives. Groups: plain questions (synthetic
speech by hibari), real human speech (../shared/data/speech), look questions (a rendered
sign sent as the camera frame) and tool questions (timer, note, reminder).

The reference, measured in the same run after the server has stopped: the same clips
through the plain voice pipeline in-process (same Whisper, VAD, hibari, the same
push-to-talk release), answering with `LlmAgent` — no tools, no camera note, no socket.
That is what the assistant costs over a bare voice chat.

The plain and real clips are also spoken over the OpenAI Realtime API (the official `openai`
SDK client, pcm16 24 kHz, commit + response.create) to the same server: end of the clip →
first `response.output_audio.delta`, beside the oculi protocol's figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from oculi.voice.audio_in import float_to_pcm16, read_audio, resample

RATE = 16_000
RELEASE_AFTER_S = 0.2  # a wearer lets go of the button a moment after the last word
PLAIN = ("What is the capital of Japan?", "How many legs does a spider have?",
         "What is ten times twelve?", "Who painted the Mona Lisa?")
LOOK = ("What does the sign say?", "Read the sign to me.", "What is written in front of me?")
TOOL = ("Set a timer for five minutes.", "Take a note that the plumber comes on Friday.",
        "Remind me to water the plants in two hours.")
SIGN_LINES = ("PLATFORM 4", "TRAINS TO LYON")


@dataclass
class Clip:
    group: str  # plain | real | look | tool
    name: str
    pcm16: bytes  # 16 kHz mono
    real: bool = False


@dataclass
class Turn:
    group: str
    clip: str
    transcript: str = ""
    answer: str = ""
    tools: list[str] = field(default_factory=list)
    voice_to_voice_s: float | None = None
    server_latency: dict = field(default_factory=dict)
    reference_s: float | None = None
    reference_answer: str = ""
    openai_s: float | None = None  # the same clip over the OpenAI Realtime API (same server)
    openai_transcript: str = ""


@dataclass
class RealtimeBenchResult:
    model_id: str
    threads: int
    turns: list[Turn] = field(default_factory=list)
    load_average: tuple[float, float, float] | None = None

    def summary(self) -> dict:
        def pct(vals: list[float], q: float) -> float | None:
            return round(float(np.percentile(vals, q)), 3) if vals else None

        out: dict = {}
        for group in ("plain", "real", "look", "tool"):
            turns = [t for t in self.turns if t.group == group]
            v = [t.voice_to_voice_s for t in turns if t.voice_to_voice_s is not None]
            r = [t.reference_s for t in turns if t.reference_s is not None]
            o = [t.openai_s for t in turns if t.openai_s is not None]
            out[group] = {"n": len(turns), "answered": len(v),
                          "p50": pct(v, 50), "p95": pct(v, 95),
                          "reference_p50": pct(r, 50), "reference_p95": pct(r, 95),
                          "openai_n": len(o), "openai_p50": pct(o, 50), "openai_p95": pct(o, 95)}
        return out

    def to_json(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


def render_sign() -> np.ndarray:
    import cv2

    img = np.full((480, 800, 3), 232, np.uint8)
    for i, line in enumerate(SIGN_LINES):
        cv2.putText(img, line, (60, 180 + i * 130), cv2.FONT_HERSHEY_SIMPLEX, 2.2, (15, 15, 15), 7,
                    cv2.LINE_AA)
    return img


def sign_jpeg() -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", render_sign()[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def load_clips(say: Callable[[str], np.ndarray], speech_dir: Path | None) -> list[Clip]:
    def pcm(samples: np.ndarray) -> bytes:
        return float_to_pcm16(samples)

    clips = [Clip("plain", q, pcm(say(q))) for q in PLAIN]
    if speech_dir is not None and (speech_dir / "transcripts.json").is_file():
        clips.append(Clip("real", "jfk.flac", pcm(read_audio(speech_dir / "jfk.flac")), True))
        for side in ("left", "right"):
            audio = read_audio(speech_dir / "stereo_two_speakers.wav", channel=side)
            clips.append(Clip("real", f"stereo_two_speakers.wav:{side}", pcm(audio), True))
    clips += [Clip("look", q, pcm(say(q))) for q in LOOK]
    clips += [Clip("tool", q, pcm(say(q))) for q in TOOL]
    return clips


# ---------------------------------------------------------------------------- over the socket
async def _socket_group(base_url: str, clips: list[Clip], turns: list[Turn], timeout: float,
                        progress: Callable[[str], None]) -> None:
    from oculi.realtime.client import RealtimeClient
    from oculi.realtime.protocol import AnswerDone, AudioOut, ToolStarted, TranscriptFinal

    async with await RealtimeClient.connect(base_url, mode="push_to_talk", rate=RATE) as rt:
        if clips[0].group == "look":
            await rt.send_frame(sign_jpeg())
            await asyncio.sleep(1.0)
        for clip in clips:
            progress(f"socket · {clip.group} · {clip.name}")
            turn = Turn(clip.group, clip.name)
            await rt.talk_start()
            step = RATE // 25 * 2  # 40 ms
            t0 = time.monotonic()
            for i in range(0, len(clip.pcm16), step):
                await rt.send_bytes(_audio(clip.pcm16[i:i + step]))
                await asyncio.sleep(max(0.0, t0 + (i + step) / 2 / RATE - time.monotonic()))
            end = t0 + len(clip.pcm16) / 2 / RATE  # the clip's last sample, on the sender's clock
            await rt.send_audio(b"\0\0" * int(RELEASE_AFTER_S * RATE), realtime=True)
            await rt.talk_stop()
            deadline = time.monotonic() + timeout
            async for ev in rt.events():
                if isinstance(ev, AudioOut) and turn.voice_to_voice_s is None:
                    turn.voice_to_voice_s = round(time.monotonic() - end, 3)
                elif isinstance(ev, TranscriptFinal):
                    turn.transcript = ev.text
                elif isinstance(ev, ToolStarted):
                    turn.tools.append(ev.name)
                elif isinstance(ev, AnswerDone):
                    turn.answer = ev.full_answer
                    turn.server_latency = ev.latency
                    break
                if time.monotonic() > deadline:
                    break
            turns.append(turn)
            await asyncio.sleep(0.5)


async def _openai_group(base_url: str, model_id: str, clips: list[Clip], turns: list[Turn],
                        timeout: float, progress: Callable[[str], None]) -> None:
    """The same clips over the OpenAI Realtime API with the official `openai` SDK: pcm16
    24 kHz appended in real time, committed 0.2 s after the last sample (as the button is let
    go), then `response.create`; timed from the clip's end to the first audio delta."""
    import base64

    from openai import AsyncOpenAI

    by_clip = {(t.group, t.clip): t for t in turns}
    client = AsyncOpenAI(base_url=base_url + "/v1", api_key="oculi-bench")
    async with client.realtime.connect(model=model_id) as conn:
        async for ev in conn:
            if ev.type == "session.created":
                break
        await conn.session.update(session={"type": "realtime", "output_modalities": ["audio"]})
        for clip in clips:
            progress(f"openai api · {clip.group} · {clip.name}")
            pcm = float_to_pcm16(resample(np.frombuffer(clip.pcm16, "<i2").astype(np.float32)
                                          / 32768.0, RATE, 24_000))
            step = 24_000 // 25 * 2  # 40 ms
            t0 = time.monotonic()
            for i in range(0, len(pcm), step):
                await conn.input_audio_buffer.append(audio=base64.b64encode(pcm[i:i + step]).decode())
                await asyncio.sleep(max(0.0, t0 + (i + step) / 2 / 24_000 - time.monotonic()))
            end = t0 + len(pcm) / 2 / 24_000
            await conn.input_audio_buffer.append(
                audio=base64.b64encode(b"\0\0" * int(RELEASE_AFTER_S * 24_000)).decode())
            await asyncio.sleep(RELEASE_AFTER_S)
            await conn.input_audio_buffer.commit()
            await conn.response.create()
            first: float | None = None
            transcript = ""
            deadline = time.monotonic() + timeout
            async for ev in conn:
                if ev.type == "response.output_audio.delta" and first is None:
                    first = round(time.monotonic() - end, 3)
                elif ev.type == "conversation.item.input_audio_transcription.completed":
                    transcript = ev.transcript
                elif ev.type == "response.done" or time.monotonic() > deadline:
                    break
            turn = by_clip.get((clip.group, clip.name))
            if turn is not None:
                turn.openai_s, turn.openai_transcript = first, transcript
            await asyncio.sleep(0.5)


def _audio(pcm: bytes) -> bytes:
    from oculi.realtime.protocol import KIND_AUDIO, AudioHeader
    from oculi.realtime.wire import encode_binary

    return encode_binary(KIND_AUDIO, AudioHeader(), pcm)


# ---------------------------------------------------------------------------- the reference
def _reference_turn(models, engine, settings, clip: Clip) -> tuple[float | None, str]:  # type: ignore[no-untyped-def]
    """The plain voice pipeline in-process, push-to-talk released like the socket client."""
    from oculi.realtime.audio import SocketAudioSource
    from oculi.voice.agent import LlmAgent
    from oculi.voice.audio_out import MemorySink
    from oculi.voice.frames import EventLog, TurnDone
    from oculi.voice.pipeline import VoicePipeline
    from oculi.voice.wakeword import ListenGate

    class TimedSink(MemorySink):
        first: float | None = None

        def write(self, samples: np.ndarray, sample_rate: int) -> None:
            if self.first is None:
                self.first = time.monotonic()
            super().write(samples, sample_rate)

    sink, log = TimedSink(), EventLog()
    pipeline = VoicePipeline(settings=settings, vad=models.new_vad(), stt=models.stt,
                             tts=models.tts, agent=LlmAgent(engine, settings), sink=sink,
                             gate=ListenGate("push_to_talk", settings), on_event=log,
                             realtime_output=False)

    async def run() -> float:
        source = SocketAudioSource(RATE, 1, max_seconds=120)
        task = asyncio.create_task(pipeline.run(source))
        source.push_control(pipeline.gate.press)
        step = RATE // 25 * 2
        t0 = time.monotonic()
        for i in range(0, len(clip.pcm16), step):
            source.push_pcm(clip.pcm16[i:i + step])
            await asyncio.sleep(max(0.0, t0 + (i + step) / 2 / RATE - time.monotonic()))
        end = t0 + len(clip.pcm16) / 2 / RATE
        source.push_pcm(b"\0\0" * int(RELEASE_AFTER_S * RATE))
        await asyncio.sleep(RELEASE_AFTER_S)
        source.push_control(pipeline.release_push_to_talk)
        source.push_silence(0.064)
        while not [e for e in log.events if isinstance(e, TurnDone)]:
            await asyncio.sleep(0.05)
        source.close()
        await task
        return end

    try:
        end = asyncio.run(run())
    finally:
        pipeline.close()
    done = [e for e in log.events if isinstance(e, TurnDone)]
    first = sink.first
    return (round(first - end, 3) if first is not None else None), (done[0].full_answer if done else "")


def run(*, model_id: str, threads: int, speech_dir: Path | None, timeout: float = 300.0,
        progress: Callable[[str], None] = lambda m: None) -> RealtimeBenchResult:
    import tempfile

    from oculi.config import load_settings
    from oculi.llm.loader import load_engine
    from oculi.paths import Paths
    from oculi.server.live import LiveServer
    from oculi.voice.models import VoiceModels

    settings = load_settings()
    settings.llm.threads = threads
    vs = settings.voice.model_copy(update={"stt_threads": threads})
    models = VoiceModels.load(vs)
    models.warm_up()

    def say(text: str) -> np.ndarray:
        return resample(models.tts.synthesize(text), models.tts.sample_rate)

    clips = load_clips(say, speech_dir)
    result = RealtimeBenchResult(model_id, threads)
    with tempfile.TemporaryDirectory(prefix="oculi-bench-home-") as home:
        # the bench's timers, notes and memories stay out of the user's own
        (Path(home) / "models").symlink_to(Paths.from_env().models, target_is_directory=True)
        env = {"OCULI_HOME": home, "OCULI_LLM__THREADS": str(threads)}
        progress("starting oculi serve…")
        with LiveServer("--model", model_id, "--slots", "1", "--no-embeddings",
                        "--no-image-text", "--realtime-preload", env=env,
                        startup_timeout=900) as server:
            for group in ("plain", "real", "look", "tool"):
                chosen = [c for c in clips if c.group == group]
                if chosen:
                    # the first turn of a session reads the instructions: warm them first
                    asyncio.run(_socket_group(server.base_url, chosen[:1], [], timeout, progress))
                    asyncio.run(_socket_group(server.base_url, chosen, result.turns, timeout,
                                              progress))
            for group in ("plain", "real"):  # speech over the OpenAI Realtime API, same server
                chosen = [c for c in clips if c.group == group]
                if chosen:
                    asyncio.run(_openai_group(server.base_url, model_id, chosen[:1], [],
                                              timeout, progress))
                    asyncio.run(_openai_group(server.base_url, model_id, chosen, result.turns,
                                              timeout, progress))
    progress(f"reference: the plain voice pipeline with {model_id}…")
    engine = load_engine(settings, model_id)
    from oculi.voice.agent import LlmAgent

    LlmAgent(engine, vs).warm_up()
    by_clip = {(t.group, t.clip): t for t in result.turns}
    for clip in clips:
        progress(f"reference · {clip.group} · {clip.name}")
        seconds, answer = _reference_turn(models, engine, vs, clip)
        turn = by_clip.get((clip.group, clip.name))
        if turn is not None:
            turn.reference_s, turn.reference_answer = seconds, answer
    result.load_average = os.getloadavg()
    return result


def write(result: RealtimeBenchResult, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.to_json(), indent=2))
