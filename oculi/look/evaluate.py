"""Score look-and-ask on a question set written from real photos' reference captions.

The scorer is meant to be able to fail (`oculi.evaluation.match`): expected strings match as
whole words, numbers by value ("120 mg" does not pass "20", "20 people" does not pass "no
one"), and a mention right after a negation ("it does not say Samsung") does not count. Only
the answer's words are scored, never what OCR read. Per kind:

- text / brand: the answer states one of `expect`.
- count: the answer states exactly `people` people (and no other number of people), or, for
  a yes/no question, its polarity is `yes_no`.
- quality (a photo nobody could read): the answer refuses, gives one of the item's `reasons`
  (what is actually wrong with that photo: glare, blur, ...), and quotes no "text" as read.

Keyword scoring misses paraphrases, so the score is a floor; the per-question answers are
kept for a human to read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from oculi.evaluation.match import mentions_any, quotes_text, refuses, states_people_count, yes_no
from oculi.look.agent import LookAgent
from oculi.vision.sources import ImageFileSource, first_frame


@dataclass
class EvalItem:
    image: str
    kind: str
    question: str
    expect: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # quality: what is wrong with the photo
    people: int | None = None  # count: how many people the answer must state
    yes_no: Literal["yes", "no"] | None = None  # count asked as a yes/no question
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
    return [
        EvalItem(
            q["image"],
            q["kind"],
            q["question"],
            q.get("expect", []),
            q.get("reasons", []),
            q.get("people"),
            q.get("yes_no"),
        )
        for q in data["questions"]
    ]


def passes(item: EvalItem, answer: str) -> bool:
    if item.kind == "quality":
        return refuses(answer) and mentions_any(answer, item.reasons) and not quotes_text(answer)
    if item.kind == "count":
        if item.yes_no is not None:
            return yes_no(answer, about_people=True) == item.yes_no
        return item.people is not None and states_people_count(answer, item.people)
    return mentions_any(answer, item.expect)


def run_eval(agent: LookAgent, images: Path, items: list[EvalItem]) -> EvalReport:
    for item in items:
        frame = first_frame(ImageFileSource(Path(images) / item.image))
        result = agent.answer(item.question, frame)
        item.answer = result.text
        item.passed = passes(item, result.text)
        item.seconds = result.timings.get("total", 0.0)
    return EvalReport(items)
