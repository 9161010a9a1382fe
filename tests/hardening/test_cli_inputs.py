"""Every `oculi` command that takes a file or an argument, given a missing file, a directory,
garbage or an unreadable file: a non-zero exit, a short clear error, and no traceback.

All command lines run in one child process (tests/hardening/cli_runner.py) so imports are paid
once; the child's OCULI_HOME is fresh, with the real model cache linked in (read-only use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oculi.models.store import default_store

RUNNER = Path(__file__).with_name("cli_runner.py")
REPO = Path(__file__).resolve().parents[2]

# (case id, argv with {missing} {dir} {text} {empty} {unreadable} {jpg} {wav} placeholders)
CASES: list[tuple[str, list[str]]] = [
    ("ask-image-missing", ["ask", "q?", "--image", "{missing}.jpg"]),
    ("ask-image-dir", ["ask", "q?", "--image", "{dir}"]),
    ("ask-image-text", ["ask", "q?", "--image", "{text}"]),
    ("ask-image-empty", ["ask", "q?", "--image", "{empty}"]),
    ("ask-image-wav", ["ask", "q?", "--image", "{wav}"]),
    ("ask-image-unreadable", ["ask", "q?", "--image", "{unreadable}"]),
    ("ask-video-missing", ["ask", "q?", "--video", "{missing}.mp4"]),
    ("ask-video-garbage", ["ask", "q?", "--video", "{text}"]),
    ("ask-video-is-image-at", ["ask", "q?", "--video", "{jpg}", "--at", "5"]),
    ("ask-source-missing", ["ask", "q?", "--source", "{missing}"]),
    ("ask-source-empty-dir", ["ask", "q?", "--source", "{dir}"]),
    ("ask-two-sources", ["ask", "q?", "--image", "{jpg}", "--video", "{jpg}"]),
    ("ask-no-source", ["ask", "q?"]),
    ("ask-unknown-model", ["ask", "q?", "--image", "{jpg}", "--model", "no-such-model"]),
    # a hub-only model: never installed where the hub cannot be reached (unlike the PyPI ones)
    ("ask-model-not-installed", ["ask", "q?", "--image", "{jpg}", "--model", "llama-3.2-3b-instruct"]),
    ("ask-negative-at", ["ask", "q?", "--video", "{text}", "--at", "-3"]),
    ("listen-audio-missing", ["listen", "--audio", "{missing}.wav"]),
    ("listen-audio-dir", ["listen", "--audio", "{dir}"]),
    ("listen-audio-text", ["listen", "--audio", "{text}"]),
    ("listen-audio-empty", ["listen", "--audio", "{empty}"]),
    ("listen-audio-image", ["listen", "--audio", "{jpg}"]),
    ("listen-audio-unreadable", ["listen", "--audio", "{unreadable}"]),
    ("listen-unknown-model", ["listen", "--audio", "{wav}", "--model", "no-such-model"]),
    ("chat-tools-missing", ["chat", "hi", "--tools", "{missing}.json"]),
    ("chat-tools-garbage", ["chat", "hi", "--tools", "{text}"]),
    ("chat-tools-dir", ["chat", "hi", "--tools", "{dir}"]),
    ("chat-tools-not-a-list", ["chat", "hi", "--tools", "{json_obj}"]),
    ("chat-schema-garbage", ["chat", "hi", "--schema", "{text}"]),
    ("chat-schema-not-a-schema", ["chat", "hi", "--schema", "{json_list}"]),
    ("chat-unknown-model", ["chat", "hi", "--model", "no-such-model"]),
    ("chat-max-tokens-garbage", ["chat", "hi", "--max-tokens", "lots"]),
    ("models-add-missing", ["models", "add", "{missing}.gguf"]),
    ("models-add-dir", ["models", "add", "{dir}"]),
    ("models-add-garbage", ["models", "add", "{text}"]),
    ("models-add-fake-gguf", ["models", "add", "{fake_gguf}"]),
    ("models-pull-unknown", ["models", "pull", "no-such-model", "--no-install"]),
    ("models-path-unknown", ["models", "path", "no-such-model"]),
    ("models-path-not-installed", ["models", "path", "llama-3.2-3b-instruct"]),
    ("models-verify-unknown", ["models", "verify", "no-such-model"]),
    ("models-rm-unknown", ["models", "rm", "no-such-model"]),
    ("models-pull-bad-stack", ["models", "pull", "--stack", "nope", "--no-install"]),
    ("bench-look-images-missing", ["bench", "look", "--images", "{missing}"]),
    ("bench-voice-speech-dir-file", ["bench", "voice", "--speech-dir", "{text}"]),
    ("bench-voice-unknown-model", ["bench", "voice", "--model", "nope"]),
    ("bench-llm-unknown-model", ["bench", "llm", "--model", "no-such-model"]),
    ("bench-soak-bad-minutes", ["bench", "soak", "--minutes", "-1"]),
    ("config-garbage", ["--config-case", "garbage"]),
    ("config-unknown-key", ["--config-case", "unknown"]),
]

# Commands owned by other helpers: checked too, a failure here is a bug report for them.
OTHERS: list[tuple[str, list[str]]] = [
    ("remember-missing", ["remember", "{missing}.mp4", "--folder", "{memdir}"]),
    ("remember-dir-empty", ["remember", "{dir}", "--folder", "{memdir}"]),
    ("remember-garbage", ["remember", "{text}", "--folder", "{memdir}"]),
    ("remember-audio-garbage", ["remember", "{jpgdir}", "--audio", "{text}", "--folder", "{memdir}"]),
    ("memory-export-to-file", ["memory", "export", "{text}", "--folder", "{memdir}"]),
    ("memory-forget-garbage-time", ["memory", "forget", "--from", "yesterday-ish", "--folder", "{memdir}"]),
    ("memory-retention-garbage", ["memory", "retention", "forever", "--folder", "{memdir}"]),
    ("tools-call-unknown", ["tools", "call", "no_such_tool"]),
    ("tools-call-garbage-args", ["tools", "call", "set_timer", "--args", "{{not json"]),
    ("tools-call-args-list", ["tools", "call", "set_timer", "--args", "[1, 2]"]),
    ("serve-port-garbage", ["serve", "--port", "http"]),
    ("serve-exposed-no-key", ["serve", "--host", "0.0.0.0"]),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("cli")
    home = tmp / "home"
    home.mkdir()
    (home / "models").symlink_to(default_store().root)  # real models, fresh data and config
    files = {
        "missing": str(tmp / "does-not-exist"),
        "dir": str(tmp / "a-folder"),
        "text": str(tmp / "notes.txt"),
        "empty": str(tmp / "empty.jpg"),
        "unreadable": str(tmp / "secret.jpg"),
        "jpg": str(tmp / "photo.jpg"),
        "jpgdir": str(tmp / "photos"),
        "wav": str(tmp / "speech.wav"),
        "json_obj": str(tmp / "obj.json"),
        "json_list": str(tmp / "list.json"),
        "fake_gguf": str(tmp / "model.gguf"),
        "memdir": str(tmp / "memory"),
    }
    Path(files["dir"]).mkdir()
    Path(files["text"]).write_text("not a picture, not audio, not json {\n")
    Path(files["empty"]).write_bytes(b"")
    Path(files["unreadable"]).write_bytes(b"\xff\xd8\xff" + bytes(100))
    os.chmod(files["unreadable"], 0)
    from PIL import Image

    Image.new("RGB", (64, 64), "white").save(files["jpg"])
    Path(files["jpgdir"]).mkdir()
    Image.new("RGB", (64, 64), "white").save(Path(files["jpgdir"]) / "a.jpg")
    import wave

    with wave.open(files["wav"], "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(32000))
    Path(files["json_obj"]).write_text('{"type": "function"}')
    Path(files["json_list"]).write_text("[1, 2, 3]")
    Path(files["fake_gguf"]).write_bytes(b"this is not a GGUF file" * 10)

    argvs = []
    config_cases = {"garbage": "this is = not [toml\n", "unknown": "[llm]\nmodle = 'x'\n"}
    for case_id, argv in CASES + OTHERS:
        if argv[0] == "--config-case":
            cfg = tmp / f"{argv[1]}.toml"
            cfg.write_text(config_cases[argv[1]])
            argvs.append((case_id, ["chat", "hi"], {"OCULI_CONFIG": str(cfg)}))
            continue
        argvs.append((case_id, [a.format(**files) for a in argv], {}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCULI_")}
    env.update(OCULI_HOME=str(home), COLUMNS="200", NO_COLOR="1", PYTHONPATH=str(REPO))
    out: dict[str, dict] = {}
    # cases that need their own environment (a config file) run in their own child
    groups: dict[str, list[tuple[str, list[str]]]] = {}
    for case_id, argv, extra in argvs:
        groups.setdefault(json.dumps(extra), []).append((case_id, argv))
    for extra_json, cases in groups.items():
        proc = subprocess.run(
            [sys.executable, str(RUNNER)], input=json.dumps([a for _, a in cases]),
            capture_output=True, text=True, env={**env, **json.loads(extra_json)}, timeout=600,
            cwd=tmp, check=False,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        for (case_id, _), res in zip(cases, json.loads(proc.stdout), strict=True):
            out[case_id] = res
    return out


def _check(res: dict) -> None:
    text = res["stdout"] + res["stderr"]
    assert res["escaped"] is None, f"exception escaped main():\n{res['escaped']}"
    # bad input is refused before any model loads (seconds, not a model's load time)
    assert res["seconds"] < 20, f"took {res['seconds']} s to refuse bad input"
    assert "Traceback" not in text, text
    assert res["code"] not in (0, None), f"exit 0 for bad input: {text}"
    err = res["stderr"].strip()
    assert err, "no message on stderr"
    lines = [ln for ln in err.splitlines() if ln.strip(" │╭╰─╮╯")]
    assert len(lines) <= 8, f"message too long ({len(lines)} lines):\n{err}"
    assert any(w in err.lower() for w in ("error", "invalid", "no such", "not", "missing")), err


@pytest.mark.parametrize("case_id", [c for c, _ in CASES])
def test_bad_input_is_a_clear_error(results: dict[str, dict], case_id: str) -> None:
    if case_id.endswith("unreadable") and os.geteuid() == 0:
        pytest.skip("running as root: every file is readable")
    _check(results[case_id])


# case id -> the bug, for commands other helpers own (xfail(strict=True) until fixed)
KNOWN_BUGS: dict[str, str] = {}


@pytest.mark.parametrize("case_id", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[c])) if c in KNOWN_BUGS
    else c for c, _ in OTHERS
])
def test_bad_input_other_commands(results: dict[str, dict], case_id: str) -> None:
    _check(results[case_id])
