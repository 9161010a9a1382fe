"""Builds a real pipeline (real models, tiny LLM) around a scripted source, for the tests."""

from __future__ import annotations

import asyncio

import numpy as np

from oculi.voice.agent import LlmAgent
from oculi.voice.audio_out import MemorySink
from oculi.voice.frames import EventLog
from oculi.voice.pipeline import VoicePipeline
from oculi.voice.settings import VoiceSettings
from oculi.voice.sources import ArraySource


def build(voice_models, engine, settings: VoiceSettings | None = None, **kw):
    settings = settings or VoiceSettings()
    log, sink = EventLog(), MemorySink()
    agent = LlmAgent(engine, settings)
    agent.warm_up()  # a live session loads and warms its models before the wearer speaks
    pipeline = VoicePipeline(
        settings=settings, vad=voice_models.new_vad(), stt=kw.pop("stt", voice_models.stt),
        tts=voice_models.tts, agent=agent, sink=sink, on_event=log, **kw,
    )
    return pipeline, agent, sink, log


def run(pipeline: VoicePipeline, audio: np.ndarray, *, realtime: bool = False, tail_s: float = 1.0, timeout: float = 180):
    source = ArraySource(audio, realtime=realtime, trailing_silence_s=tail_s)
    try:
        return asyncio.run(asyncio.wait_for(pipeline.run(source), timeout))
    finally:
        pipeline.close()
