"""Recall: retrieve moments, let the LLM answer from them only, cite time and thumbnail.

When retrieval finds nothing relevant the answer is "I don't remember seeing that." without
asking the LLM at all: a model shown no evidence would otherwise invent some. That is the only
case: when retrieval found moments, the answer says what they hold and when — the LLM reads
each moment's text whole (up to a budget), and if it still declines (a misheard name, a fact
at the end of a long label), the best-ranked moment is said plainly instead.
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
    "which their smart glasses recorded: text read in what they saw, and speech they heard, "
    "written down by machine (so a name may be spelled differently). Use only those memories. "
    "In one or two short sentences, say what the memory says and when, and cite it like [1]. "
    "If a memory is about the question but a name or word differs, answer from it anyway and "
    "say what was heard or seen. "
    f"Only if no memory is about the question at all, reply exactly: {NOT_REMEMBERED}"
)
TEXT_CHARS = 1200  # per moment: a label's last line (often the fact asked for) is kept
PROMPT_CHARS = 6000  # all memories together, best-ranked first: fits the 4k context
_CITE = re.compile(r"\[(\d{1,2})\]")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")


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


def clock(ts: float, now: datetime | None = None) -> str:
    """"08:15", or "Mon 23 Nov 08:15" when the moment is not from `now`'s day."""
    t = datetime.fromtimestamp(ts).astimezone()
    if now is not None and t.date() == now.astimezone().date():
        return t.strftime("%H:%M")
    return t.strftime("%a %d %b %H:%M")


def describe(m: Moment, chars: int = TEXT_CHARS, now: datetime | None = None) -> str:
    """One memory as the LLM sees it: its time, then what was heard or read, up to `chars`
    characters of it (not a short prefix: the fact asked for is often at a label's end)."""
    when = clock(m.ts, now) if now is not None else datetime.fromtimestamp(m.ts).astimezone().strftime("%a %d %b %H:%M")
    if m.kind == "speech":
        return f'{when}, heard: "{_cut(m.transcript or "", chars)}"'
    bits = []
    if m.caption:
        bits.append(f"saw {m.caption}")
    if m.ocr_text:
        bits.append(f'read the text "{_cut(m.ocr_text, chars)}"')
    if m.people:
        bits.append(f"{m.people} {'person' if m.people == 1 else 'people'} nearby")
    return f"{when}, " + ("; ".join(bits) if bits else "saw a scene with no readable text")


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


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
        now = now or datetime.now().astimezone()
        found = self.retrieve(question, now)
        result = RecallAnswer(
            question,
            NOT_REMEMBERED,
            window=(
                (found.query.window.start, found.query.window.end) if found.query.window else None
            ),
        )
        result.retrieval_ms = (time.perf_counter() - t0) * 1000
        if not found.hits:  # nothing relevant: the only case for "I don't remember"
            return result
        hits = sorted(found.hits, key=lambda h: h.moment.ts)  # the LLM reads a day in order
        if self.engine is None:  # no LLM: the moments themselves are the answer
            result.answer = "; ".join(describe(h.moment, now=now) for h in hits[:3])
            result.citations = [citation(self.store, h.moment) for h in hits[:3]]
            return result
        t1 = time.perf_counter()
        result.answer, used = self._answer(question, hits, now)
        result.answer_ms = (time.perf_counter() - t1) * 1000
        result.citations = [citation(self.store, hits[i].moment) for i in used]
        return result

    def _answer(self, question: str, hits: list[Hit], now: datetime) -> tuple[str, list[int]]:
        """The LLM's answer from the retrieved moments, with the moments it used.

        Retrieval already judged these moments relevant, so a reply of "I don't remember"
        is replaced by what the best-ranked moment holds, with its time: a small model
        otherwise declines when a name was misheard or the fact sits at a label's end. An
        answer that names no time gets the time of the moment it came from."""
        from oculi.llm.engine import GenerationOptions
        from oculi.llm.messages import ChatMessage

        memories = "\n".join(
            f"[{i + 1}] {describe(h.moment, chars, now)}" for i, (h, chars) in enumerate(zip(hits, _budget(hits)))
        )
        messages = [
            ChatMessage(role="system", content=f"{SYSTEM}\n\nMemories:\n{memories}"),
            ChatMessage(role="user", content=question),
        ]
        out = self.engine.chat(
            messages, options=GenerationOptions(max_tokens=120, temperature=0.0, seed=0)
        )
        text = out.text.strip()
        best = max(range(len(hits)), key=lambda i: hits[i].score)
        if not text or NOT_REMEMBERED.lower().rstrip(".") in text.lower():
            return closest(hits[best].moment, now), [best]
        used = sorted({int(n) - 1 for n in _CITE.findall(text) if 0 < int(n) <= len(hits)})
        if not used:  # the model cited nothing: the moment the answer's words come from
            used = [_source_of(text, hits, best)]
        if not _CLOCK.search(text):
            text = f"{text} (at {clock(hits[used[0]].moment.ts, now)})"
        return text, used


def _budget(hits: list[Hit]) -> list[int]:
    """Characters of text per moment: up to TEXT_CHARS each, best-ranked first, PROMPT_CHARS
    in all (a lower-ranked moment is shortened before a better one is)."""
    order = sorted(range(len(hits)), key=lambda i: -hits[i].score)
    left, out = PROMPT_CHARS, [0] * len(hits)
    for i in order:
        out[i] = max(200, min(TEXT_CHARS, left))
        left -= out[i]
    return out


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 or w.isdigit()}


def _source_of(answer: str, hits: list[Hit], best: int) -> int:
    """The hit sharing the most words with the answer (ties: the best-ranked)."""
    said = _words(answer)

    def overlap(i: int) -> tuple[int, float]:
        m = hits[i].moment
        return len(said & _words(" ".join(filter(None, [m.transcript, m.ocr_text, m.caption])))), hits[i].score

    top = max(range(len(hits)), key=overlap)
    return top if overlap(top)[0] > 0 else best


def closest(m: Moment, now: datetime) -> str:
    """What one moment holds, said plainly: the answer when the LLM would not use it."""
    when = clock(m.ts, now)
    if m.kind == "speech":
        return f'The closest I have: at {when} I heard "{_cut(m.transcript or "", 300)}"'
    if m.ocr_text:
        return f'The closest I have: at {when} you saw text reading "{_cut(m.ocr_text, 300)}"'
    return f"The closest I have: at {when} you saw {m.caption or 'a scene with no readable text'}"


def thumbnail_exists(c: Citation) -> bool:
    return c.thumbnail is not None and Path(c.thumbnail).is_file()
