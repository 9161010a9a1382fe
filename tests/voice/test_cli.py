"""`oculi listen --audio … --out …` and `oculi bench voice`, through typer's runner."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from PIL import Image
import pytest
import typer
from typer.testing import CliRunner

from oculi.cli.listen import listen

pytestmark = pytest.mark.timeout(300)


def app() -> typer.Typer:
    a = typer.Typer()
    a.command("listen")(listen)
    a.command("other")(lambda: None)  # two commands, so typer keeps the sub-command name
    return a


@pytest.fixture
def question_wav(tmp_path: Path, voice_models) -> Path:
    from hibari import write_wav

    path = tmp_path / "question.wav"
    audio = np.concatenate([np.zeros(7200, np.float32), voice_models.tts.synthesize("What is the capital of Italy?")])
    write_wav(str(path), audio)
    return path


@pytest.mark.slow  # loads every model in a fresh CLI run
def test_listen_from_file_prints_transcript_answer_latency_and_writes_wav(
    question_wav: Path, tmp_path: Path, tiny_model_path: Path
) -> None:
    out = tmp_path / "answer.wav"
    image = tmp_path / "view.png"
    Image.fromarray(np.full((240, 320, 3), 200, np.uint8)).save(image)  # the assistant's eyes
    r = CliRunner().invoke(app(), ["listen", "--audio", str(question_wav), "--out", str(out),
                                   "--model", "smollm2-135m-instruct", "--image", str(image), "--fast"])
    assert r.exit_code == 0, r.output
    assert "you>" in r.output and "capital of Italy" in r.output
    assert "oculi>" in r.output and "first audio out" in r.output
    assert "not connected" not in r.output  # looking is wired: nothing refuses the image
    with wave.open(str(out)) as w:
        assert w.getframerate() == 24000 and w.getnframes() > 24000 * 0.3


def test_listen_rejects_a_truncated_file_clearly(tmp_path: Path, question_wav: Path) -> None:
    cut = tmp_path / "cut.wav"
    cut.write_bytes(question_wav.read_bytes()[:2000])
    r = CliRunner().invoke(app(), ["listen", "--audio", str(cut), "--out", str(tmp_path / "a.wav")])
    assert r.exit_code != 0
    assert getattr(r.exception, "code", None) == "audio_decode_failed"
    assert "truncated" in str(r.exception)


@pytest.mark.slow
def test_listen_on_silence_says_no_speech(tmp_path: Path, tiny_model_path: Path) -> None:
    path = tmp_path / "silence.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.zeros(32000, "<i2").tobytes())
    r = CliRunner().invoke(app(), ["listen", "--audio", str(path), "--model", "smollm2-135m-instruct", "--fast"])
    assert getattr(r.exception, "code", None) == "no_speech"
