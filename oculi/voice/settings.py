"""Voice settings, a pydantic model with defaults until `oculi.config` gains a `voice` section.

Every stage takes its part of this object in its constructor, so tests and benchmarks build
pipelines with other values without touching the environment.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VoiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # voice activity / end of turn
    vad_threshold: float = Field(0.5, ge=0.05, le=0.95, description="speech probability that counts as voice")
    end_of_turn_silence_ms: int = Field(400, ge=100, le=5000, description="silence that ends the user's turn")
    min_speech_ms: int = Field(96, ge=32, description="voiced audio needed before a turn (or barge-in) starts")
    pre_speech_ms: int = Field(
        400, ge=0,
        description="audio kept from before the detected onset (faster-whisper pads its VAD chunks by 400 ms; with 300 Whisper misheard the first words of real speech)",
    )
    max_turn_s: float = Field(30.0, ge=1.0, description="a turn longer than this is cut and transcribed")

    # speech-to-text
    stt_model: str = Field("whisper-base", description="catalog id of the faster-whisper model folder")
    stt_threads: int = Field(2, ge=1)
    stt_beam_size: int = Field(1, ge=1)
    stt_compute_type: str = Field("int8")
    stt_short_context: bool = Field(True, description="encode only the turn's audio, not a padded 30 s window")
    language: str | None = Field("en", description="None lets Whisper detect the language")
    partial_interval_ms: int = Field(1000, ge=200, description="how often partial transcripts are made")

    # text-to-speech
    tts_voice: str = Field("heart", description="hibari voice; only 'heart' works offline")
    tts_threads: int = Field(1, ge=1)
    tts_speed: float = Field(1.0, ge=0.5, le=2.0)
    min_chunk_chars: int = Field(12, ge=1, description="shortest text sent to TTS at a clause break")
    first_chunk_words: int = Field(3, ge=2, description="a long first sentence is spoken after this many words")

    # wake word / follow-up
    wake_word: str | None = Field(None, description="openWakeWord model (e.g. 'hey_jarvis'); None = push-to-talk / always listening")
    wake_threshold: float = Field(0.5, ge=0.05, le=0.99)
    follow_up_s: float = Field(5.0, ge=0.0, description="seconds after an answer when no wake word is needed")

    # agent
    max_answer_tokens: int = Field(96, ge=8)
    prefill_while_speaking: bool = Field(True, description="read each partial transcript into the LLM as a guess at the question")
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    system_prompt: str = Field(
        "You are oculi, a voice assistant on the wearer's smart glasses. Your answers are "
        "spoken aloud: answer in one or two short plain sentences, without lists or markdown."
    )

    # audio out
    output_chunk_ms: int = Field(20, ge=5, le=200, description="granularity of playback (and of stopping it)")
