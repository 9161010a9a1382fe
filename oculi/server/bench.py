"""`oculi bench serve`: memory, throughput and first-token latency at 1, 4 and 8 clients,
beside llama-cpp-python's own OpenAI server (the peer) in the same run.

For each client count N a fresh `oculi serve --slots N` is started (so its RSS is the cost of
N wearers), N streaming clients ask at once, and its RSS is read after the answers. Each of
oculi's chat engines asked for is measured (`batched`, the default: one context, one weight
copy; `batched-invariant`: the same with `--batch-invariant`; `slots`: one engine per slot, a
token each in turn). The peer
is `python -m llama_cpp.server` on the same GGUF and thread count; its 0.3.x server has no
parallel decoding (requests take turns on one context, and by default a new request cancels
the stream in flight — the bench turns that off so every client gets its answer). Both
servers run one after the other, never together, so neither steals the other's cores.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

PROMPTS = ["cats", "rain", "bread", "trains", "the moon", "music", "apples", "rivers"]


def _prompt(i: int) -> str:
    if i < 0:  # the warm-up's: no measured client finds its prompt already read
        return "Write a short note about starting a server."
    return f"Write a long poem about {PROMPTS[i % len(PROMPTS)]}."


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


@dataclass
class LevelResult:
    server: str
    clients: int
    slots: int
    rss_mb: float
    wall_s: float
    completion_tokens: int
    throughput_tok_s: float
    ttft_p50_s: float
    ttft_p95_s: float
    latency_p50_s: float
    latency_p95_s: float


def _rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


def _level(base_url: str, model: str, clients: int, max_tokens: int,
           warm_up: bool = False) -> dict[str, Any]:
    from openai import OpenAI

    ttft: list[float] = []
    latency: list[float] = []
    tokens: list[int] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(clients)

    def one(i: int) -> None:
        try:
            client = OpenAI(base_url=base_url + "/v1", api_key="bench", max_retries=0,
                            timeout=900)
            gate.wait()
            t0 = time.perf_counter()
            first = None
            n = 0
            for chunk in client.chat.completions.create(
                model=model, max_tokens=max_tokens, temperature=0, stream=True,
                messages=[{"role": "user", "content": _prompt(-1 if warm_up else i)}],
            ):
                if chunk.choices and chunk.choices[0].delta.content:
                    n += 1  # one chunk per token on both servers
                    if first is None:
                        first = time.perf_counter() - t0
            latency.append(time.perf_counter() - t0)
            ttft.append(first if first is not None else latency[-1])
            tokens.append(n)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return {"clients": clients, "wall_s": wall, "completion_tokens": sum(tokens),
            "throughput_tok_s": sum(tokens) / wall,
            "ttft_p50_s": statistics.median(ttft), "ttft_p95_s": _pct(ttft, 0.95),
            "latency_p50_s": statistics.median(latency), "latency_p95_s": _pct(latency, 0.95)}


class PeerServer:
    """`python -m llama_cpp.server` on a free loopback port (needs its [server] extras)."""

    @staticmethod
    def check_installed() -> None:
        """Fail before any level runs, not after minutes of oculi's levels: `make run` installs
        oculi without the server's extras, which only `make install-test` adds."""
        probe = subprocess.run([sys.executable, "-c", "import llama_cpp.server.app"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            from oculi.errors import OculiError

            last = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
            raise OculiError(f"llama-cpp-python's server cannot start here ({last})",
                             hint="install its extras (`make install-test`, or pip install "
                                  "sse-starlette starlette-context), or pass --no-peer")

    def __init__(self, model_path: Path, threads: int, context_tokens: int) -> None:
        from oculi.server.live import free_port

        self.port = free_port()
        self.cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
                    "--host", "127.0.0.1", "--port", str(self.port), "--n_threads", str(threads),
                    "--n_threads_batch", str(threads), "--n_ctx", str(context_tokens),
                    "--model_alias", "peer", "--verbose", "false",
                    # by default a new request cancels the stream in flight; queue them instead
                    "--interrupt_requests", "false"]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PeerServer:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"llama_cpp.server exited: {err[-2000:]}")
            try:
                if httpx.get(self.base_url + "/v1/models", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("llama_cpp.server did not start in 300 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def bench_serve(
    model: str, *, levels: tuple[int, ...] = (1, 4, 8), max_tokens: int = 64,
    slots: int | None = None, threads: int = 2, context_tokens: int = 2048, peer: bool = True,
    engines: tuple[str, ...] = ("batched",),
) -> dict[str, Any]:
    from oculi.models.store import default_store
    from oculi.server.live import LiveServer

    path = default_store().path(model)
    if peer:
        PeerServer.check_installed()
    results: list[LevelResult] = []
    loads: list[tuple[float, float, float]] = []
    env = {"OCULI_LLM__THREADS": str(threads), "OCULI_LLM__CONTEXT_TOKENS": str(context_tokens)}
    for engine, n in ((e, n) for e in engines for n in levels):
        n_slots = slots or n
        invariant = engine == "batched-invariant"
        with LiveServer("--model", model, "--slots", str(n_slots),
                        "--engine", "batched" if invariant else engine,
                        "--batch-invariant" if invariant else "--no-batch-invariant",
                        "--queue-size", str(max(levels)),
                        "--no-embeddings", "--no-audio", "--no-image-text", "--no-realtime",
                        env=env) as server:
            assert server.proc is not None
            # warm: the first answers fault the mapped weights in (on a busy machine the page
            # cache may have dropped them), which would be charged to the first level; with
            # a prompt no client sends, so every level reads its clients' prompts
            _level(server.base_url, model, 1, 16, warm_up=True)
            _level(server.base_url, model, 1, 16, warm_up=True)
            r = _level(server.base_url, model, n, max_tokens)
            loads.append(_loadavg())
            results.append(LevelResult(server=f"oculi ({engine})", slots=n_slots,
                                       rss_mb=_rss_mb(server.proc.pid), **r))
    if peer:
        with PeerServer(path, threads, context_tokens) as ps:
            assert ps.proc is not None
            _level(ps.base_url, "peer", 1, 16, warm_up=True)
            _level(ps.base_url, "peer", 1, 16, warm_up=True)
            for n in levels:
                r = _level(ps.base_url, "peer", n, max_tokens)
                loads.append(_loadavg())
                results.append(LevelResult(server="llama_cpp.server", slots=1,
                                           rss_mb=_rss_mb(ps.proc.pid), **r))
    return {"model": model, "threads": threads, "max_tokens": max_tokens,
            "context_tokens": context_tokens, "load_average": loads,
            "levels": [asdict(r) for r in results]}


def _loadavg() -> tuple[float, float, float]:
    import os

    return os.getloadavg()
