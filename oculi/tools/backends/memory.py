"""The `Memory` protocol over oculi's memory service: facts the wearer tells, and recall.

A fact the wearer asks to keep ("remember my bike is by the library") is stored as what it is: words
the wearer said at that moment, a speech moment in the same store as everything seen and
heard, so `recall` finds it with the rest and cites when it was said. Pausing memory
(`oculi memory pause`) refuses it like any other ingest.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from oculi.memory.ingest import ingest_utterances
from oculi.memory.protocols import Utterance
from oculi.memory.service import MemoryService

TOLD = "told by the wearer"


class ServiceMemory:
    def __init__(
        self,
        service: MemoryService,
        engine: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`engine` (a provider) lets recall answer in words; without one, the moments are
        the answer."""
        self.service = service
        self.engine = engine
        self.clock = clock

    def _embedder(self) -> Any:
        if self.service.embedder is None:
            from oculi.memory.embeddings import load_embedder

            s = self.service.settings
            self.service.embedder = load_embedder(s.embed_model, s.threads)
        return self.service.embedder

    def remember(self, text: str) -> str:
        now = self.clock()
        ingest_utterances(  # raises MemoryPaused while memory is paused
            self.service.store(),
            f"told:{uuid.uuid4().hex}",
            [Utterance(now, now, text.strip())],
            self._embedder(),
            source_label=TOLD,
        )
        # a plain sentence: the model reads a result out as it comes (it said "Remembered
        # (memory #1, 2026-12-03 16:10): …" to the wearer)
        return f"Remembered: {text.strip().rstrip('.')}."

    def recall(self, question: str) -> str:
        import json

        if self.engine is not None and self.service.engine is None:
            self.service.engine = self.engine()
        self._embedder()
        answer = self.service.recall(question)
        out: dict[str, Any] = {}
        if self.service.engine is None and answer.citations:
            # Without an engine the answer is a list of moments ("16:24, heard: …; 17:46, …"),
            # which the 1.5B model read out whole: the best one as a sentence it can say.
            out["say"] = _said(answer.citations[0])
        out |= {
            "answer": answer.answer,
            "memories": [
                {"time": c.time, "kind": c.kind, "text": c.text} for c in answer.citations
            ],
        }
        return json.dumps(out, ensure_ascii=False)


def _said(c: Any) -> str:
    """One cited moment as a sentence: when, and what was heard or seen."""
    when = c.time[11:16] if len(c.time) >= 16 else c.time  # "2026-12-03T16:24:05" → "16:24"
    if c.time[:10] != time.strftime("%Y-%m-%d"):
        when = f"{c.time[:10]} {when}"
    verb = "I heard" if c.kind == "speech" else "you saw"
    return f'The closest memory I have: at {when} {verb} "{c.text}".'
