"""Voice benchmark: voice-to-voice latency (end of user speech → first answer audio sample),
its per-stage breakdown, and Whisper's word error rate on real recordings.

Questions are played into the pipeline at speaking pace, as a microphone would deliver them,
so every figure is wall-clock time a wearer would feel. The reference, measured in the same
run on the same questions, is the plain batch chain with the libraries' default calls:
faster-whisper's `transcribe` → the whole LLM answer → hibari on the whole answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from oculi.llm.engine import LlamaEngine
from oculi.voice.agent import LlmAgent
from oculi.voice.audio_in import read_audio, resample
from oculi.voice.audio_out import MemorySink
from oculi.voice.frames import EventLog, FinalTranscript
from oculi.voice.models import VoiceModels
from oculi.voice.pipeline import VoicePipeline
from oculi.voice.settings import VoiceSettings
from oculi.voice.sources import ArraySource
from oculi.voice.wer import word_error_rate

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


@dataclass
class Clip:
    name: str
    audio: np.ndarray
    reference: str
    real: bool


@dataclass
class TurnFigures:
    clip: str
    real: bool
    transcript: str
    # seconds after the end of speech; an answer held during the end-of-turn silence has its
    # transcript and first token before the turn's end was confirmed
    end_of_turn_s: float
    transcript_s: float
    first_token_s: float
    first_audio_s: float
    voice_to_voice_s: float
    baseline_voice_to_voice_s: float
    held_answer: bool  # the answer started on the draft transcript, before the end of turn


@dataclass
class VoiceBenchResult:
    model_id: str
    threads: int
    settings: dict
    turns: list[TurnFigures] = field(default_factory=list)
    wer_real: float | None = None
    wer_real_baseline: float | None = None
    wer_detail: list[dict] = field(default_factory=list)
    load_average: tuple[float, float, float] | None = None

    def summary(self) -> dict:
        def pct(values: list[float], q: float) -> float | None:
            return float(np.percentile(values, q)) if values else None

        out: dict = {}
        for key in ("end_of_turn_s", "transcript_s", "first_token_s", "first_audio_s",
                    "voice_to_voice_s", "baseline_voice_to_voice_s"):
            vals = [getattr(t, key) for t in self.turns]
            out[key] = {"p50": pct(vals, 50), "p95": pct(vals, 95)}
        p50, ref = out["voice_to_voice_s"]["p50"], out["baseline_voice_to_voice_s"]["p50"]
        out["voice_to_voice_over_baseline_p50"] = p50 / ref if p50 and ref else None
        out["held_answers_used"] = sum(t.held_answer for t in self.turns)
        return out

    def to_json(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


def load_clips(tts_say: Callable[[str], np.ndarray], speech_dir: Path | None) -> list[Clip]:
    clips = [Clip(f"synth:{q}", tts_say(q), q, False) for q in SYNTH_QUESTIONS]
    if speech_dir is not None and (speech_dir / "transcripts.json").is_file():
        refs = json.loads((speech_dir / "transcripts.json").read_text())
        stereo = speech_dir / "stereo_two_speakers.wav"
        for side in ("left", "right"):
            clips.append(Clip(f"real:{stereo.name}:{side}", read_audio(stereo, channel=side),
                              refs[stereo.name][side], True))
    return clips


def wer_on_recordings(models: VoiceModels, speech_dir: Path, baseline_stt: Callable[[np.ndarray], str]) -> tuple[float, float, list[dict]]:
    """Whisper WER on every real recording (JFK whole; the two-speaker file per channel)."""
    refs = json.loads((speech_dir / "transcripts.json").read_text())
    items = [("jfk.flac", "mix", refs["jfk.flac"]["transcript"])]
    items += [("stereo_two_speakers.wav", side, refs["stereo_two_speakers.wav"][side]) for side in ("left", "right")]
    detail, hyps, base_hyps, references = [], [], [], []
    for name, channel, ref in items:
        audio = read_audio(speech_dir / name, channel=channel)  # type: ignore[arg-type]
        hyp, base = models.stt.transcribe(audio), baseline_stt(audio)
        detail.append({"file": name, "channel": channel, "reference": ref, "oculi": hyp, "baseline": base,
                       "wer": word_error_rate([ref], [hyp]), "wer_baseline": word_error_rate([ref], [base])})
        hyps.append(hyp)
        base_hyps.append(base)
        references.append(ref)
    return word_error_rate(references, hyps), word_error_rate(references, base_hyps), detail


def _pipeline_turn(models: VoiceModels, engine: LlamaEngine, settings: VoiceSettings, clip: Clip) -> tuple[dict, str, bool]:
    log, sink = EventLog(), MemorySink()
    agent = LlmAgent(engine, settings)
    pipeline = VoicePipeline(settings=settings, vad=models.new_vad(), stt=models.stt, tts=models.tts,
                             agent=agent, sink=sink, on_event=log, realtime_output=False)
    lead = np.zeros(int(0.3 * 16000), np.float32)
    source = ArraySource(np.concatenate([lead, clip.audio]), realtime=True,
                         trailing_silence_s=settings.end_of_turn_silence_ms / 1000 + 0.4)
    try:
        latencies = asyncio.run(pipeline.run(source))
    finally:
        pipeline.close()
    finals = [e for e in log.events if isinstance(e, FinalTranscript)]
    if not latencies:
        raise RuntimeError(f"no answer for {clip.name}: {[e.type for e in log.events]}")
    return latencies[0].as_dict(), finals[0].text if finals else "", pipeline.held_answers["used"] > 0


def _baseline_turn(models: VoiceModels, engine: LlamaEngine, settings: VoiceSettings,
                   baseline_stt: Callable[[np.ndarray], str], clip: Clip) -> float:
    """Batch chain, library defaults: transcribe → whole answer → synthesise → first sample."""
    t0 = time.monotonic()
    text = baseline_stt(clip.audio)
    answer = LlmAgent(engine, settings)
    reply = "".join(answer.answer(text, cancel=threading.Event()))
    models.tts.synthesize(reply)
    # a batch system must detect the end of the turn too: same silence rule as the pipeline
    return time.monotonic() - t0 + settings.end_of_turn_silence_ms / 1000


def run(models: VoiceModels, engine: LlamaEngine, *, model_id: str, threads: int, settings: VoiceSettings,
        speech_dir: Path | None, progress: Callable[[str], None] = lambda m: None) -> VoiceBenchResult:
    from faster_whisper import WhisperModel  # the reference uses the library's own default path

    whisper: WhisperModel = models.stt.model

    def baseline_stt(audio: np.ndarray) -> str:
        segments, _ = whisper.transcribe(audio, language=settings.language, beam_size=settings.stt_beam_size)
        return " ".join(s.text.strip() for s in segments).strip()

    def say(text: str) -> np.ndarray:
        return resample(models.tts.synthesize(text), models.tts.sample_rate)

    result = VoiceBenchResult(model_id=model_id, threads=threads, settings=settings.model_dump())
    clips = load_clips(say, speech_dir)
    LlmAgent(engine, settings).warm_up()
    for i, clip in enumerate(clips, 1):
        progress(f"{i}/{len(clips)} {clip.name}")
        lat, transcript, held = _pipeline_turn(models, engine, settings, clip)
        base = _baseline_turn(models, engine, settings, baseline_stt, clip)
        result.turns.append(TurnFigures(
            clip=clip.name, real=clip.real, transcript=transcript,
            end_of_turn_s=lat["end_of_turn_s"],  # type: ignore[arg-type]
            transcript_s=lat["transcript_s"],  # type: ignore[arg-type]
            first_token_s=lat["first_token_s"],  # type: ignore[arg-type]
            first_audio_s=lat["first_audio_s"],  # type: ignore[arg-type]
            voice_to_voice_s=lat["voice_to_voice_s"],  # type: ignore[arg-type]
            baseline_voice_to_voice_s=base,
            held_answer=held,
        ))
    if speech_dir is not None and (speech_dir / "transcripts.json").is_file():
        progress("word error rate on the real recordings")
        result.wer_real, result.wer_real_baseline, result.wer_detail = wer_on_recordings(models, speech_dir, baseline_stt)
    result.load_average = os.getloadavg()
    return result
