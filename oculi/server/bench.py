"""`oculi bench serve`: throughput and latency of a live server at 1, 4 and 8 clients.

The reference is the same model decoding the same kind of prompt in-process, measured in the
same run, so the figures say what the HTTP layer and the turn-taking scheduler cost (or win)
on this machine, whatever else is loading it.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

PROMPTS = ["cats", "rain", "bread", "trains", "the moon", "music", "apples", "rivers"]


def _prompt(i: int) -> str:
    return f"Write a long poem about {PROMPTS[i % len(PROMPTS)]}."


@dataclass
class LevelResult:
    clients: int
    wall_s: float
    completion_tokens: int
    throughput_tok_s: float
    ttft_p50_s: float
    ttft_max_s: float
    latency_p50_s: float
    latency_max_s: float
    vs_reference: float


def reference_tok_s(model_path: Any, max_tokens: int, threads: int) -> float:
    from oculi.llm.engine import GenerationOptions, LlamaEngine
    from oculi.llm.messages import ChatMessage

    engine = LlamaEngine(model_path, threads=threads, context_tokens=2048)
    opts = GenerationOptions(max_tokens=max_tokens, temperature=0.0)
    engine.chat([ChatMessage("user", "Hello")], options=GenerationOptions(max_tokens=4))  # warm
    t0 = time.perf_counter()
    r = engine.chat([ChatMessage("user", _prompt(0))], options=opts)
    return r.usage.completion_tokens / (time.perf_counter() - t0)


def _level(base_url: str, model: str, clients: int, max_tokens: int, ref: float) -> LevelResult:
    from openai import OpenAI

    ttft: list[float] = []
    latency: list[float] = []
    tokens: list[int] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(clients)

    def one(i: int) -> None:
        try:
            client = OpenAI(base_url=base_url + "/v1", api_key="bench", max_retries=0,
                            timeout=600)
            gate.wait()
            t0 = time.perf_counter()
            first = None
            for chunk in client.chat.completions.create(
                model=model, max_tokens=max_tokens, temperature=0, stream=True,
                stream_options={"include_usage": True},
                messages=[{"role": "user", "content": _prompt(i)}],
            ):
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter() - t0
                if chunk.usage is not None:
                    tokens.append(chunk.usage.completion_tokens)
            latency.append(time.perf_counter() - t0)
            ttft.append(first if first is not None else latency[-1])
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
    thr = sum(tokens) / wall
    return LevelResult(clients, wall, sum(tokens), thr, statistics.median(ttft), max(ttft),
                       statistics.median(latency), max(latency), thr / ref if ref else 0.0)


def bench_serve(
    model: str, *, levels: tuple[int, ...] = (1, 4, 8), max_tokens: int = 64,
    slots: int | None = None, threads: int = 2,
) -> dict[str, Any]:
    from oculi.models.store import default_store
    from oculi.server.live import LiveServer

    ref = reference_tok_s(default_store().path(model), max_tokens, threads)
    n_slots = slots or max(levels)
    results = []
    with LiveServer("--model", model, "--slots", str(n_slots), "--queue-size", str(max(levels)),
                    "--no-embeddings", "--no-audio",
                    env={"OCULI_LLM__THREADS": str(threads)}) as server:
        _level(server.base_url, model, 1, 4, ref)  # warm the server's engines
        for n in levels:
            results.append(_level(server.base_url, model, n, max_tokens, ref))
    return {"model": model, "slots": n_slots, "max_tokens": max_tokens,
            "reference_tok_s": ref, "levels": [asdict(r) for r in results]}
