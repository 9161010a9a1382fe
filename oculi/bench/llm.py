"""`oculi bench llm`: oculi's chat engine against llama-cpp-python's plain generate loop.

Both sides run on the same Llama instance (same GGUF, same threads), interleaved round by
round so machine noise hits both alike; medians are reported. Load time and peak RSS are
measured in fresh child processes, one per side, because they are per-process facts.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oculi.llm.engine import GenerationOptions, LlamaEngine
from oculi.llm.messages import ChatMessage, TextDelta

SYSTEM = "You are oculi, a private assistant running on the wearer's smart glasses. Answer briefly."
FIRST_QUESTION = "What should I check before crossing a busy street?"
DECODE_PROMPT = "Write a long, detailed story about a lighthouse keeper and a storm."
FOLLOW_UP = "And what was the name of the café I mentioned?"


@dataclass
class SideFigures:
    load_s: float = 0.0
    peak_rss_mb: float = 0.0
    prefill_tok_s: float = 0.0
    decode_tok_s: float = 0.0
    ttft_first_s: float = 0.0
    ttft_follow_up_s: float | None = None
    ttft_follow_up_cold_s: float | None = None


@dataclass
class LlmBenchResult:
    model: str
    model_bytes: int
    threads: int
    history_tokens: int
    rounds: int
    decode_tokens: int
    memory_bandwidth_gb_s: float
    roofline_tok_s: float
    raw: SideFigures = field(default_factory=SideFigures)
    oculi: SideFigures = field(default_factory=SideFigures)

    @property
    def ratios(self) -> dict[str, float]:
        r = {
            "decode_oculi_over_raw": self.oculi.decode_tok_s / max(self.raw.decode_tok_s, 1e-9),
            "decode_oculi_over_roofline": self.oculi.decode_tok_s / max(self.roofline_tok_s, 1e-9),
            "prefill_oculi_over_raw": self.oculi.prefill_tok_s / max(self.raw.prefill_tok_s, 1e-9),
        }
        if self.oculi.ttft_follow_up_s is not None:
            r["ttft_follow_up_over_first"] = self.oculi.ttft_follow_up_s / max(
                self.oculi.ttft_first_s, 1e-9
            )
        return r

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratios"] = self.ratios
        return d


# ---------------------------------------------------------------- the two sides
def _raw_decode(engine: LlamaEngine, prompt: str, n: int) -> tuple[float, float, int]:
    """llama-cpp-python's plain loop: tokenize, generate, count. Returns (ttft, tok/s, n)."""
    llm = engine.llm
    llm.reset()
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
    t0 = time.perf_counter()
    first = t_first = 0.0
    count = 0
    for tok in llm.generate(tokens, temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0):
        if count == 0:
            t_first = time.perf_counter()
            first = t_first - t0
        if llm.token_eos() == tok or count >= n:
            break
        llm.detokenize([tok])  # a real loop turns tokens into text too
        count += 1
    dt = time.perf_counter() - t_first
    return first, (count - 1) / dt if count > 1 else 0.0, count


def _oculi_stream(engine: LlamaEngine, messages: list[ChatMessage], n: int) -> tuple[float, float, int, str]:
    opts = GenerationOptions(max_tokens=n, temperature=0.0)
    t0 = time.perf_counter()
    first = t_first = 0.0
    count = 0
    text = []
    for ev in engine.stream_chat(messages, options=opts):
        if isinstance(ev, TextDelta):
            if count == 0:
                t_first = time.perf_counter()
                first = t_first - t0
            count += 1
            text.append(ev.text)
    dt = time.perf_counter() - t_first
    return first, (count - 1) / dt if count > 1 else 0.0, count, "".join(text)


def _raw_prefill(engine: LlamaEngine, prompt: str) -> float:
    llm = engine.llm
    llm.reset()
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
    t0 = time.perf_counter()
    llm.eval(tokens)
    return len(tokens) / (time.perf_counter() - t0)


def _oculi_prefill(engine: LlamaEngine, messages: list[ChatMessage]) -> float:
    engine.llm.reset()
    prompt_tokens = engine.count_tokens(engine.template.render([m.to_template_dict() for m in messages]))
    t0 = time.perf_counter()
    for _ in engine.stream_chat(messages, options=GenerationOptions(max_tokens=1, temperature=0.0)):
        break  # the first event arrives once the prompt is evaluated and one token sampled
    return prompt_tokens / (time.perf_counter() - t0)


def history_text(engine: LlamaEngine, tokens: int) -> str:
    """Deterministic diary-like text of about `tokens` tokens, standing for earlier turns."""
    places = ["the bakery on Elm Street", "platform 4", "the Blue Door café", "the pharmacy",
              "the library's second floor", "the bus stop by the park", "the hardware store"]
    lines, i = [], 0
    while True:
        lines.append(
            f"At {8 + i // 6:02d}:{(i * 7) % 60:02d} I was near {places[i % len(places)]}; "
            f"the sign read 'open {7 + i % 5} to {17 + i % 6}', and I noted item {i}."
        )
        i += 1
        if i % 10 == 0 and engine.count_tokens(" ".join(lines)) >= tokens:
            return " ".join(lines)


