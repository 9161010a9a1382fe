"""Embeddings, speech and transcription through the official client, with the real models."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import numpy as np
import openai
import pytest


def test_embeddings_base64_default_and_float(client) -> None:
    texts = ["a cat sleeps on the sofa", "a kitten naps on the couch", "interest rates rose"]
    r = client.embeddings.create(model="minilm-l6-v2", input=texts)  # the client asks for base64
    vecs = np.array([d.embedding for d in r.data])
    assert vecs.shape == (3, 384) and [d.index for d in r.data] == [0, 1, 2]
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.3  # meaning, not spelling
    f = client.embeddings.create(model="minilm-l6-v2", input=texts[0], encoding_format="float")
    assert np.allclose(f.data[0].embedding, vecs[0], atol=1e-5)
    assert r.usage.prompt_tokens > 0
    with pytest.raises(openai.BadRequestError) as err:
        client.embeddings.create(model="minilm-l6-v2", input="x", dimensions=128)
    assert err.value.param == "dimensions"


def test_speech_then_transcription_round_trip(client) -> None:
    said = "Turn left at the next corner."
    audio = client.audio.speech.create(model="hibari-tts", voice="heart", input=said,
                                       response_format="wav").content
    with wave.open(io.BytesIO(audio)) as w:
        assert w.getframerate() == 24000 and w.getnchannels() == 1
        assert w.getnframes() / w.getframerate() > 0.8
    heard = client.audio.transcriptions.create(model="whisper-base",
                                               file=("said.wav", audio, "audio/wav"))
    words = heard.text.lower().replace(".", "").replace(",", "").split()
    assert {"turn", "left", "corner"} <= set(words), heard.text
    with pytest.raises(openai.BadRequestError) as err:
        client.audio.speech.create(model="hibari-tts", voice="alloy", input="hi")
    assert err.value.param == "voice"
    with pytest.raises(openai.BadRequestError) as err:
        client.audio.speech.create(model="hibari-tts", voice="heart", input="hi",
                                   response_format="mp3")
    assert err.value.code == "unsupported_parameter"


def test_transcribes_real_recorded_speech(client, shared: Path) -> None:
    folder = shared / "data" / "speech"
    expected = json.loads((folder / "transcripts.json").read_text())
    with (folder / "jfk.flac").open("rb") as f:
        text = client.audio.transcriptions.create(model="whisper-base", file=f,
                                                  response_format="text")

    def words(s: str) -> list[str]:
        return "".join(c for c in s.lower() if c.isalpha() or c == " ").split()

    assert words(str(text)) == words(expected["jfk.flac"]["transcript"])


def test_transcription_errors(client) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.audio.transcriptions.create(model="whisper-base",
                                           file=("x.wav", b"not audio at all", "audio/wav"))
    assert err.value.code == "invalid_audio"
    with pytest.raises(openai.BadRequestError) as err:
        client.audio.transcriptions.create(model="whisper-base", file=("x.wav", b"RIFF", "audio/wav"),
                                           timestamp_granularities=["word"])
    assert err.value.code == "unsupported_parameter"
