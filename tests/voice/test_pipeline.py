"""The whole voice pipeline from audio files with the real models (Silero, Whisper, SmolLM2, hibari)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from oculi.errors import OculiError
from oculi.voice.audio_in import read_audio, resample
from oculi.voice.settings import VoiceSettings
from oculi.voice.wer import word_error_rate

from .helpers import build, run

pytestmark = pytest.mark.timeout(300)


def with_lead(audio: np.ndarray, lead_s: float = 0.3) -> np.ndarray:
    return np.concatenate([np.zeros(int(lead_s * 16000), np.float32), audio])


def test_spoken_question_gets_a_spoken_answer(voice_models, tiny_engine, say, tmp_path: Path) -> None:
    # written at hibari's 24 kHz and read back: the file path, decode and resampling are real
    from hibari import write_wav

    wav = tmp_path / "question.wav"
    write_wav(str(wav), voice_models.tts.synthesize("What is the capital of France?"))
    pipeline, agent, sink, log = build(voice_models, tiny_engine)
    latencies = run(pipeline, with_lead(read_audio(wav)))

    finals = log.of("final_transcript")
    assert len(finals) == 1 and word_error_rate(["what is the capital of france"], [finals[0].text]) == 0
    done = log.of("turn_done")[0]
    assert done.answer and done.answer == done.full_answer  # not interrupted: all of it was spoken
    assert [m.role for m in agent.history] == ["user", "assistant"]
    assert agent.history[1].content == done.answer
    # the sink got the answer as speech: Whisper hears (most of) the answer's words in it
    heard = voice_models.stt.transcribe(resample(sink.audio(), sink.sample_rate))
    assert word_error_rate([done.answer], [heard]) < 0.5, (done.answer, heard)
    # one latency record, its steps in order (an answer held during the end-of-turn silence
    # may have its transcript and first token before the end of the turn was confirmed)
    (lat,) = latencies
    steps = [lat.speech_ended_at, lat.transcript_at, lat.first_token_at, lat.first_audio_at]
    assert all(s is not None for s in steps) and steps == sorted(steps)
    assert lat.speech_ended_at <= lat.end_of_turn_at <= lat.first_audio_at  # type: ignore[operator]
    assert log.of("turn_latency") == [lat]


def test_a_pause_mid_question_drops_the_held_answer(voice_models, tiny_engine, say) -> None:
    """A pause shorter than the end-of-turn silence starts a held answer on the first half;
    speech resuming drops it unheard: one turn, the whole question, one exchange in history."""
    settings = VoiceSettings(end_of_turn_silence_ms=1200)  # room for the draft and a held answer
    first, second = say("What is the capital"), say("of France?")
    pause = np.zeros(int(0.3 * 16000), np.float32)
    pipeline, agent, sink, log = build(voice_models, tiny_engine, settings, partial_transcripts=False)
    run(pipeline, with_lead(np.concatenate([first, pause, second])), realtime=True, tail_s=1.6)

    assert pipeline.held_answers["dropped"] >= 1  # the first half was answered, held, dropped
    finals = log.of("final_transcript")
    assert len(finals) == 1 and "france" in finals[0].text.lower()
    assert len(log.of("turn_done")) == 1 and not log.of("interrupted")
    assert [m.role for m in agent.history] == ["user", "assistant"]
    assert "france" in agent.history[0].content.lower()
    # only the final answer was played: the dropped one emitted no text
    said = "".join("".join(e.text for e in log.of("answer_text")).split())
    assert said == "".join(log.of("turn_done")[0].answer.split())  # spacing between pieces aside


def test_the_question_is_read_into_the_llm_while_it_is_spoken(voice_models, tiny_engine, say) -> None:
    """Each partial transcript is read into the LLM as a guess at the question, before the
    wearer stops; the answer that follows is the one a cold read gives."""
    settings = VoiceSettings(partial_interval_ms=400, temperature=0.0)
    pipeline, agent, _, log = build(voice_models, tiny_engine, settings)
    guesses: list[tuple[str, bool]] = []
    real_prefill = agent.prefill

    def prefill(partial: str, stop=None) -> int:
        guesses.append((partial, pipeline.turns.speaking))
        return real_prefill(partial, stop)

    agent.prefill = prefill  # type: ignore[method-assign]
    run(pipeline, with_lead(say("What is the name of the longest river in the whole world?")), realtime=True)

    assert guesses and all(speaking for _, speaking in guesses)  # read while the wearer spoke
    done = log.of("turn_done")[0]
    question = log.of("final_transcript")[0].text
    from oculi.llm.engine import GenerationOptions
    from oculi.voice.agent import LlmAgent

    cold = tiny_engine.chat(LlmAgent(tiny_engine, settings).messages_for(question),
                            options=GenerationOptions(max_tokens=settings.max_answer_tokens, temperature=0.0, seed=0))
    assert done.full_answer == cold.text.strip()


def test_the_agent_reads_the_turn_before_the_first_guess(voice_models, tiny_engine, say) -> None:
    """At the start of speech an agent with `turn_started` reads its prompt up to the words
    (the assistant's history, camera note and clock line), before any partial transcript."""
    settings = VoiceSettings(partial_interval_ms=400, temperature=0.0)
    pipeline, agent, _, log = build(voice_models, tiny_engine, settings)
    calls: list[tuple[str, bool]] = []
    real_prefill = agent.prefill

    def prefill(partial: str, stop=None) -> int:
        calls.append(("guess", pipeline.turns.speaking))
        return real_prefill(partial, stop)

    agent.prefill = prefill  # type: ignore[method-assign]
    agent.turn_started = lambda stop=None: calls.append(("started", pipeline.turns.speaking)) or 0  # type: ignore[attr-defined]
    run(pipeline, with_lead(say("Which is the largest desert on the planet?")), realtime=True)

    assert calls[0] == ("started", True)  # first, while the wearer speaks
    assert [kind for kind, _ in calls].count("started") == 1 and len(log.of("turn_done")) == 1


@pytest.mark.slow  # plays 11 s of real speech at speaking pace
def test_real_recording_with_partial_transcripts(voice_models, tiny_engine, speech_dir: Path) -> None:
    reference = json.loads((speech_dir / "transcripts.json").read_text())["jfk.flac"]["transcript"]
    settings = VoiceSettings(end_of_turn_silence_ms=1500, max_answer_tokens=24)  # JFK pauses ~1 s
    pipeline, _, sink, log = build(voice_models, tiny_engine, settings)
    run(pipeline, read_audio(speech_dir / "jfk.flac"), realtime=True, tail_s=2.0)

    kinds = [e.type for e in log.events]
    assert kinds.count("speech_started") == 1 and kinds.count("final_transcript") == 1
    partials = log.of("partial_transcript")
    assert partials and kinds.index("partial_transcript") < kinds.index("final_transcript")
    assert word_error_rate([reference], [log.of("final_transcript")[0].text]) <= 0.05
    assert len(sink.audio()) > 0


@pytest.mark.parametrize("kind", ["silence", "clipped_noise"])
def test_bad_audio_produces_no_answer_and_no_crash(voice_models, tiny_engine, kind: str) -> None:
    rng = np.random.default_rng(7)
    audio = (np.zeros(3 * 16000, np.float32) if kind == "silence"
             else np.clip(rng.normal(0, 3.0, 3 * 16000), -1, 1).astype(np.float32))
    pipeline, agent, sink, log = build(voice_models, tiny_engine)
    assert run(pipeline, audio) == []
    assert log.of("turn_done") == [] and agent.history == [] and len(sink.audio()) == 0


def test_wrong_sample_rate_file_is_resampled_and_answered(voice_models, tiny_engine, say, tmp_path: Path) -> None:
    import wave

    eight_k = resample(say("How many legs does a spider have?"), 16000, 8000)
    path = tmp_path / "q8k.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes((np.clip(eight_k, -1, 1) * 32767).astype("<i2").tobytes())
    pipeline, _, _, log = build(voice_models, tiny_engine, VoiceSettings(max_answer_tokens=24))
    run(pipeline, with_lead(read_audio(path)))
    text = log.of("final_transcript")[0].text
    assert word_error_rate(["how many legs does a spider have"], [text]) <= 0.15, text
    assert log.of("turn_done")


def test_a_failing_stage_does_not_end_the_session(voice_models, tiny_engine, say) -> None:
    class FlakySTT:
        """The real Whisper, failing once, as a broken model call would."""

        def __init__(self) -> None:
            self.calls = 0

        def transcribe(self, audio: np.ndarray, *, partial: bool = False) -> str:
            if not partial:
                self.calls += 1
                if self.calls == 1:
                    raise OculiError("decoder crashed", code="stt_failed", hint="retry")
            return voice_models.stt.transcribe(audio, partial=partial)

    settings = VoiceSettings(max_answer_tokens=16)
    pipeline, _, _, log = build(voice_models, tiny_engine, settings, stt=FlakySTT(), partial_transcripts=False)
    gap = np.zeros(16000, np.float32)
    audio = np.concatenate([with_lead(say("Hello there.")), gap, say("What colour is the sky?")])
    run(pipeline, audio)
    assert [e.code for e in log.of("error")] == ["stt_failed"]
    assert len(log.of("turn_done")) == 1
