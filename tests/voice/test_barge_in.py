"""Barge-in: the user talks over the answer; playback and generation stop, history keeps what was heard."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from oculi.voice.settings import VoiceSettings
from oculi.voice.sources import ArraySource

from .helpers import build

pytestmark = pytest.mark.timeout(300)


def trim_leading_quiet(audio: np.ndarray, level: float = 0.02) -> np.ndarray:
    """Start exactly at the first audible sample, so the injection time is the speech onset."""
    loud = np.flatnonzero(np.abs(audio) > level)
    return audio[loud[0]:] if len(loud) else audio


def test_speech_during_the_answer_stops_it_within_200_ms(voice_models, tiny_engine, say) -> None:
    settings = VoiceSettings(max_answer_tokens=160, temperature=0.0)
    pipeline, agent, sink, log = build(voice_models, tiny_engine, settings, partial_transcripts=False)
    question = np.concatenate([np.zeros(4800, np.float32), say("Tell me a long story about a brave dragon.")])
    interruption = trim_leading_quiet(say("Wait, what time is it?"))
    source = ArraySource(question, realtime=True, trailing_silence_s=0.5, live=True)

    async def scenario() -> None:
        run = asyncio.create_task(pipeline.run(source))
        # wait until a second of the answer has been played, then talk over it
        while sink.samples_written < sink_rate() * 1.0:
            assert not run.done(), "pipeline ended before answering"
            await asyncio.sleep(0.01)
        source.inject(interruption)
        while len(log.of("turn_done")) < 2:  # the interrupted answer, then the answer to the interruption
            assert not run.done()
            await asyncio.sleep(0.05)
        source.close()
        await run

    def sink_rate() -> int:
        return voice_models.tts.sample_rate

    try:
        asyncio.run(asyncio.wait_for(scenario(), 240))
    finally:
        pipeline.close()

    (interrupted,) = log.of("interrupted")
    first, second = log.of("turn_done")
    onset = source.injected_at[0]
    print(f"barge-in: output stopped {1000 * (interrupted.at - onset):.0f} ms after the speech onset")
    # output of the first answer stopped within 200 ms of the user starting to speak
    assert interrupted.at - onset <= 0.200, f"stopped {1000 * (interrupted.at - onset):.0f} ms after the onset"
    next_answer_at = second.latency.first_audio_at
    late = [t for t, _ in sink.writes if onset + 0.200 < t < next_answer_at]
    assert late == [], f"{len(late)} chunks written more than 200 ms after the barge-in"
    # history: only what was actually spoken of the first answer
    assert first.latency.interrupted and not second.latency.interrupted
    assert first.answer == interrupted.spoken_text
    assert first.answer and len(first.answer) < len(first.full_answer)
    assert first.full_answer.startswith(first.answer.split()[0])
    assert agent.history[1].role == "assistant" and agent.history[1].content == first.answer
    assert "time" in agent.history[2].content.lower()  # the interruption became the next question
    # playback before the cut matches the spoken text: ~words heard vs audio played
    played_s = sum(n for t, n in sink.writes if t <= interrupted.at) / voice_models.tts.sample_rate
    assert 0.9 <= played_s <= 1.0 + (interrupted.at - onset) + 0.5
