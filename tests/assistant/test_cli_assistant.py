"""The terminal interfaces are the assistant: `oculi chat` runs a tool in its REPL, and
`oculi listen --image` answers about the image — and without one never claims to see.
Driven as a user would, in a child process (stdin piped, a recorded question as the audio).
The default 1.5B model; the spoken question is synthesised by hibari."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from oculi.paths import Paths
from tests.realtime.conftest import render_sign

pytestmark = [pytest.mark.slow, pytest.mark.default_model]
SIGN = "EXIT B"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An own OCULI_HOME (its timers and notes) that shares the installed models."""
    root = tmp_path_factory.mktemp("home")
    (root / "models").symlink_to(Paths.from_env().models, target_is_directory=True)
    return {**os.environ, "OCULI_HOME": str(root)}


def oculi(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oculi", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=1800)


def test_chat_repl_runs_a_tool(home: dict[str, str]) -> None:
    r = oculi(home, "chat", stdin="Set a timer for 7 minutes for the eggs.\n/exit\n")
    assert r.returncode == 0, r.stderr
    assert "⚙ set_timer(" in r.stderr and "minutes=7" in r.stderr, r.stderr
    assert "✓" in r.stderr  # the tool ran and returned


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hibari import write_wav

    from oculi.voice.models import VoiceModels
    from oculi.voice.settings import VoiceSettings

    tts = VoiceModels.load(VoiceSettings()).tts
    path = tmp_path_factory.mktemp("audio") / "q.wav"
    write_wav(str(path), np.concatenate([np.zeros(7200, np.float32),
                                         tts.synthesize("What does the sign say?")]))
    return path


def test_listen_with_an_image_answers_about_it(home: dict[str, str], question_wav: Path,
                                               tmp_path: Path) -> None:
    from PIL import Image

    sign = tmp_path / "sign.png"
    Image.fromarray(render_sign(SIGN)).save(sign)
    r = oculi(home, "listen", "--audio", str(question_wav), "--image", str(sign), "--fast",
              "--out", str(tmp_path / "a.wav"))
    assert r.returncode == 0, r.stderr
    answer = re.findall(r"[a-z0-9]+", r.stdout.split("oculi>", 1)[1].split("latency")[0].lower())
    assert "exit" in answer and "b" in answer, r.stdout


def test_listen_without_an_image_never_claims_to_see(home: dict[str, str], question_wav: Path,
                                                     tmp_path: Path) -> None:
    r = oculi(home, "listen", "--audio", str(question_wav), "--fast", "--out", str(tmp_path / "a.wav"))
    assert r.returncode == 0, r.stderr
    answer = r.stdout.split("oculi>", 1)[1].lower().replace("’", "'")
    assert any(w in answer for w in ("can't see", "cannot see", "no camera", "not connected",
                                     "unable to see", "no image")), r.stdout
    assert "exit" not in answer
