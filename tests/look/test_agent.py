"""The look-and-ask path with the real perception models and the tiny LLM (plumbing)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np

from oculi.llm.messages import TextDelta
from oculi.look import LookAgent, LookAnswer, LookSettings, Perceived
from oculi.look.prompt import build_messages, findings
from oculi.vision.frame import Frame
from oculi.vision.perception.types import Detection, Perception, Quality, TextLine
from tests.vision.conftest import text_image


def _frame(img: np.ndarray) -> Frame:
    return Frame(image=img, timestamp=time.time(), source="test")


def test_findings_state_absences_and_advice() -> None:
    p = Perception(10, 10, quality=Quality(20.0, 5.0, 0.0, ("dark",), "turn on a light"))
    text = findings(p, has_detector=False, question="What does it say?")
    assert "Text: none" in text and "I can't read it" in text and "turn on a light" in text
    assert "I can't see it well" in findings(p, has_detector=False, question="Is anyone there?")  # poor frame
    good = Perception(10, 10, quality=Quality(120.0, 500.0, 0.0))
    assert "I can't" not in findings(good, has_detector=False, question="Is anyone there?")
    assert "People in view: none" in text
    system = build_messages("What is this?", p, has_detector=False)[0].content or ""
    assert "No object detector is installed" in system  # static: part of the cached system prompt


def test_prompt_quotes_text_and_asks_for_translation() -> None:
    p = Perception(10, 10, quality=Quality(120.0, 500.0, 0.0), text=[TextLine("SORTIE", 0.99, (0, 0, 5, 5))])
    msgs = build_messages("Translate the sign into English", p, has_detector=True)
    user = msgs[-1].content or ""
    assert '"SORTIE"' in user and "English translation" in user and "good" in user


def test_findings_stay_terse() -> None:
    """Each findings token costs ~25 ms of prefill before the first word on a 2-core CPU."""
    p = Perception(10, 10, quality=Quality(120.0, 500.0, 0.0))
    user = build_messages("What does it say?", p, has_detector=False)[-1].content or ""
    assert len(user.split()) <= 30, user


def test_ask_streams_events_in_order(tiny_engine, perceiver) -> None:
    agent = LookAgent(tiny_engine, perceiver, settings=LookSettings(max_tokens=24))
    events = list(agent.ask("What does the sign say?", _frame(text_image(["EXIT ONLY"], paper=210))))
    assert isinstance(events[0], Perceived)
    assert [t.text.replace(" ", "").upper() for t in events[0].perception.text] == ["EXITONLY"]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert deltas and isinstance(events[-1], LookAnswer)
    answer = events[-1]
    assert answer.text == "".join(d.text for d in deltas).strip()
    for key in ("perception", "perception.ocr", "llm_first_token", "first_token", "llm", "total"):
        assert answer.timings[key] >= 0
    assert answer.timings["first_token"] <= answer.timings["total"]


def test_cancel_stops_the_answer(tiny_engine, perceiver) -> None:
    agent = LookAgent(tiny_engine, perceiver, settings=LookSettings(max_tokens=200))
    cancel = threading.Event()
    n = 0
    last = None
    for ev in agent.ask("Describe everything in detail.", _frame(text_image(["MENU"], paper=210)), cancel):
        if isinstance(ev, TextDelta):
            n += 1
            if n == 3:
                cancel.set()
        last = ev
    assert isinstance(last, LookAnswer) and last.finish_reason == "cancelled" and n <= 4


def test_findings_name_objects_with_counts_and_places() -> None:
    from oculi.vision.perception.types import Detection

    objs = [Detection("chair", 0.8, (0, 0, 50, 50)), Detection("chair", 0.7, (250, 0, 300, 50)),
            Detection("cup", 0.9, (120, 40, 180, 90))]
    p = Perception(300, 100, quality=Quality(120.0, 500.0, 0.0), objects=objs)
    text = findings(p, has_detector=True, question="What is here?")
    assert "Objects: 2 chairs (left, right); cup (middle)." in text
    coins = findings(Perception(300, 100, quality=Quality(120.0, 500.0, 0.0), objects=[]), True, question="How many coins are there?")
    assert 'Answer "I can\'t count coins: the camera does not recognise them."' in coins
    nothing = findings(Perception(300, 100, quality=Quality(120.0, 500.0, 0.0), objects=[]), True, question="What is this?")
    assert "I can't tell what this is: the camera recognised nothing it knows" in nothing


def test_stray_characters_on_a_poor_frame_are_not_quoted() -> None:
    """An unreadable photo whose glare the OCR read as "7" is refused, not described as "7"."""
    q = Quality(130.0, 20.0, 0.0, ("blurred",), "hold still")
    p = Perception(10, 10, quality=q, text=[TextLine("7", 0.62, (0, 0, 5, 5))])
    text = findings(p, has_detector=True, question="What is this?")
    assert '"7"' not in text and "Text: none" in text and "I can't see it well: hold still" in text
    sharp = Perception(10, 10, quality=Quality(130.0, 900.0, 0.0), text=[TextLine("7", 0.9, (0, 0, 5, 5))])
    assert '"7"' in findings(sharp, has_detector=True, question="Which bus is this?")  # a real number


def test_no_one_is_an_answer_not_a_limit() -> None:
    empty = Perception(300, 100, quality=Quality(120.0, 500.0, 0.0), objects=[])
    text = findings(empty, True, question="How many people are in front of me?")
    assert "People in view: none" in text and "cannot tell" not in text


def test_what_the_question_names_but_the_camera_did_not_find_is_not_called_absent() -> None:
    """A missed detection is "I did not find…", never "there is no…"; a family with no member
    found ("what animal…") and on/off states are honest limits, not guesses."""
    good = Quality(120.0, 500.0, 0.0)
    nothing = Perception(300, 200, quality=good, objects=[])
    assert 'Answer "I did not find a couch, but the camera can miss things."' in findings(nothing, True, question="Is there a couch here?")
    assert 'Answer "I did not find any couches' in findings(nothing, True, question="How many couches are in the hall?")
    assert "I can't tell what animal this is" in findings(nothing, True, question="Which animal is that?")
    assert "whether things are on, off" in findings(nothing, True, question="Is the heater switched off?")
    cup = Perception(300, 200, quality=good, objects=[Detection("cup", 0.8, (10, 10, 60, 60))])
    asked = findings(cup, True, question="How many cups are on the sofa?")
    assert "did not find" not in asked  # the counted kind was found; the sofa is only where
    soft = findings(cup, True, question="Is there a couch here?")
    assert "Not found: a couch. If the answer needs it, say \"I did not find a couch" in soft and 'Answer "' not in soft  # the cup may still answer
    dog = Perception(300, 200, quality=good, objects=[Detection("dog", 0.8, (10, 10, 200, 190))])
    assert "cannot tell" not in findings(dog, True, question="Which animal is that?")
    specks = [TextLine(c, 0.7, (0, 0, 5, 5)) for c in "0QO"]
    assert "Text: none" in findings(Perception(300, 200, quality=good, text=specks), True, question="What is this?")


def test_colour_questions_get_the_colours_of_what_was_found() -> None:
    """Colours are named only when asked about, per detection (a person's clothes) and for the middle of the view."""
    objs = [Detection("person", 0.9, (0, 0, 100, 300), ("blue", "black")), Detection("tie", 0.6, (40, 80, 60, 160), ("red",))]
    p = Perception(300, 300, quality=Quality(120.0, 500.0, 0.0), objects=objs, centre_colours=("white",))
    text = findings(p, True, question="What colour is his tie?")
    assert "Colours: person (left): clothes blue and black; tie (left): red; middle of the view: white." in text
    assert "Colours" not in findings(p, True, question="What is he wearing?")
    from oculi.vision.perception.types import Face

    portrait = Perception(300, 300, quality=Quality(120.0, 500.0, 0.0), objects=[], faces=[Face((100, 20, 200, 150), 0.9, ("black",))], centre_colours=("red",))
    assert "Colours: person (middle): clothes black; middle of the view: red." in findings(portrait, True, question="What colour is his shirt?")
    assert "colours unless a Colours line names them" in (build_messages("What colour?", p, True)[0].content or "")


def test_how_many_states_the_count_found_and_counts_families() -> None:
    good = Quality(120.0, 500.0, 0.0)
    objs = [Detection("person", 0.9, (0, 0, 50, 90)), Detection("person", 0.8, (60, 0, 90, 90)),
            Detection("bus", 0.7, (0, 0, 300, 100)), Detection("dog", 0.8, (0, 50, 40, 90)), Detection("horse", 0.8, (200, 10, 290, 90))]
    p = Perception(300, 100, quality=good, objects=objs)
    assert "Buses found: 1." in findings(p, True, question="How many buses are there?")
    animals = findings(p, True, question="How many animals are in front of me?")
    assert "Animals found: 2 (dog, horse)." in animals and "cannot count" not in animals
    empty = findings(Perception(300, 100, quality=good, objects=[]), True, question="How many animals are there?")
    assert 'I did not find any animals, but the camera can miss things' in empty


def test_lines_without_letters_or_digits_are_marks_not_text() -> None:
    marks = [TextLine("®", 0.9, (0, 0, 5, 5)), TextLine("★★★", 0.85, (0, 10, 5, 15))]
    p = Perception(10, 10, quality=Quality(120.0, 500.0, 0.0), text=marks)
    text = findings(p, True, question="What does the badge say?")
    assert "®" not in text and "★" not in text and "I can't read it" in text
    p.text.append(TextLine("EXIT", 0.97, (0, 20, 5, 25)))
    assert '"EXIT"' in findings(p, True, question="What does the badge say?")


def test_people_are_sure_person_boxes_plus_faces_outside_them() -> None:
    """An unsure second box on one person does not make two people; a face alone does make one."""
    from oculi.vision.perception.types import Face

    good = Quality(120.0, 500.0, 0.0)
    one = Perception(400, 400, quality=good, faces=[Face((60, 20, 100, 60))],
                     objects=[Detection("person", 0.9, (40, 0, 200, 400)), Detection("person", 0.4, (300, 100, 320, 140))])
    assert "People in view: 1." in findings(one, True, question="How many people are here?")
    two = Perception(400, 400, quality=good, faces=[Face((60, 20, 100, 60)), Face((300, 20, 340, 60))],
                     objects=[Detection("person", 0.9, (40, 0, 200, 400))])
    assert "People in view: 2." in findings(two, True, question="How many people are here?")
    # two people close together in one sure box: each face is a person; a faceless box is one more
    huddle = Perception(400, 400, quality=good, faces=[Face((60, 20, 100, 60)), Face((140, 20, 180, 60))],
                        objects=[Detection("person", 0.9, (40, 0, 200, 400)), Detection("person", 0.8, (250, 0, 390, 400))])
    assert "People in view: 3." in findings(huddle, True, question="How many people are here?")


def test_things_the_detector_does_not_know_get_an_honest_limit() -> None:
    """"Is anyone wearing sunglasses?" is not answered "no one is": the camera cannot see them."""
    good = Quality(120.0, 500.0, 0.0)
    people = Perception(400, 400, quality=good, objects=[Detection("person", 0.9, (40, 0, 200, 400))])
    assert 'Answer "I can\'t tell: the camera does not recognise sunglasses."' in findings(people, True, question="Is anyone wearing sunglasses?")
    for known in ("Is she wearing a tie?", "Is there a glass on the table?", "Is there a kitten?", "Is anyone here?"):
        assert "does not recognise" not in findings(people, True, question=known), known


def test_a_lone_digit_does_not_count_what_the_camera_cannot_see() -> None:
    """A "8" read off a pattern does not answer "how many kiwis"; "28" beside "Tablets" may."""
    good = Quality(120.0, 500.0, 0.0)
    stray = Perception(300, 200, quality=good, objects=[], text=[TextLine("8", 0.9, (0, 0, 9, 9))])
    assert "I can't count kiwis" in findings(stray, True, question="How many kiwis are there?")
    pack = Perception(300, 200, quality=good, objects=[], text=[TextLine("Tablets", 0.99, (0, 0, 90, 9)), TextLine("28", 1.0, (0, 20, 9, 29))])
    assert "I can't count" not in findings(pack, True, question="How many tablets are in the pack?")


def test_a_poor_frame_gives_its_reason_before_what_was_found() -> None:
    """On a dark frame, a cup and a confidently read word are mentioned after the reason, not as the answer."""
    dark = Quality(20.0, 500.0, 0.0, ("dark",), "it is too dark: turn on a light")
    p = Perception(300, 200, quality=dark, objects=[Detection("cup", 0.8, (10, 10, 60, 60))],
                   text=[TextLine("github", 0.99, (0, 0, 90, 9))])
    text = findings(p, True, question="What is on the desk?")
    assert "Picture: POOR (dark)." in text and 'Answer "I can\'t see it well: it is too dark: turn on a light."' in text
    assert "see it well" not in findings(p, True, question="What does it say?")  # confident text is still read


def test_who_someone_is_is_never_guessed_but_who_is_there_is_answered() -> None:
    p = Perception(300, 300, quality=Quality(120.0, 500.0, 0.0), objects=[Detection("person", 0.9, (0, 0, 100, 300))])
    assert "I can't tell who that is: I don't recognise people." in findings(p, True, question="Who is this?")
    assert "I can't tell who" in findings(p, True, question="Who are these people?")
    assert "I can't tell who" in findings(p, True, question="Who's the man in the suit?")
    assert "I can't tell who" in findings(p, True, question="Who are the two people here?")
    assert "recognise people" not in findings(p, True, question="Who is in front of me?")


def test_a_long_page_quotes_the_lines_that_fit_the_question() -> None:
    """A flyer's 60 lines: the heading and the phone number at the bottom are kept, the body is not."""
    from oculi.look.prompt import MAX_LINES, lines_for

    body = [TextLine(f"feature {i} of the recorder works during playback", 0.97, (0, 100 + 20 * i, 500, 116 + 20 * i)) for i in range(60)]
    heading = TextLine("The Pocket Synth", 0.99, (0, 0, 600, 60))
    phone = TextLine("(555) 201-7788", 0.98, (0, 1400, 200, 1416))
    page = [heading, *body, phone]
    for question, wanted in (("What is the phone number at the bottom?", phone), ("What is the title?", heading)):
        shown = lines_for(question, page)
        assert wanted in shown and len(shown) <= MAX_LINES, question
        assert shown == sorted(shown, key=page.index)  # still in reading order
    p = Perception(600, 1500, quality=Quality(120.0, 500.0, 0.0), text=page)
    assert f"Text ({len(lines_for('What does it say?', page))} of 62 lines" in findings(p, True, question="What does it say?")
    short = page[:5]
    assert lines_for("What does it say?", short) == short


def test_a_blurred_page_read_mostly_unsure_is_not_quoted() -> None:
    poor = Quality(130.0, 20.0, 0.0, ("blurred",), "hold still")
    guesses = [TextLine(t, s, (0, 10 * i, 50, 10 * i + 8)) for i, (t, s) in enumerate([("ene linzen", 0.74), ("uien", 0.96), ("verer", 0.74), ("Caar eiJn", 0.66)])]
    text = findings(Perception(100, 100, quality=poor, text=guesses), True, question="Read this to me.")
    assert "uien" not in text and "I can't read it: hold still" in text
    sure = [TextLine("EXIT", 0.99, (0, 0, 50, 8)), TextLine("ONLY", 0.97, (0, 10, 50, 18)), TextLine("l1", 0.6, (0, 20, 50, 28))]
    assert '"EXIT"' in findings(Perception(100, 100, quality=poor, text=sure), True, question="Read this to me.")


def test_read_text_may_answer_what_the_detector_cannot_count() -> None:
    """'How many milligrams…' on a pack is answered from its text, not refused as uncountable."""
    pack = Perception(300, 100, quality=Quality(120.0, 500.0, 0.0), objects=[], text=[TextLine("IBUPROFEN 200 mg", 0.98, (0, 0, 200, 30))])
    text = findings(pack, True, question="How many milligrams is each tablet?")
    assert '"IBUPROFEN 200 mg"' in text and "can't count" not in text


def test_a_colour_question_about_an_unknown_thing_gets_the_colours_not_a_refusal() -> None:
    cabin = Perception(300, 200, quality=Quality(120.0, 500.0, 0.0), objects=[], centre_colours=("red",))
    text = findings(cabin, True, question="What colour is the house?")
    assert "middle of the view: red" in text and "can't tell what this is" not in text


def test_what_is_on_an_unrecognised_place_is_answered_with_what_was_found() -> None:
    """"What is on the desk?" with no desk recognised is not "the desk is empty": the found things are said."""
    good = Quality(120.0, 500.0, 0.0)
    p = Perception(300, 200, quality=good, objects=[Detection("cup", 0.9, (120, 40, 180, 90))], text=[TextLine("8", 0.9, (0, 0, 9, 9))])
    text = findings(p, True, question="What is on the desk?")
    assert 'The desk itself was not recognised. Answer "I can see a cup in the middle."' in text
    assert "not recognised" not in findings(p, True, question="What is in the cup?")
    fruit = Perception(300, 200, quality=good, objects=[Detection("donut", 0.5, (0, 0, 90, 90))], text=[TextLine("8", 0.9, (0, 0, 9, 9))])
    assert "I can't tell what fruit this is" in findings(fruit, True, question="What fruit is this?")  # a stray "8" does not answer it


def test_what_the_detector_cannot_see_held_worn_or_outdoors_is_not_guessed() -> None:
    """A sink beside someone is not what they hold, a bowl on the table is not a hat, and the
    camera cannot tell the weather: the answer says so, then what was seen."""
    good = Quality(120.0, 500.0, 0.0)
    kitchen = Perception(400, 300, quality=good, objects=[Detection("person", 0.9, (100, 0, 300, 300)), Detection("sink", 0.8, (0, 100, 90, 200))])
    assert "I can't tell what is in the hand" in findings(kitchen, True, question="What is she carrying?")
    assert "I can't tell what is on her head" in findings(kitchen, True, question="What does she have on her head?")
    assert "I can't tell the weather" in findings(kitchen, True, question="Is it snowing out there?")
    assert "I can't tell" not in findings(kitchen, True, question="What colour is she wearing?")  # clothes colours answer that
    cafe = replace(kitchen, objects=[*kitchen.objects, Detection("cup", 0.7, (150, 100, 190, 140)), Detection("tie", 0.6, (180, 120, 200, 200))])
    assert "Things found that can be held: cup." in findings(cafe, True, question="What is in his hand?")
    assert "Things found that can be worn: tie." in findings(cafe, True, question="What has he got on?")
    bird = Perception(400, 300, quality=good, objects=[], text=[TextLine("M", 0.6, (0, 0, 9, 9))])
    assert "I can't tell what animal this is" in findings(bird, True, question="Which creature is sitting there?")


def test_other_names_for_known_kinds_are_not_found_rather_than_absent() -> None:
    """"Is there a plant?" with no potted plant found is not "no plant": the camera can miss it;
    but glasses someone wears are not drinking glasses, and a particle is not a thing."""
    good = Quality(120.0, 500.0, 0.0)
    room = Perception(400, 300, quality=good, objects=[Detection("vase", 0.8, (0, 100, 90, 200))])
    assert "I did not find a plant" in findings(room, True, question="Any plant around here?")
    assert "find a glass" not in findings(room, True, question="Does she have glasses on?")
    assert "recognise out" not in findings(room, True, question="What is he holding out to me?")
    assert "I did not find an orange" not in findings(room, True, question="What's that orange thing by the door?")
    two = Perception(400, 300, quality=good, objects=[Detection("person", 0.9, (0, 0, 90, 300)), Detection("person", 0.9, (200, 0, 300, 300))])
    assert "People found: 2." in findings(two, True, question="How many people are digging?")


def test_a_named_thing_the_detector_does_not_know_is_not_guessed() -> None:
    """"What's that machine…?" with nothing recognised is "I can't tell", not "a vehicle"; a
    verb ("that curled up"), a heading on a page or a colour ("the red one") is not a thing."""
    good = Quality(120.0, 500.0, 0.0)
    field = Perception(400, 300, quality=good, objects=[Detection("person", 0.9, (0, 0, 90, 300))])
    assert "does not recognise tractor" in findings(field, True, question="What's that tractor doing over there?")
    cat = Perception(400, 300, quality=good, objects=[Detection("cat", 0.9, (0, 0, 90, 300))])
    for question in ("What's that sleeping on the sofa?", "What is the red one?", "What is the title here?"):
        assert "does not recognise" not in findings(cat, True, question=question), question
    page = replace(cat, text=[TextLine("Chapter two", 0.99, (0, 0, 90, 9))])
    assert "does not recognise" not in findings(page, True, question="What is that heading?")


def test_counts_skip_describing_words_and_pets_are_animals() -> None:
    good = Quality(120.0, 500.0, 0.0)
    room = Perception(400, 300, quality=good, objects=[Detection("cat", 0.9, (0, 0, 90, 90)), Detection("dog", 0.8, (200, 0, 300, 90))])
    assert "Animals found: 2 (cat, dog)." in findings(room, True, question="How many pets are on the rug?")
    assert "I can't count lamps" in findings(room, True, question="How many old lamps hang there?")


def test_a_blurred_frame_with_some_big_letters_still_leads_with_the_limit() -> None:
    blur = Quality(120.0, 5.0, 0.0, ("blurred",), "the picture is blurred: hold still for a moment and look again")
    sign = Perception(400, 300, quality=blur, objects=[], text=[TextLine("BAKERY", 0.99, (0, 0, 200, 60))])
    assert "Answer \"I can't read it all: the picture is blurred" in findings(sign, True, question="Read the small print under it")
