"""`oculi bench soak`: a bounded load test against a live `oculi serve` on loopback.

Why a soak and not only a benchmark: a wearable assistant runs all day, so what matters is what
an hour of mixed use leaves behind — memory that keeps growing, threads or file handles that are
never closed, temporary files that pile up — and whether any request fails other than with the
documented 503 "busy, retry". For N minutes, concurrent clients stream chat (the official
openai client), ask for embeddings and transcriptions, run realtime voice sessions, while a
separate process ingests memories. Every few seconds the server's and the ingest process's
RSS, threads, open file descriptors and temporary files are sampled. After a warm-up the
figures must stay flat. Throughput and p50/p95 latency per kind of request are reported.

Everything binds and connects to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from oculi.bench.soak_data import chat_prompt, embed_inputs

GROWTH_LIMIT_PCT = 5.0
HANDLE_SLACK = 2  # a pool thread or socket that happens to be open at the last sample


@dataclass
class SoakConfig:
    minutes: float = 30.0
    model: str = "smollm2-135m-instruct"
    chat_clients: int = 2
    embed_clients: int = 1
    transcribe_clients: int = 1
    realtime_clients: int = 1  # push-to-talk turns with a frame, through oculi.realtime.client
    ingest: bool = True
    ingest_batch: int = 10
    max_tokens: int = 32
    slots: int = 2
    queue_size: int = 4  # small on purpose: a full queue must answer 503, not fail
    warmup_fraction: float = 0.25
    sample_s: float = 5.0
    threads: int = 2
    pause_s: float = 0.5  # think time between one client's requests (a user, not a flood)


@dataclass
class Call:
    kind: str
    t: float  # seconds since the load started
    latency_s: float
    outcome: str  # "ok", "503" or "error: ..."


@dataclass
class Sample:
    t: float
    process: str
    rss_mb: float
    threads: int
    fds: int
    tmp_files: int
    phase: str  # "load" or "quiesced"


@dataclass
class SoakResult:
    config: dict[str, Any]
    duration_s: float
    calls: list[Call] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    # 1/5/15-minute load averages at the end: on a shared machine they explain the latencies
    load_average: tuple[float, float, float] | None = None

    # ------------------------------------------------------------------ figures
    def kinds(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for kind in sorted({c.kind for c in self.calls}):
            calls = [c for c in self.calls if c.kind == kind]
            ok = [c.latency_s for c in calls if c.outcome == "ok"]
            errors = [c.outcome for c in calls if c.outcome.startswith("error")]
            out[kind] = {
                "requests": len(calls),
                "ok": len(ok),
                "busy_503": sum(c.outcome == "503" for c in calls),
                "errors": len(errors),
                "error_examples": sorted(set(errors))[:5],
                "per_s": len(ok) / self.duration_s if self.duration_s else 0.0,
                "p50_s": float(np.percentile(ok, 50)) if ok else None,
                "p95_s": float(np.percentile(ok, 95)) if ok else None,
            }
        return out

    def resources(self) -> dict[str, dict[str, Any]]:
        """Per process: RSS growth after warm-up (the trend line from the end of the warm-up
        to the end of the load), and threads/fds/temp files at the end of the warm-up vs after
        the load stopped."""
        warm_end = self.config["warmup_fraction"] * self.duration_s
        out: dict[str, dict[str, Any]] = {}
        for proc in sorted({s.process for s in self.samples}):
            load = [s for s in self.samples if s.process == proc and s.phase == "load"]
            post = [s for s in load if s.t >= warm_end]
            warm = [s for s in load if s.t < warm_end] or post[:1]
            quiet = [s for s in self.samples if s.process == proc and s.phase == "quiesced"]
            if len(post) < 2 or not quiet:
                continue
            # RSS swings by tens of MB as sessions come and go; a leak is a trend. The
            # least-squares line through every sample after warm-up gives it, where two
            # short windows would compare a peak with a trough.
            t = np.array([s.t for s in post])
            rss = np.array([s.rss_mb for s in post])
            slope, intercept = np.polyfit(t, rss, 1) if np.ptp(t) > 0 else (0.0, float(rss.mean()))
            base = float(slope * t[0] + intercept)
            end = float(slope * t[-1] + intercept)
            final = quiet[-1]
            warm_threads = max(s.threads for s in warm + post[:1])
            warm_fds = max(s.fds for s in warm + post[:1])
            warm_tmp = max(s.tmp_files for s in warm + post[:1])
            out[proc] = {
                "rss_after_warmup_mb": round(base, 1),
                "rss_end_mb": round(end, 1),
                "rss_peak_mb": round(max(s.rss_mb for s in load), 1),
                "rss_idle_mb": round(final.rss_mb, 1),
                "rss_growth_pct": round(100 * (end - base) / base, 2),
                "threads_warm": warm_threads,
                "threads_max": max(s.threads for s in load),
                "threads_final": final.threads,
                "fds_warm": warm_fds,
                "fds_max": max(s.fds for s in load),
                "fds_final": final.fds,
                "tmp_files_warm": warm_tmp,
                "tmp_files_final": final.tmp_files,
            }
        return out

    def problems(self) -> list[str]:
        found = []
        for kind, k in self.kinds().items():
            if k["errors"]:
                found.append(f"{kind}: {k['errors']} errors other than 503, e.g. {k['error_examples'][:2]}")
            if not k["ok"]:
                found.append(f"{kind}: no request succeeded")
        res = self.resources()
        if not res:
            found.append("too few resource samples to judge growth (run longer)")
        for proc, r in res.items():
            if r["rss_growth_pct"] >= GROWTH_LIMIT_PCT:
                found.append(f"{proc}: RSS grew {r['rss_growth_pct']:.1f}% after warm-up")
            if r["threads_final"] > r["threads_warm"] + HANDLE_SLACK:
                found.append(f"{proc}: threads {r['threads_warm']} → {r['threads_final']} after the load")
            if r["fds_final"] > r["fds_warm"] + HANDLE_SLACK:
                found.append(f"{proc}: open files {r['fds_warm']} → {r['fds_final']} after the load")
            if r["tmp_files_final"] > r["tmp_files_warm"]:
                found.append(f"{proc}: temp files {r['tmp_files_warm']} → {r['tmp_files_final']}")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "duration_s": round(self.duration_s, 1),
            "load_average": self.load_average,
            "cpu_count": os.cpu_count(),
            "kinds": self.kinds(),
            "resources": self.resources(),
            "problems": self.problems(),
            "passed": not self.problems(),
            "samples": [asdict(s) for s in self.samples],
        }


# ---------------------------------------------------------------------- realtime hook
async def realtime_session(base_url: str, *, pcm16: bytes, jpeg: bytes, timeout: float = 180.0) -> float:
    """One push-to-talk realtime turn: a camera frame, a spoken question, the answer.

    Returns seconds from the end of speech to `answer.done`. Raises on an error event, so the
    soak counts it. This is the hook the realtime client plugs into (oculi.realtime.client).
    """
    from oculi.realtime.client import RealtimeClient

    async with await RealtimeClient.connect(base_url, mode="push_to_talk") as rt:
        await rt.send_frame(jpeg)
        await rt.talk_start()
        await rt.send_audio(pcm16)
        await rt.talk_stop()
        t0 = time.perf_counter()
        events = await rt.collect(lambda e: getattr(e, "type", "") in ("answer.done", "error"),
                                  timeout=timeout)
        last = events[-1] if events else None
        if last is None or getattr(last, "type", "") != "answer.done":
            code = getattr(last, "code", "no answer")
            raise RuntimeError(f"realtime turn failed: {code}: {getattr(last, 'message', '')}")
        return time.perf_counter() - t0


# ---------------------------------------------------------------------- the run
class _Load:
    def __init__(self, cfg: SoakConfig, base_url: str, t0: float) -> None:
        self.cfg = cfg
        self.base_url = base_url
        self.t0 = t0
        self.stop = threading.Event()
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def record(self, kind: str, started: float, outcome: str) -> None:
        with self._lock:
            self.calls.append(Call(kind, started - self.t0, time.perf_counter() - started, outcome))

    def loop(self, kind: str, once: Callable[[int], None]) -> None:
        import openai

        i = 0
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                once(i)
                self.record(kind, started, "ok")
            except openai.APIStatusError as exc:
                if exc.status_code == 503:
                    self.record(kind, started, "503")
                    retry = float(exc.response.headers.get("retry-after", "1") or 1)
                    self.stop.wait(min(max(retry, 0.2), 5.0))
                else:
                    self.record(kind, started, f"error: {exc.status_code} {exc.message[:120]}")
            except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the soak
                self.record(kind, started, f"error: {type(exc).__name__}: {str(exc)[:120]}")
                self.stop.wait(1.0)
            i += 1


_clients = threading.local()


def _client(base_url: str):
    """One openai client per worker thread (its connection pool is reused, as an app would)."""
    from openai import OpenAI

    client = getattr(_clients, base_url, None)
    if client is None:
        client = OpenAI(base_url=base_url + "/v1", api_key="soak", max_retries=0, timeout=300)
        setattr(_clients, base_url, client)
    return client


def _speech(base_url: str) -> tuple[bytes, bytes]:
    """A spoken question made by the server's own TTS: (wav bytes, 16 kHz mono pcm16)."""
    from oculi.voice.audio_in import float_to_pcm16, resample

    wav = _client(base_url).audio.speech.create(
        model="hibari-tts", voice="heart", input="What time is my train to the airport?",
        response_format="wav").content
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
    return wav, float_to_pcm16(resample(x, rate))


