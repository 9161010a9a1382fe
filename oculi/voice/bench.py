"""Voice benchmark: voice-to-voice latency (the clip's last sample of speech → first answer
audio sample), its per-stage breakdown, and Whisper's word error rate on real recordings.

Questions are played into the pipeline at speaking pace, as a microphone would deliver them,
so every figure is wall-clock time a wearer would feel. Every figure is measured from the
clip's true end of speech, found in the file itself (the last 20 ms frame within 35 dB of the
loudest), not from the VAD's idea of it: a VAD that reports the end late would otherwise make
the pipeline look faster.

Real human speech (`../shared/data/speech`) and synthetic speech (hibari's own voice, which
Whisper hears easily) are reported separately.

The reference, measured in the same run on the same clips, is a streaming chain built from the
libraries' documented streaming use: the same end-of-turn silence, then faster-whisper's
`transcribe` (segments as a generator), llama-cpp-python's `create_chat_completion(stream=True)`
on the same loaded model, and hibari on the first complete sentence as soon as it is complete.
It is what a careful developer would build in an afternoon; oculi must beat it, not a batch
chain that waits for the whole answer.

The streaming WER is the word error rate of the pipeline's own final transcripts (the turns
it would answer) on the real recordings, beside the whole-file WER of the same Whisper.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.llm.engine import LlamaEngine
from oculi.voice.agent import LlmAgent
from oculi.voice.audio_in import read_audio, resample
from oculi.voice.audio_out import MemorySink
from oculi.voice.frames import AudioFrame, EventLog, FinalTranscript
from oculi.voice.models import VoiceModels
from oculi.voice.pipeline import VoicePipeline
from oculi.voice.settings import VoiceSettings
from oculi.voice.sources import ArraySource
from oculi.voice.wer import word_error_rate

SR = 16000
LEAD_S = 0.3  # silence played before each clip, as a microphone would hear before a question
SYNTH_QUESTIONS = (
    "What is the capital of France?",
    "How far away is the moon?",
    "What is two plus two?",
    "Who wrote Romeo and Juliet?",
    "What colour is the sky?",
    "How many days are in a week?",
    "What is the boiling point of water?",
    "Name a fruit that is yellow.",
)
_SENTENCE_END = re.compile(r"[.!?]\s")  # a full stop is an end once the next word begins (not 2.5)


def speech_end_s(audio: np.ndarray, frame_s: float = 0.02, below_peak_db: float = 35.0) -> float:
    """Seconds from the clip's start to the end of its last frame of speech, from the samples
    alone: the last 20 ms frame whose RMS is within `below_peak_db` of the loudest frame.
    Trailing silence or room noise after the last word is not speech."""
    n = max(1, int(frame_s * SR))
    frames = len(audio) // n
    if frames == 0:
        return len(audio) / SR
    rms = np.sqrt(np.mean(audio[: frames * n].reshape(frames, n).astype(np.float64) ** 2, axis=1))
    peak = float(rms.max())
    if peak <= 0:
        return 0.0
    voiced = np.nonzero(rms >= peak * 10 ** (-below_peak_db / 20))[0]
    return float((voiced[-1] + 1) * n / SR)


@dataclass
class Clip:
    name: str
    audio: np.ndarray
    reference: str
    real: bool

    @property
    def end_s(self) -> float:
        return speech_end_s(self.audio)


@dataclass
class TurnFigures:
    clip: str
    real: bool
    transcript: str
    speech_end_s: float  # where the speech ends in the clip (from the file)
    vad_end_lag_s: float  # the VAD's last voiced frame minus the true end (+ = later)
    # seconds after the clip's true end of speech; an answer held during the end-of-turn
    # silence has its transcript and first token before the turn's end was confirmed
    end_of_turn_s: float
    transcript_s: float
    first_token_s: float
    first_audio_s: float
    voice_to_voice_s: float
    reference_voice_to_voice_s: float
    reference_transcript: str
    reference_first_sentence: str
    held_answer: bool  # the answer started on the draft transcript, before the end of turn


@dataclass
class VoiceBenchResult:
    model_id: str
    threads: int
    settings: dict
    turns: list[TurnFigures] = field(default_factory=list)
    wer_real: float | None = None  # whole-file transcription of each recording
    wer_real_streaming: float | None = None  # the pipeline's final transcripts, turn by turn
    wer_real_reference: float | None = None  # faster-whisper's documented transcribe
    wer_detail: list[dict] = field(default_factory=list)
    load_average: tuple[float, float, float] | None = None

    def summary(self) -> dict:
        """p50/p95 per stage, separately for real and synthetic speech."""

        def pct(values: list[float], q: float) -> float | None:
            return float(np.percentile(values, q)) if values else None

        out: dict = {}
        for group, real in (("real", True), ("synthetic", False)):
            turns = [t for t in self.turns if t.real == real]
            g: dict = {"clips": len(turns)}
            for key in ("vad_end_lag_s", "end_of_turn_s", "transcript_s", "first_token_s",
                        "first_audio_s", "voice_to_voice_s", "reference_voice_to_voice_s"):
                vals = [getattr(t, key) for t in turns]
                g[key] = {"p50": pct(vals, 50), "p95": pct(vals, 95)}
            p50, ref = g["voice_to_voice_s"]["p50"], g["reference_voice_to_voice_s"]["p50"]
            g["voice_to_voice_over_reference_p50"] = p50 / ref if p50 and ref else None
            g["held_answers_used"] = sum(t.held_answer for t in turns)
            out[group] = g
        return out

    def to_json(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


def load_clips(tts_say: Callable[[str], np.ndarray], speech_dir: Path | None) -> list[Clip]:
    """Synthetic questions, and the real two-speaker recording per channel (one sentence
    each: the JFK recording holds several turns, so it counts for the WER only)."""
    clips = [Clip(f"synth:{q}", tts_say(q), q, False) for q in SYNTH_QUESTIONS]
    if speech_dir is not None and (speech_dir / "transcripts.json").is_file():
        refs = json.loads((speech_dir / "transcripts.json").read_text())
        stereo = speech_dir / "stereo_two_speakers.wav"
        for side in ("left", "right"):
            clips.append(Clip(f"real:{stereo.name}:{side}", read_audio(stereo, channel=side),
                              refs[stereo.name][side], True))
    return clips


def real_recordings(speech_dir: Path) -> list[Clip]:
    """Every real recording with its reference (JFK whole; the two-speaker file per channel)."""
    refs = json.loads((speech_dir / "transcripts.json").read_text())
    out = [Clip("real:jfk.flac", read_audio(speech_dir / "jfk.flac"), refs["jfk.flac"]["transcript"], True)]
    stereo = speech_dir / "stereo_two_speakers.wav"
    for side in ("left", "right"):
        out.append(Clip(f"real:{stereo.name}:{side}", read_audio(stereo, channel=side),
                        refs[stereo.name][side], True))
    return out


class _TimedSource:
    """An ArraySource that remembers when its first sample was due, so the clip's true end
    of speech has a wall-clock time."""

    def __init__(self, inner: ArraySource) -> None:
        self.inner = inner
        self.started_at: float | None = None

    async def stream(self) -> AsyncIterator[AudioFrame]:
        async for frame in self.inner.stream():
            if self.started_at is None:  # the frame's capture time is its last sample's
                self.started_at = frame.captured_at - len(frame.samples) / SR
            yield frame


class _Silent:
    """An agent that says nothing: for measuring transcripts alone (no LLM load on the cores)."""

    def answer(self, question: str, cancel: threading.Event) -> Iterator[str]:
        return iter(())

    def record(self, question: str, spoken_answer: str, *, interrupted: bool) -> None:
        pass


def _play(models: VoiceModels, agent: Any, settings: VoiceSettings, clip: Clip) -> tuple[list, list[str], float, VoicePipeline]:
    """Play one clip into a fresh pipeline at speaking pace; returns the latency records, the
    final transcripts, the wall-clock time of the clip's true end of speech, the pipeline."""
    log, sink = EventLog(), MemorySink()
    pipeline = VoicePipeline(settings=settings, vad=models.new_vad(), stt=models.stt, tts=models.tts,
                             agent=agent, sink=sink, on_event=log, realtime_output=False)
    lead = np.zeros(int(LEAD_S * SR), np.float32)
    source = _TimedSource(ArraySource(np.concatenate([lead, clip.audio]), realtime=True,
                                      trailing_silence_s=settings.end_of_turn_silence_ms / 1000 + 0.6))
    try:
        latencies = asyncio.run(pipeline.run(source))  # type: ignore[arg-type]
    finally:
        pipeline.close()
    assert source.started_at is not None
    finals = [e.text for e in log.events if isinstance(e, FinalTranscript) and e.text]
    return latencies, finals, source.started_at + LEAD_S + clip.end_s, pipeline


