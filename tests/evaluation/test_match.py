"""The answer matcher: every rule shown failing on an answer it must reject."""

from __future__ import annotations

from oculi.evaluation.match import (
    mentions,
    mentions_any,
    numbers,
    people_counts,
    quotes_text,
    refuses,
    states_people_count,
    yes_no,
)


def test_numbers_are_numbers_not_substrings() -> None:
    assert not mentions("There are 20 people here.", "0")
    assert not mentions("Each tablet is 120 mg.", "20")
    assert not mentions("It costs $16.75.", "6.75")
    assert mentions("Each tablet is 20mg.", "20") and mentions("Each tablet is 20 mg", "20 mg")
    assert mentions("The pack holds twenty-eight tablets.", "28")
    assert mentions("It holds 28.0 tablets", "twenty eight")
    assert mentions("The migas plate is $6.75.", "6.75")
    assert numbers("one hundred twenty milligrams, 2 packs") == [120.0, 2.0]


def test_whole_words_only() -> None:
    assert not mentions("The screen shows a Windaws logo.", "windows")
    assert not mentions("It is a smartphone.", "smart")
    assert mentions("The label reads Inspiron 1545, model PP41L.", "pp41l")
    assert mentions("It says Verifying files.", "verif*") and not mentions("It is a laptop.", "verif*")
    assert mentions("It says S.M.A.R.T. status is OK", "s.m.a.r.t")


def test_negated_mentions_do_not_count() -> None:
    assert not mentions("The screen does not say repair.", "repair")
    assert not mentions("I can't see Samsung anywhere.", "samsung")
    assert mentions("Startup Repair cannot repair this computer.", "repair")  # one plain mention
    assert mentions("No, it says Samsung.", "samsung")  # the negation is in another clause
    assert mentions_any("It is a Dell.", ["hp", "dell"])


def test_people_counts_and_yes_no() -> None:
    assert people_counts("There are 20 people in front of you.") == [20]
    assert not states_people_count("There are 20 people in front of you.", 0)
    assert not states_people_count("I see 0 faces, but there are 2 people.", 0)
    assert states_people_count("No one is in front of you.", 0)
    assert states_people_count("I don't see any people.", 0)
    assert not states_people_count("I can't tell.", 0)
    assert yes_no("No, there is nobody there.", about_people=True) == "no"
    assert yes_no("No one is in front of you.", about_people=True) == "no"
    assert yes_no("Yes, a person is holding a bottle.", about_people=True) == "yes"
    assert yes_no("There is a person holding a bottle.", about_people=True) == "yes"
    assert yes_no("There is no person in the picture.", about_people=True) == "no"
    assert yes_no("I can't tell whether anyone is there.", about_people=True) is None
    assert yes_no("There are 0 faces and 3 people.", about_people=True) is None  # says both


def test_refusals_and_quoted_text() -> None:
    assert refuses("I can't read it: the picture is blurred.")
    assert refuses("The text is unreadable.")
    assert not refuses("The picture shows \"7\".")
    assert not refuses("I can help with that.")
    assert quotes_text("The picture shows \"7\".") and not quotes_text("I can't read it.")