def run(
    engine: LlamaEngine,
    *,
    model_id: str,
    threads: int,
    rounds: int = 5,
    decode_tokens: int = 128,
    history_tokens: int = 2000,
    progress: Any = None,
) -> LlmBenchResult:
    from oculi.bench.membw import copy_bandwidth

    step = progress or (lambda msg: None)
    model_bytes = engine.model_path.stat().st_size
    step("measuring memory bandwidth")
    bw = copy_bandwidth(threads=threads)
    res = LlmBenchResult(
        model=model_id,
        model_bytes=model_bytes,
        threads=threads,
        history_tokens=history_tokens,
        rounds=rounds,
        decode_tokens=decode_tokens,
        memory_bandwidth_gb_s=bw / 1e9,
        roofline_tok_s=bw / model_bytes,
    )
    decode_msgs = [ChatMessage("system", SYSTEM), ChatMessage("user", DECODE_PROMPT)]
    decode_prompt = engine.template.render([m.to_template_dict() for m in decode_msgs])
    first_msgs = [ChatMessage("system", SYSTEM), ChatMessage("user", FIRST_QUESTION)]
    long_msgs = [ChatMessage("system", SYSTEM), ChatMessage("user", history_text(engine, 512))]
    long_prompt = engine.template.render([m.to_template_dict() for m in long_msgs])
    raw_dec, oc_dec, raw_pf, oc_pf, raw_ttft, oc_ttft = ([] for _ in range(6))
    first_prompt = engine.template.render([m.to_template_dict() for m in first_msgs])

    def raw_side() -> None:
        raw_dec.append(_raw_decode(engine, decode_prompt, decode_tokens)[1])
        raw_pf.append(_raw_prefill(engine, long_prompt))
        raw_ttft.append(_raw_decode(engine, first_prompt, 1)[0])

    def oculi_side() -> None:
        engine.llm.reset()
        oc_dec.append(_oculi_stream(engine, decode_msgs, decode_tokens)[1])
        oc_pf.append(_oculi_prefill(engine, long_msgs))
        engine.llm.reset()
        oc_ttft.append(_oculi_stream(engine, first_msgs, 1)[0])

    for r in range(rounds):
        # Alternate which side goes first, so slow drift in machine load hits both alike.
        step(f"round {r + 1}/{rounds}: decode, prefill, first token (both sides)")
        for side in (raw_side, oculi_side) if r % 2 == 0 else (oculi_side, raw_side):
            side()
    # The follow-up needs a 2,000-token conversation (and a cold re-run for comparison):
    # minutes of prefill on a small CPU, so it is measured once.
    step(f"follow-up turn after {history_tokens} tokens of history")
    follow, cold = _follow_up(engine, history_tokens)
    med = statistics.median
    res.raw.decode_tok_s, res.oculi.decode_tok_s = med(raw_dec), med(oc_dec)
    res.raw.prefill_tok_s, res.oculi.prefill_tok_s = med(raw_pf), med(oc_pf)
    res.raw.ttft_first_s, res.oculi.ttft_first_s = med(raw_ttft), med(oc_ttft)
    res.oculi.ttft_follow_up_s, res.oculi.ttft_follow_up_cold_s = follow, cold
    return res


def _follow_up(engine: LlamaEngine, history_tokens: int) -> tuple[float, float]:
    """TTFT of a follow-up turn after a conversation of `history_tokens` tokens.

    Warm: the earlier turns were just answered, so their KV state is cached (the normal case
    in a conversation). Cold: the same prompt with an empty cache, for comparison.
    """
    engine.llm.reset()
    msgs = [
        ChatMessage("system", SYSTEM),
        ChatMessage("user", "Here is what I did today: " + history_text(engine, history_tokens)),
    ]
    _, _, _, answer = _oculi_stream(engine, msgs, 24)
    msgs += [ChatMessage("assistant", answer), ChatMessage("user", FOLLOW_UP)]
    warm = _oculi_stream(engine, msgs, 1)[0]
    engine.llm.reset()
    cold = _oculi_stream(engine, msgs, 1)[0]
    return warm, cold


# ---------------------------------------------------------------- per-process facts
def measure_process(side: str, model_path: Path, threads: int) -> dict[str, float]:
    """Run in a fresh child: load time and peak RSS for one side."""
    code = (
        "import json,resource,sys,time\n"
        "from pathlib import Path\n"
        f"side, path, threads = {side!r}, Path({str(model_path)!r}), {threads}\n"
        "t0 = time.perf_counter()\n"
        "if side == 'raw':\n"
        "    from llama_cpp import Llama\n"
        "    llm = Llama(model_path=str(path), n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)\n"
        "    load = time.perf_counter() - t0\n"
        "    toks = llm.tokenize(b'Hello, who are you?', add_bos=True, special=True)\n"
        "    for i, t in enumerate(llm.generate(toks, temp=0.0)):\n"
        "        if i >= 16: break\n"
        "else:\n"
        "    from oculi.llm.engine import LlamaEngine, GenerationOptions\n"
        "    from oculi.llm.messages import ChatMessage\n"
        "    eng = LlamaEngine(path, threads=threads)\n"
        "    load = time.perf_counter() - t0\n"
        "    eng.chat([ChatMessage('user', 'Hello, who are you?')], options=GenerationOptions(max_tokens=16))\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'load_s': load, 'peak_rss_mb': rss}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