def _pipeline_turn(models: VoiceModels, engine: LlamaEngine, settings: VoiceSettings, clip: Clip) -> dict:
    latencies, finals, true_end, pipeline = _play(models, LlmAgent(engine, settings), settings, clip)
    if not latencies:
        raise RuntimeError(f"no answer for {clip.name}")
    lat = latencies[0]

    def since(t: float | None) -> float:
        return float("nan") if t is None else t - true_end

    return {
        "transcript": finals[0] if finals else "",
        "vad_end_lag_s": lat.speech_ended_at - true_end,
        "end_of_turn_s": since(lat.end_of_turn_at),
        "transcript_s": since(lat.transcript_at),
        "first_token_s": since(lat.first_token_at),
        "first_audio_s": since(lat.first_audio_at),
        "voice_to_voice_s": since(lat.first_audio_at),
        "held_answer": pipeline.held_answers["used"] > 0,
    }


def _reference_turn(models: VoiceModels, engine: LlamaEngine, settings: VoiceSettings, clip: Clip) -> tuple[float, str, str]:
    """The streaming reference chain, timed from the clip's true end of speech: the same
    end-of-turn silence, faster-whisper's transcribe, llama-cpp-python streaming, hibari on
    the first complete sentence. Returns (seconds, transcript, first sentence)."""
    whisper = models.stt.model
    llm = engine.llm  # the same loaded model, through llama-cpp-python's own chat API
    audio = clip.audio[: int(clip.end_s * SR)]
    t0 = time.monotonic()
    segments, _info = whisper.transcribe(audio, language=settings.language, beam_size=settings.stt_beam_size)
    text = " ".join(s.text.strip() for s in segments).strip()
    messages = [{"role": "system", "content": settings.system_prompt}, {"role": "user", "content": text}]
    answer, first = "", ""
    with engine_lock(engine):
        stream = llm.create_chat_completion(messages, stream=True, max_tokens=settings.max_answer_tokens,
                                            temperature=settings.temperature, seed=0)
        for chunk in stream:
            answer += chunk["choices"][0]["delta"].get("content") or ""
            m = _SENTENCE_END.search(answer)
            if m:
                first = answer[: m.start() + 1]
                break
        else:
            first = answer
        stream.close()  # type: ignore[attr-defined]
    models.tts.synthesize(first.strip() or "OK.")
    return time.monotonic() - t0 + settings.end_of_turn_silence_ms / 1000, text, first.strip()


