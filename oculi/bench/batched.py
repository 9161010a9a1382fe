"""Do batched answers equal single-sequence answers at temperature 0?

A sequence decoded in a batch with others goes through different matrix kernels (several
rows instead of one), so a near-tie between two tokens can flip and the answers part from
there; with `invariant` the engine keeps every row on the kernels it meets alone. This runs
the same prompts through a `BatchedEngine` one at a time and then all at once, and shows
where any pair first differs; it also counts the answers equal to the CLI's `LlamaEngine`,
which reads prompts in other chunks (so equal there is not expected of the invariant mode).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from oculi.llm.engine import GenerationOptions
from oculi.llm.messages import ChatMessage

# Everyday requests written for this check (no evaluation set's sentences).
PROMPTS = [
    "Explain in two sentences why the sky looks blue.",
    "Give three tips for sleeping better.",
    "What is the difference between a list and a tuple in Python?",
    "Write a haiku about a cup of coffee.",
    "How do I boil an egg so the yolk stays soft?",
    "Name four planets and one fact about each.",
    "Summarise what a smart-glasses assistant could do for a cyclist.",
    "Translate 'good morning, how are you?' into French and Spanish.",
    "Why do onions make people cry?",
    "Suggest a name for a grey cat and say why.",
]


def agreement(model_path: Path, *, slots: int = 4, threads: int = 2, max_tokens: int = 48,
              context_tokens: int = 2048, invariant: bool = False) -> dict[str, Any]:
    """Ten answers at temperature 0: from the batched engine one at a time (nothing decoded
    beside them: the single-sequence answers), then from the same engine all at once (slots
    now holding other conversations), and from the CLI's `LlamaEngine`."""
    from oculi.llm.batched import BatchedEngine
    from oculi.llm.engine import LlamaEngine

    opts = GenerationOptions(max_tokens=max_tokens, temperature=0.0)
    system = ChatMessage("system", "You are a helpful assistant. Answer briefly.")

    def ask(engine: Any, prompt: str) -> str:
        return str(engine.chat([system, ChatMessage("user", prompt)], options=opts).text)

    single = LlamaEngine(model_path, threads=threads, context_tokens=context_tokens)
    cli = [ask(single, p) for p in PROMPTS]
    del single
    engine = BatchedEngine(model_path, slots=slots, threads=threads, context_tokens=context_tokens,
                           invariant=invariant)
    alone = [ask(engine, p) for p in PROMPTS]
    before = (engine.steps, engine.decode_seconds, engine.sample_seconds)  # the one-at-a-time part
    together: dict[int, str] = {}
    t0 = time.perf_counter()
    workers = [threading.Thread(target=lambda i=i: together.__setitem__(i, ask(engine, PROMPTS[i])))
               for i in range(len(PROMPTS))]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    timing = {"seconds": round(time.perf_counter() - t0, 2), "decode_calls": engine.steps - before[0],
              "decode_s": round(engine.decode_seconds - before[1], 2),
              "per_sequence_s": round(engine.sample_seconds - before[2], 2)}
    engine.close()
    batched = [together[i] for i in range(len(PROMPTS))]
    diffs = _differences(alone, batched)
    return {"prompts": len(PROMPTS), "invariant": invariant, "slots": slots,
            "max_tokens": max_tokens, "equal": len(PROMPTS) - len(diffs),
            "equal_to_cli_engine": len(PROMPTS) - len(_differences(cli, batched)),
            "batched_timing": timing, "differences": diffs}


def _differences(reference: list[str], batched: list[str]) -> list[dict[str, Any]]:
    """Where each pair first parts (reference = "single")."""
    out = []
    for prompt, a, b in zip(PROMPTS, reference, batched):
        if a != b:
            at = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            out.append({"prompt": prompt, "from_char": at, "single": a[at:at + 60],
                        "batched": b[at:at + 60]})
    return out
