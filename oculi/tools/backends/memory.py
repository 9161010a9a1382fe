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
        out = {
            "answer": answer.answer,
            "memories": [
                {"time": c.time, "kind": c.kind, "text": c.text} for c in answer.citations
            ],
        }
        return json.dumps(out, ensure_ascii=False)
