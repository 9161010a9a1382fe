"""`oculi bench look`: where the time goes between a question and the first spoken word.

Per photo: decode, each perception step, LLM time-to-first-token and total. The reference,
measured in the same run on the same engine, is a plain chat turn with the same question and
no findings: the difference is what looking costs on top of talking.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from oculi.llm.engine import GenerationOptions, LlamaEngine
from oculi.llm.messages import ChatMessage, TextDelta
from oculi.look.agent import LookAgent
from oculi.vision.decode import decode_image_file
from oculi.vision.frame import Frame
from oculi.vision.sources.files import IMAGE_SUFFIXES


@dataclass
class PhotoTiming:
    image: str
    decode_s: float
    perception_s: float
    steps: dict[str, float]
    llm_first_token_s: float
    llm_total_s: float
    first_token_s: float  # decode + perception + LLM first token: what the wearer waits
    total_s: float
    chat_first_token_s: float  # reference: same question, no findings


@dataclass
class LookBench:
    model: str
    threads: int
    question: str
    photos: list[PhotoTiming] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(getattr(p, key) for p in self.photos) if self.photos else 0.0

    def median_step(self, step: str) -> float:
        vals = [p.steps.get(step, 0.0) for p in self.photos]
        return statistics.median(vals) if vals else 0.0

    def to_json(self) -> dict:
        keys = ("decode_s", "perception_s", "llm_first_token_s", "llm_total_s", "first_token_s", "total_s",
                "chat_first_token_s")
        return {
            "model": self.model,
            "threads": self.threads,
            "question": self.question,
            "medians": {k: self.median(k) for k in keys},
            "photos": [asdict(p) for p in self.photos],
        }


def run(
    agent: LookAgent,
    images: Path,
    *,
    model: str,
    threads: int,
    question: str = "What does it say?",
    limit: int | None = None,
    max_tokens: int = 48,
    progress: Callable[[str], None] = lambda _: None,
) -> LookBench:
    files = sorted(p for p in Path(images).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    result = LookBench(model=model, threads=threads, question=question)
    agent.settings.max_tokens = max_tokens
    for i, path in enumerate(files):
        progress(f"{path.name} ({i + 1}/{len(files)})")
        t0 = time.perf_counter()
        image = decode_image_file(path)
        decode_s = time.perf_counter() - t0
        answer = agent.answer(question, Frame(image, time.time(), str(path)))
        t = answer.timings
        chat = _chat_ttft(agent.engine, question, max_tokens)
        result.photos.append(
            PhotoTiming(
                image=path.name,
                decode_s=decode_s,
                perception_s=t["perception"],
                steps={k.split(".", 1)[1]: v for k, v in t.items() if k.startswith("perception.")},
                llm_first_token_s=t.get("llm_first_token", t["llm"]),
                llm_total_s=t["llm"],
                first_token_s=decode_s + t.get("first_token", t["total"]),
                total_s=decode_s + t["total"],
                chat_first_token_s=chat,
            )
        )
    return result


def _chat_ttft(engine: LlamaEngine, question: str, max_tokens: int) -> float:
    msgs = [ChatMessage(role="system", content="You are oculi, a helpful assistant."),
            ChatMessage(role="user", content=question)]
    t0 = time.perf_counter()
    first: float | None = None
    opts = GenerationOptions(max_tokens=max_tokens, temperature=0.0, seed=0)
    for ev in engine.stream_chat(msgs, options=opts):  # run to the end: the engine's lock is held
        if first is None and isinstance(ev, TextDelta):
            first = time.perf_counter() - t0
    return first if first is not None else time.perf_counter() - t0
