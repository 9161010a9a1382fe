"""The VizWiz question set: scoring rules, and the real evaluation with the default model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oculi.evaluation.match import mentions_any
from oculi.look import LookAgent
from oculi.look.evaluate import EvalItem, load_questions, passes, run_eval

QUESTIONS = Path(__file__).parent / "fixtures" / "vizwiz_questions.json"


def test_question_set_covers_every_kind(vizwiz: Path) -> None:
    items = load_questions(QUESTIONS)
    assert {i.kind for i in items} == {"text", "brand", "count", "quality"}
    for i in items:
        assert (vizwiz / "images" / i.image).is_file()
        rule = {"quality": i.reasons, "count": [i.people, i.yes_no]}.get(i.kind, i.expect)
        assert any(r is not None and r != [] for r in rule), i
    # every expected string comes from the human caption, or was read off the photo by a person
    captions = json.loads((vizwiz / "captions.json").read_text(encoding="utf-8"))
    for raw in json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]:
        if raw["source"] == "caption" and raw.get("expect"):
            caption = " ".join(captions[raw["image"]])
            assert mentions_any(caption, raw["expect"]), raw
        elif "photo" in raw["source"] and raw["source"].startswith("photo"):
            assert raw.get("seen") or raw["kind"] in {"quality", "count"}, raw
    assert "windaws" not in {e.lower() for i in items for e in i.expect}  # an OCR misreading


def test_numbers_are_scored_as_numbers() -> None:
    mg = EvalItem("x.jpg", "text", "How many milligrams?", ["20"])
    assert passes(mg, "Each tablet is 20 mg.") and passes(mg, "Twenty milligrams.")
    assert not passes(mg, "Each tablet is 120 mg.")
    assert not passes(EvalItem("x.jpg", "text", "Price?", ["6.75"]), "It costs 16.75.")


def test_people_counts_and_yes_no_items_can_fail() -> None:
    nobody = EvalItem("x.jpg", "count", "How many people are in front of me?", people=0)
    assert passes(nobody, "No one is in front of you.")
    assert not passes(nobody, "There are 20 people in front of you.")
    assert not passes(nobody, "I can't tell.")
    anyone = EvalItem("x.jpg", "count", "Is anyone in front of me?", yes_no="no")
    assert passes(anyone, "No, I don't see anyone.")
    assert not passes(anyone, "Yes, a person is there.")
    assert not passes(anyone, "I can't tell whether anyone is there.")
    person = EvalItem("x.jpg", "count", "Is there a person?", yes_no="yes")
    assert passes(person, "Yes, a hand is holding a bottle.")
    assert not passes(person, "There is no person in the picture.")


def test_text_items_need_the_words_in_the_answer() -> None:
    text = EvalItem("x.jpg", "text", "Which brand?", ["Samsung"])
    assert passes(text, "It says Samsung Recovery Solution.")
    assert not passes(text, "I can't see Samsung on it.")  # negated
    assert not passes(text, "It is a Samsungite screen.")  # not the word
    assert passes(EvalItem("x.jpg", "text", "Doing?", ["verif*"]), "It is verifying files.")


def test_quality_items_need_the_real_reason() -> None:
    quality = EvalItem("x.jpg", "quality", "What does it say?", reasons=["blur*", "glare"])
    assert passes(quality, "I can't read it: the picture is blurred. Hold still and try again.")
    assert not passes(quality, "I can't read it: there is no text.")  # no text is not a reason
    assert not passes(quality, "I can't read it: the picture is too dark.")  # not this photo's fault
    assert not passes(quality, "The picture shows \"7\".")
    assert not passes(quality, "I can't read it clearly, it is blurred, but it says \"7\".")
    assert not passes(quality, "It says EXIT.")
    assert not passes(quality, "I can't help with that.")  # a refusal needs its reason


@pytest.mark.slow
@pytest.mark.default_model
@pytest.mark.eval
@pytest.mark.parametrize("which", ["default_perceiver", "perceiver"], ids=["yolov3-tiny", "yolox-added"])
def test_vizwiz_questions(which: str, request: pytest.FixtureRequest, default_engine, vizwiz: Path) -> None:
    """On the default install (YOLOv3-tiny) and with YOLOX-Nano added from ../shared."""
    perceiver = request.getfixturevalue(which)
    report = run_eval(LookAgent(default_engine, perceiver), vizwiz / "images", load_questions(QUESTIONS))
    for i in report.items:
        print(f"{'PASS' if i.passed else 'FAIL'} {i.kind:7} {i.image} {i.question!r} -> {i.answer!r}")
    print(f"score {report.score:.2f} by kind {report.by_kind()}")
    assert report.score >= 0.6
    ok, n = report.by_kind()["quality"]
    assert ok >= n - 1  # unreadable photos get an honest "I can't read it" with a reason