def _frame() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), "white")
    ImageDraw.Draw(img).text((40, 200), "PLATFORM 4  10:42  AIRPORT", fill="black",
                             font_size=40)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def _sampler(load: _Load, procs: dict[str, int], tmpdir: Path, samples: list[Sample],
             every: float) -> None:
    while not load.stop.wait(every):
        samples.extend(sample_processes(procs, tmpdir, time.perf_counter() - load.t0, "load"))


def sample_processes(procs: dict[str, int], tmpdir: Path, t: float, phase: str) -> list[Sample]:
    tmp_files = sum(len(files) for _, _, files in os.walk(tmpdir))
    out = []
    for name, pid in procs.items():
        try:
            p = psutil.Process(pid)
            with p.oneshot():
                out.append(Sample(round(t, 2), name, p.memory_info().rss / 2**20, p.num_threads(),
                                  p.num_fds(), tmp_files, phase))
        except psutil.NoSuchProcess:
            continue
    return out


def run(cfg: SoakConfig, progress: Callable[[str], None] = lambda _m: None) -> SoakResult:
    from oculi.server.live import LiveServer

    if cfg.minutes <= 0:
        raise ValueError("minutes must be positive")
    tmpdir = Path(tempfile.mkdtemp(prefix="oculi-soak-"))
    child_tmp = tmpdir / "tmp"  # TMPDIR of the server and the ingest process: counted
    child_tmp.mkdir()
    env = {"TMPDIR": str(child_tmp), "OCULI_LLM__THREADS": str(cfg.threads)}
    args = ["--model", cfg.model, "--slots", str(cfg.slots), "--queue-size", str(cfg.queue_size),
            "--realtime" if cfg.realtime_clients else "--no-realtime", "--graceful-seconds", "5"]
    samples: list[Sample] = []
    ingest: subprocess.Popen[str] | None = None
    progress("starting the server")
    try:
        with LiveServer(*args, env=env) as server:
            assert server.proc is not None
            procs = {"server": server.proc.pid}
            wav, pcm = _speech(server.base_url)
            jpeg = _frame()
            if cfg.ingest:
                ingest = subprocess.Popen(
                    [sys.executable, "-m", "oculi.bench.soak_ingest", str(tmpdir / "memory"),
                     str(cfg.ingest_batch)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                    env={**os.environ, **env})
                assert ingest.stdout is not None
                ready = ingest.stdout.readline()
                if '"ready"' not in ready:
                    raise RuntimeError(f"the ingest process did not start: {ready!r}")
                procs["ingest"] = ingest.pid
            load = _Load(cfg, server.base_url, time.perf_counter())
            workers, warm_ups = _workers(cfg, load, wav, pcm, jpeg, ingest)
            progress("warming up: one request of each kind (models load lazily)")
            for kind, once in warm_ups.items():
                try:
                    once(0)
                except Exception as exc:  # noqa: BLE001 - counted in the run proper
                    progress(f"warm-up {kind} failed: {exc}")
            load.t0 = time.perf_counter()
            sampler = threading.Thread(target=_sampler, name="soak-sampler",
                                       args=(load, procs, child_tmp, samples, cfg.sample_s),
                                       daemon=True)
            samples.extend(sample_processes(procs, child_tmp, 0.0, "load"))
            for w in [*workers, sampler]:
                w.start()
            deadline = load.t0 + cfg.minutes * 60
            while time.perf_counter() < deadline:
                time.sleep(min(5.0, max(0.0, deadline - time.perf_counter())))
                done = len(load.calls)
                progress(f"{(time.perf_counter() - load.t0) / 60:.1f}/{cfg.minutes:g} min, "
                         f"{done} requests")
            duration = time.perf_counter() - load.t0
            load.stop.set()
            progress("letting in-flight requests finish")
            for w in workers:
                w.join(timeout=300)
            sampler.join(timeout=30)
            time.sleep(max(2.0, cfg.sample_s))  # idle: pools shrink, sockets close
            samples.extend(sample_processes(procs, child_tmp, time.perf_counter() - load.t0,
                                            "quiesced"))
            calls = load.calls
            load_average = os.getloadavg()
    finally:
        if ingest is not None:
            if ingest.stdin:
                ingest.stdin.close()
            try:
                ingest.wait(timeout=30)
            except subprocess.TimeoutExpired:
                ingest.kill()
                ingest.wait()
        shutil.rmtree(tmpdir, ignore_errors=True)
    return SoakResult(asdict(cfg), duration, calls, samples, load_average)


def _workers(
    cfg: SoakConfig, load: _Load, wav: bytes, pcm: bytes, jpeg: bytes,
    ingest: subprocess.Popen[str] | None,
) -> tuple[list[threading.Thread], dict[str, Callable[[int], None]]]:
    """The client threads, and one call per kind for the warm-up."""
    base = load.base_url
    threads = []

    def chat(i: int) -> None:
        client = _client(base)
        stream = client.chat.completions.create(
            model=cfg.model, max_tokens=cfg.max_tokens, temperature=0.7, stream=True,
            messages=[{"role": "user", "content": chat_prompt(i)}])
        got = False
        for chunk in stream:
            got = got or bool(chunk.choices and chunk.choices[0].delta.content)
        if not got:
            raise RuntimeError("the stream carried no text")

    def embed(i: int) -> None:
        r = _client(base).embeddings.create(model="minilm-l6-v2", input=embed_inputs(i),
                                            encoding_format="float")
        if len(r.data) != 4 or len(r.data[0].embedding) != 384:
            raise RuntimeError("wrong embeddings shape")

    def transcribe(_i: int) -> None:
        r = _client(base).audio.transcriptions.create(model="whisper-base",
                                                      file=("q.wav", wav, "audio/wav"))
        if "train" not in r.text.lower():
            raise RuntimeError(f"transcript lost the words: {r.text!r}")

    def realtime(_i: int) -> None:
        asyncio.run(realtime_session(base, pcm16=pcm, jpeg=jpeg))

    kinds: list[tuple[str, int, Callable[[int], None]]] = [
        ("chat", cfg.chat_clients, chat), ("embeddings", cfg.embed_clients, embed),
        ("transcription", cfg.transcribe_clients, transcribe),
        ("realtime", cfg.realtime_clients, realtime),
    ]
    if ingest is not None:
        lock = threading.Lock()

        def ingest_batch(_i: int) -> None:
            assert ingest.stdin is not None and ingest.stdout is not None
            with lock:
                ingest.stdin.write("go\n")
                ingest.stdin.flush()
                line = ingest.stdout.readline()
            if not line:
                raise RuntimeError(f"the ingest process exited ({ingest.poll()})")
            body = json.loads(line)
            if body.get("n") != cfg.ingest_batch:
                raise RuntimeError(f"ingest stored {body.get('n')} of {cfg.ingest_batch}")

        kinds.append(("memory_ingest", 1, ingest_batch))
    for kind, n, fn in kinds:
        for c in range(n):
            threads.append(threading.Thread(target=load.loop, args=(kind, fn),
                                            name=f"soak-{kind}-{c}", daemon=True))
    return threads, {kind: fn for kind, n, fn in kinds if n}
