"""Score look-and-ask on a question set written from real photos' reference captions.

The check is deliberately simple and visible: an answer passes when it contains one of the
expected strings; a "quality" question (a photo nobody could read) passes when the answer
says it cannot read or see it and gives a reason. Keyword scoring misses paraphrases, so
the score is a floor; the per-question answers are kept for a human to read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from oculi.look.agent import LookAgent
from oculi.vision.sources import ImageFileSource, first_frame

REFUSAL = ("can't", "cannot", "can not", "unable", "not able", "couldn't", "could not", "no text", "not readable", "unreadable")
REASON = ("blur", "dark", "glare", "over-exposed", "overexposed", "washed", "bright", "light", "hold still", "no text", "not clear", "unclear")


@dataclass
class EvalItem:
    image: str
    kind: str
    question: str
    expect: list[str] = field(default_factory=list)
    answer: str = ""
    passed: bool = False
    seconds: float = 0.0


@dataclass
class EvalReport:
    items: list[EvalItem]

    @property
    def score(self) -> float:
        return sum(i.passed for i in self.items) / max(1, len(self.items))

    def by_kind(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for i in self.items:
            ok, n = out.get(i.kind, (0, 0))
            out[i.kind] = (ok + i.passed, n + 1)
        return out


def load_questions(path: Path) -> list[EvalItem]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [EvalItem(q["image"], q["kind"], q["question"], q.get("expect", [])) for q in data["questions"]]


def passes(item: EvalItem, answer: str) -> bool:
    a = answer.lower().replace("’", "'")
    if item.kind == "quality":
        return any(r in a for r in REFUSAL) and any(r in a for r in REASON)
    # OCR merges words ("ZOOMTEXT") and the model may split them again ("Zoom Text"): both count
    squeezed = a.replace(" ", "")
    return any(e.lower() in a or e.lower().replace(" ", "") in squeezed for e in item.expect)


def run_eval(agent: LookAgent, images: Path, items: list[EvalItem]) -> EvalReport:
    for item in items:
        frame = first_frame(ImageFileSource(Path(images) / item.image))
        result = agent.answer(item.question, frame)
        item.answer = result.text
        item.passed = passes(item, result.text)
        item.seconds = result.timings.get("total", 0.0)
    return EvalReport(items)
