"""The VizWiz question set: scoring rules, and the real evaluation with the default model."""

from __future__ import annotations

from pathlib import Path

import pytest

from oculi.look import LookAgent
from oculi.look.evaluate import EvalItem, load_questions, passes, run_eval

QUESTIONS = Path(__file__).parent / "fixtures" / "vizwiz_questions.json"


def test_question_set_covers_every_kind(vizwiz: Path) -> None:
    items = load_questions(QUESTIONS)
    assert {i.kind for i in items} == {"text", "brand", "count", "quality"}
    for i in items:
        assert (vizwiz / "images" / i.image).is_file()
        assert i.kind == "quality" or i.expect


def test_scoring_rules() -> None:
    text = EvalItem("x.jpg", "text", "How many?", ["28"])
    assert passes(text, "The pack holds 28 tablets.") and not passes(text, "I can't tell.")
    assert passes(EvalItem("x.jpg", "brand", "Which program?", ["zoomtext"]), "It is Zoom Text.")
    quality = EvalItem("x.jpg", "quality", "What does it say?")
    assert passes(quality, "I can't read it: the picture is blurred. Hold still and try again.")
    assert not passes(quality, "It says EXIT.")
    assert not passes(quality, "I can't help with that.")  # a refusal needs its reason


@pytest.mark.slow
@pytest.mark.default_model
@pytest.mark.eval
def test_vizwiz_questions(default_engine, perceiver, vizwiz: Path) -> None:
    report = run_eval(LookAgent(default_engine, perceiver), vizwiz / "images", load_questions(QUESTIONS))
    for i in report.items:
        print(f"{'PASS' if i.passed else 'FAIL'} {i.kind:7} {i.image} {i.question!r} -> {i.answer!r}")
    print(f"score {report.score:.2f} by kind {report.by_kind()}")
    assert report.score >= 0.6
    ok, n = report.by_kind()["quality"]
    assert ok >= n - 1  # unreadable photos get an honest "I can't read it" with a reason
