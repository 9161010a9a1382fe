"""Privacy, proven: a full session — look (ask about a real photo), listen (the voice pipeline
on a real recording), remember and recall, tools (a reminder, notes) — opens no network
connection except loopback. And the converse: with an off-device option in use (pulling a model
from the hub, fetching an http image_url) the attempt *is* seen, so the probe is not blind.

Two independent witnesses: a Python audit hook in the session's process (every
`socket.connect`, `getaddrinfo`, `sendto`, program start — see net_session.py), and, where
strace exists, the kernel's view of `connect`/`sendto`/`sendmsg` from any thread or child,
including native code (llama.cpp, onnxruntime, FFmpeg) that Python's hooks cannot see.
No *_OFFLINE variable is set: what is proven is oculi's own behaviour.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oculi.models.store import default_store

RUNNER = Path(__file__).with_name("net_session.py")
REPO = Path(__file__).resolve().parents[2]
TINY = "smollm2-135m-instruct"
HIDING = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_ENDPOINT",
          "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy",
          "no_proxy", "NO_PROXY")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCULI_") and k not in HIDING}
    env.update(OCULI_HOME=str(home), OCULI_LLM__MODEL=TINY, OCULI_LLM__MAX_TOKENS="24",
               PYTHONPATH=str(REPO), COLUMNS="200", NO_COLOR="1", **extra)
    return env


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "models").symlink_to(default_store().root)  # the real models; fresh data, config
    return home


def _session(tmp_path: Path, steps: list[dict], env: dict[str, str],
             use_strace: bool) -> tuple[list[dict], list[dict], list[str]]:
    log = tmp_path / "audit.jsonl"
    cmd = [sys.executable, str(RUNNER), str(log), json.dumps(steps)]
    trace = tmp_path / "strace.txt"
    if use_strace:
        cmd = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg",
               "-o", str(trace), *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    events = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    syscalls = trace.read_text().splitlines() if use_strace else []
    return results, events, syscalls


_INET = re.compile(r'sa_family=AF_INET6?.*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")')


def off_device_syscalls(lines: list[str]) -> list[str]:
    """strace lines whose destination is an IPv4/IPv6 address other than loopback."""
    import ipaddress

    bad = []
    for line in lines:
        m = _INET.search(line)
        if m:
            addr = ipaddress.ip_address(m.group(1) or m.group(2))
            mapped = getattr(addr, "ipv4_mapped", None)
            if not (addr.is_loopback or (mapped is not None and mapped.is_loopback)):
                bad.append(line)
    return bad


@pytest.fixture
def strace_ok() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect", "-o",
                            os.devnull, "true"], capture_output=True, check=False)
    return probe.returncode == 0


def _require(*model_ids: str) -> None:
    store = default_store()
    for mid in model_ids:
        if not store.status(store.get(mid)).installed:
            pytest.skip(f"{mid} is not installed: run `oculi models pull {mid}`")


@pytest.mark.slow
def test_full_session_opens_no_network_connection(tmp_path: Path, shared: Path,
                                                  strace_ok: bool) -> None:
    _require(TINY, "whisper-base", "silero-vad", "hibari-tts", "rapidocr-ppocrv4", "minilm-l6-v2")
    photos = sorted((shared / "data" / "vizwiz_captions" / "images").glob("*.jpg"))
    day = tmp_path / "day"
    day.mkdir()
    for p in photos[:3]:
        shutil.copy(p, day / p.name)
    mem = tmp_path / "memory"
    steps = [
        {"cli": ["ask", "What does it say?", "--image", str(photos[5])]},
        {"cli": ["listen", "--audio", str(shared / "data" / "speech" / "jfk.flac"), "--fast",
                 "--out", str(tmp_path / "answer.wav")]},
        {"cli": ["remember", str(day), "--folder", str(mem)]},
        {"cli": ["recall", "what did I see?", "--folder", str(mem)]},
        {"cli": ["tools", "call", "set_reminder", "--args",
                 '{"text": "water the plants", "when": "in 30 minutes"}']},
        {"cli": ["tools", "call", "take_note", "--args", '{"text": "bike is in locker 42"}']},
        {"cli": ["tools", "call", "find_notes", "--args", '{"query": "locker"}']},
        {"cli": ["tools", "call", "list_reminders"]},
    ]
    results, events, syscalls = _session(tmp_path, steps, _env(_home(tmp_path)), strace_ok)
    for r in results:
        assert r["code"] == 0, f"{r['step']} failed:\n{r['stderr']}"
    by = {r["step"][0] + (":" + r["step"][2] if r["step"][0] == "tools" else ""): r for r in results}
    assert "country" in by["listen"]["stdout"].lower()  # the real recording was transcribed
    assert (tmp_path / "answer.wav").stat().st_size > 10_000  # and answered aloud
    assert by["ask"]["stdout"].strip()
    assert "42" in by["tools:find_notes"]["stdout"]
    assert "water the plants" in by["tools:list_reminders"]["stdout"]
    assert sum(1 for e in events if e["event"] == "step_done") == len(steps)

    off = [e for e in events if e.get("local") is False]
    assert off == [], f"network attempts during an on-device session: {off}"
    started = [e for e in events if e["event"] in ("subprocess.Popen", "os.exec", "os.posix_spawn")]
    assert started == [], f"programs started during the session: {started}"
    if strace_ok:
        assert off_device_syscalls(syscalls) == []


def test_probe_sees_a_hub_pull(tmp_path: Path) -> None:
    """Pulling from the model hub is an off-device option: its connection attempt is recorded
    (to an unroutable documentation address, and refused by the probe before it leaves)."""
    env = _env(_home(tmp_path), HF_ENDPOINT="http://192.0.2.1:9")
    results, events, _ = _session(tmp_path, [{"cli": ["models", "pull", "smolvlm-256m-instruct"]}],
                                  env, use_strace=False)
    off = [e for e in events if e.get("local") is False]
    assert off and "192.0.2.1" in off[0]["target"], events
    assert results[0]["code"] not in (0, "exception")
    assert "download_failed" in results[0]["stderr"]  # a clear, coded error for the user


def test_probe_sees_an_image_url_fetch(tmp_path: Path) -> None:
    """The API server fetching an http(s) image_url for a client is off-device: seen (DNS
    lookup of the host) and, here, refused by the probe."""
    code = (
        "import asyncio\n"
        "from oculi.server.images import fetch_image\n"
        "try:\n"
        "    result = asyncio.run(fetch_image('http://images.example.org/cat.jpg',"
        " max_bytes=1 << 20, timeout=3, allow_private=False))\n"
        "except Exception as exc:\n"
        "    result = exc\n"
    )
    results, events, _ = _session(tmp_path, [{"py": code}], _env(_home(tmp_path)), use_strace=False)
    off = [e for e in events if e.get("local") is False]
    assert off and "images.example.org" in off[0]["target"], events
    assert results[0]["code"] == 0 and "Error" in results[0]["result"]


def test_loopback_is_allowed_and_recorded(tmp_path: Path) -> None:
    """The probe's own control: a loopback connection is recorded as local, not refused."""
    code = (
        "import socket\n"
        "srv = socket.create_server(('127.0.0.1', 0))\n"
        "c = socket.create_connection(srv.getsockname())\n"
        "c.close(); srv.close(); result = 'ok'\n"
    )
    results, events, _ = _session(tmp_path, [{"py": code}], _env(_home(tmp_path)), use_strace=False)
    assert results[0]["result"] == "'ok'"
    assert any(e["event"] == "socket.connect" and e["local"] for e in events)
