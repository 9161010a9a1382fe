"""Recall: retrieve moments, let the LLM answer from them only, cite time and thumbnail.

When retrieval finds nothing relevant the answer is "I don't remember seeing that." without
asking the LLM at all: a model shown no evidence would otherwise invent some.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from oculi.memory.protocols import Embedder
from oculi.memory.retrieval import Hit, Retrieval, retrieve
from oculi.memory.settings import MemorySettings
from oculi.memory.store import MemoryStore, Moment

NOT_REMEMBERED = "I don't remember seeing that."
SYSTEM = (
    "You answer the wearer's questions about their own day from the numbered memories below, "
    "which their smart glasses recorded. Use only those memories. Answer in one or two short "
    "sentences and cite the memories you used like [1] or [2]. If no memory answers the "
    f"question, reply exactly: {NOT_REMEMBERED}"
)
_CITE = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Citation:
    moment_id: int
    time: str  # local ISO time, seconds precision
    thumbnail: str | None  # absolute path, None when no face-safe image exists
    kind: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class RecallAnswer:
    question: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    window: tuple[float, float] | None = None
    retrieval_ms: float = 0.0
    answer_ms: float = 0.0

    @property
    def remembered(self) -> bool:
        return bool(self.citations)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "window": self.window,
            "retrieval_ms": round(self.retrieval_ms, 2),
            "answer_ms": round(self.answer_ms, 2),
        }


def local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def describe(m: Moment) -> str:
    """One memory as the LLM sees it."""
    when = datetime.fromtimestamp(m.ts).astimezone().strftime("%a %d %b %H:%M")
    if m.kind == "speech":
        return f'{when}, heard: "{m.transcript}"'
    bits = []
    if m.caption:
        bits.append(f"saw {m.caption}")
    if m.ocr_text:
        bits.append(f'read the text "{m.ocr_text[:300]}"')
    if m.people:
        bits.append(f"{m.people} {'person' if m.people == 1 else 'people'} nearby")
    return f"{when}, " + ("; ".join(bits) if bits else "saw a scene with no readable text")


def citation(store: MemoryStore, m: Moment) -> Citation:
    thumb = m.thumb or (store.nearest_thumb(m.ts) if m.kind == "speech" else None)
    text = m.transcript if m.kind == "speech" else (m.caption or m.ocr_text)
    return Citation(
        m.id,
        local_time(m.ts),
        str(store.folder / thumb) if thumb else None,
        m.kind,
        (text or "")[:200],
    )


class Recaller:
    def __init__(
        self,
        store: MemoryStore,
        embedder: Embedder,
        settings: MemorySettings,
        engine: Any | None = None,
    ) -> None:
        self.store, self.embedder, self.settings, self.engine = store, embedder, settings, engine

    def retrieve(self, question: str, now: datetime | None = None) -> Retrieval:
        return retrieve(
            self.store,
            self.embedder,
            question,
            now or datetime.now().astimezone(),
            k=self.settings.top_k,
            min_similarity=self.settings.min_similarity,
        )

    def ask(self, question: str, now: datetime | None = None) -> RecallAnswer:
        t0 = time.perf_counter()
        found = self.retrieve(question, now)
        result = RecallAnswer(
            question,
            NOT_REMEMBERED,
            window=(
                (found.query.window.start, found.query.window.end) if found.query.window else None
            ),
        )
        result.retrieval_ms = (time.perf_counter() - t0) * 1000
        if not found.hits:
            return result
        hits = sorted(found.hits, key=lambda h: h.moment.ts)  # the LLM reads a day in order
        if self.engine is None:  # no LLM: the moments themselves are the answer
            result.answer = "; ".join(describe(h.moment) for h in hits[:3])
            result.citations = [citation(self.store, h.moment) for h in hits[:3]]
            return result
        t1 = time.perf_counter()
        result.answer, used = self._answer(question, hits)
        result.answer_ms = (time.perf_counter() - t1) * 1000
        result.citations = [citation(self.store, hits[i].moment) for i in used]
        return result

    def _answer(self, question: str, hits: list[Hit]) -> tuple[str, list[int]]:
        from oculi.llm.engine import GenerationOptions
        from oculi.llm.messages import ChatMessage

        memories = "\n".join(f"[{i + 1}] {describe(h.moment)}" for i, h in enumerate(hits))
        messages = [
            ChatMessage(role="system", content=f"{SYSTEM}\n\nMemories:\n{memories}"),
            ChatMessage(role="user", content=question),
        ]
        out = self.engine.chat(
            messages, options=GenerationOptions(max_tokens=120, temperature=0.0, seed=0)
        )
        text = out.text.strip()
        if not text or NOT_REMEMBERED.lower().rstrip(".") in text.lower():
            return NOT_REMEMBERED, []
        used = sorted({int(n) - 1 for n in _CITE.findall(text) if 0 < int(n) <= len(hits)})
        if not used:  # the model answered without citing: credit the best-ranked moments
            best = sorted(range(len(hits)), key=lambda i: -hits[i].score)[:2]
            used = sorted(best)
        return text, used


def thumbnail_exists(c: Citation) -> bool:
    return c.thumbnail is not None and Path(c.thumbnail).is_file()
