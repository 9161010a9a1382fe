"""The voice bench's clock: the end of speech comes from the file, not from the VAD."""

from __future__ import annotations

import numpy as np

from oculi.voice.bench import speech_end_s


def test_speech_end_is_the_last_loud_frame_not_the_file_end() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(int(1.5 * 16000)) / 16000
    speech = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    noise = (0.001 * rng.standard_normal(16000)).astype(np.float32)  # room noise, -50 dB
    clip = np.concatenate([noise[:4000], speech, noise])
    assert abs(speech_end_s(clip) - (0.25 + 1.5)) <= 0.02
    assert speech_end_s(np.zeros(1600, np.float32)) == 0.0
