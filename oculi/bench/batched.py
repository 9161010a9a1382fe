"""Do batched answers equal single-sequence answers at temperature 0?

A sequence decoded in a batch with others goes through different matrix kernels (several
rows instead of one), so a near-tie between two tokens can flip and the answers part from
there. This runs the same prompts through `LlamaEngine` one at a time and through a
`BatchedEngine` all at once, and shows where any pair first differs.
"""

from __future__ import annotations

import threading
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
              context_tokens: int = 2048) -> dict[str, Any]:
    from oculi.llm.batched import BatchedEngine
    from oculi.llm.engine import LlamaEngine

    opts = GenerationOptions(max_tokens=max_tokens, temperature=0.0)
    system = ChatMessage("system", "You are a helpful assistant. Answer briefly.")
    single = LlamaEngine(model_path, threads=threads, context_tokens=context_tokens)
    alone = [single.chat([system, ChatMessage("user", p)], options=opts).text for p in PROMPTS]
    del single
    engine = BatchedEngine(model_path, slots=slots, threads=threads, context_tokens=context_tokens)
    together: dict[int, str] = {}

    def run(i: int) -> None:
        together[i] = engine.chat([system, ChatMessage("user", PROMPTS[i])], options=opts).text

    threads_ = [threading.Thread(target=run, args=(i,)) for i in range(len(PROMPTS))]
    for t in threads_:
        t.start()
    for t in threads_:
        t.join()
    timing = {"steps": engine.steps, "decode_s": engine.decode_seconds,
              "per_sequence_s": engine.sample_seconds}
    engine.close()
    diffs = []
    for i, (a, b) in enumerate(zip(alone, [together[i] for i in range(len(PROMPTS))])):
        if a != b:
            at = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            diffs.append({"prompt": PROMPTS[i], "from_char": at, "single": a[at:at + 60],
                          "batched": b[at:at + 60]})
    return {"prompts": len(PROMPTS), "equal": len(PROMPTS) - len(diffs), "slots": slots,
            "max_tokens": max_tokens, "batched_timing": timing, "differences": diffs}
