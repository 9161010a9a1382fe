"""Voice fixtures: the real speech models (loaded once), synthesised questions, real recordings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from oculi.voice.settings import VoiceSettings

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech"


def _require(model_id: str) -> None:
    from oculi.models.store import default_store

    store = default_store()
    if not store.status(store.get(model_id)).installed:
        pytest.skip(f"{model_id} is not installed: run `oculi models pull {model_id}`")


@pytest.fixture(scope="session")
def voice_settings() -> VoiceSettings:
    return VoiceSettings()


@pytest.fixture(scope="session")
def voice_models(voice_settings: VoiceSettings):
    for model_id in ("whisper-base", "silero-vad", "hibari-tts"):
        _require(model_id)
    from oculi.voice.models import VoiceModels

    models = VoiceModels.load(voice_settings)
    models.warm_up()
    return models


@pytest.fixture(scope="session")
def say(voice_models) -> Callable[[str], np.ndarray]:
    """Text → 16 kHz speech from hibari (a real voice, not a recording we ship)."""
    from oculi.voice.audio_in import resample

    cache: dict[str, np.ndarray] = {}

    def speak(text: str) -> np.ndarray:
        if text not in cache:
            cache[text] = resample(voice_models.tts.synthesize(text), voice_models.tts.sample_rate)
        return cache[text]

    return speak


@pytest.fixture
def speech_dir() -> Path:
    if not SPEECH.is_dir():
        pytest.skip("../shared/data/speech is absent (real recorded speech for the voice tests)")
    return SPEECH