class engine_lock:
    """Hold the engine's own lock (if it has one) while the reference uses its model."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.lock = getattr(engine, "_lock", None)

    def __enter__(self) -> None:
        if self.lock is not None:
            self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            self.lock.release()


def wer_on_recordings(models: VoiceModels, settings: VoiceSettings, speech_dir: Path) -> dict[str, Any]:
    """WER on every real recording three ways: the pipeline's final transcripts played at
    speaking pace (streaming), oculi's Whisper on the whole file, faster-whisper's documented
    transcribe on the whole file (reference)."""
    detail, refs, streamed, whole, ref_hyps = [], [], [], [], []
    for clip in real_recordings(speech_dir):
        _lat, finals, _end, _p = _play(models, _Silent(), settings, clip)
        s = " ".join(finals)
        w = models.stt.transcribe(clip.audio)
        segments, _ = models.stt.model.transcribe(clip.audio, language=settings.language,
                                                  beam_size=settings.stt_beam_size)
        r = " ".join(x.text.strip() for x in segments).strip()
        detail.append({"clip": clip.name, "reference": clip.reference, "streaming": s, "whole_file": w,
                       "faster_whisper": r, "turns": len(finals),
                       "wer_streaming": word_error_rate([clip.reference], [s]),
                       "wer_whole_file": word_error_rate([clip.reference], [w]),
                       "wer_faster_whisper": word_error_rate([clip.reference], [r])})
        refs.append(clip.reference)
        streamed.append(s)
        whole.append(w)
        ref_hyps.append(r)
    return {"streaming": word_error_rate(refs, streamed), "whole_file": word_error_rate(refs, whole),
            "reference": word_error_rate(refs, ref_hyps), "detail": detail}


def run(models: VoiceModels, engine: LlamaEngine, *, model_id: str, threads: int, settings: VoiceSettings,
        speech_dir: Path | None, progress: Callable[[str], None] = lambda m: None) -> VoiceBenchResult:
    def say(text: str) -> np.ndarray:
        return resample(models.tts.synthesize(text), models.tts.sample_rate)

    result = VoiceBenchResult(model_id=model_id, threads=threads, settings=settings.model_dump())
    clips = load_clips(say, speech_dir)
    LlmAgent(engine, settings).warm_up()
    for i, clip in enumerate(clips, 1):
        progress(f"{i}/{len(clips)} {clip.name}")
        p = _pipeline_turn(models, engine, settings, clip)
        ref_s, ref_text, ref_first = _reference_turn(models, engine, settings, clip)
        result.turns.append(TurnFigures(
            clip=clip.name, real=clip.real, speech_end_s=clip.end_s,
            reference_voice_to_voice_s=ref_s, reference_transcript=ref_text,
            reference_first_sentence=ref_first, **p,
        ))
    if speech_dir is not None and (speech_dir / "transcripts.json").is_file():
        progress("word error rate on the real recordings")
        w = wer_on_recordings(models, settings, speech_dir)
        result.wer_real, result.wer_real_streaming = w["whole_file"], w["streaming"]
        result.wer_real_reference, result.wer_detail = w["reference"], w["detail"]
    result.load_average = os.getloadavg()
    return result
