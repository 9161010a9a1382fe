"""Time phrases → windows, relative to a fixed 'now' (Tuesday 24 Nov 2026, 15:40 local)."""

from __future__ import annotations

from datetime import datetime

import pytest

from oculi.memory.timefilter import parse

NOW = datetime(2026, 11, 24, 15, 40).astimezone()


def _span(question: str) -> tuple[str, str, str]:
    p = parse(question, NOW)
    assert p.window is not None, question
    fmt = "%a %H:%M"
    return (
        p.text,
        datetime.fromtimestamp(p.window.start).astimezone().strftime(fmt),
        datetime.fromtimestamp(p.window.end).astimezone().strftime(fmt),
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what did I see this morning?", ("what did I see?", "Tue 05:00", "Tue 12:00")),
        ("where were my keys yesterday", ("where were my keys", "Mon 00:00", "Tue 00:00")),
        ("what did she say an hour ago", ("what did she say", "Tue 14:10", "Tue 15:10")),
        ("what was on the screen at 3pm", ("what was on the screen", "Tue 14:30", "Tue 15:30")),
        ("who was there at 9 yesterday", ("who was there", "Mon 08:30", "Mon 09:30")),
        ("what did I read in the last 10 minutes", ("what did I read", "Tue 15:30", "Tue 15:40")),
        ("the menu on monday evening", ("the menu", "Mon 17:00", "Mon 22:00")),
        ("what did I see last night", ("what did I see", "Mon 20:00", "Tue 05:00")),
        ("what did he say 2 hours ago", ("what did he say", "Tue 12:40", "Tue 14:40")),
        ("at 10:30 what was on the desk", ("what was on the desk", "Tue 10:00", "Tue 11:00")),
        ("what did I see today", ("what did I see", "Tue 00:00", "Wed 00:00")),
    ],
)
def test_phrases(question: str, expected: tuple[str, str, str]) -> None:
    assert _span(question) == expected


def test_a_future_clock_time_means_the_previous_day() -> None:
    assert _span("what was on the desk at 9pm")[1:] == ("Mon 20:30", "Mon 21:30")


@pytest.mark.parametrize(
    "question", ["where did I leave my keys", "what did he say at 3", "model 1545 label"]
)
def test_no_time_means_no_window(question: str) -> None:
    p = parse(question, NOW)
    assert p.window is None and p.text == question
