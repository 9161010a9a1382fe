"""Timers and reminders persist across a restart and fire on time as notifications."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest

from oculi.tools.builtins.reminder_store import ReminderStore
from oculi.tools.builtins.reminders import ReminderTools
from oculi.tools.builtins.scheduler import ReminderScheduler
from oculi.tools.registry import ToolRegistry


def _registry(store, scheduler=None, now=datetime.now):
    reg = ToolRegistry()
    reg.register_all(ReminderTools(store, scheduler.wake if scheduler else (lambda: None), now).tools())
    return reg


def test_timer_fires_on_time(tmp_path, notifier):
    store = ReminderStore(tmp_path / "r.sqlite3")
    sched = ReminderScheduler(store, notifier)
    sched.start()
    try:
        reg = _registry(store, sched)
        t0 = time.time()
        r = reg.call("set_timer", {"seconds": 1, "label": "tea"})
        assert r.ok, r.content
        assert notifier.wait_for(1, timeout=10)
        n = notifier.received[0]
        assert n.kind == "timer" and n.title == "Timer: tea" and "tea" in n.text
        assert n.fired_at >= n.due_at >= t0 + 0.9
        assert n.late_seconds < 2.0  # woken for it, not found by a periodic poll
        assert store.pending() == []
    finally:
        sched.stop()


def test_reminder_survives_a_restart_and_fires(tmp_path, notifier):
    path = tmp_path / "r.sqlite3"
    # First "process": set a reminder 2 s ahead, then shut down before it is due.
    store = ReminderStore(path)
    first = ReminderScheduler(store, notifier)
    first.start()
    reg = _registry(store, first)
    at = datetime.now() + timedelta(seconds=2)
    due = store.add("reminder", "call mom", at.timestamp())
    first.stop()
    del store, reg
    assert notifier.received == []
    # Second "process": a fresh store and scheduler on the same file.
    store2 = ReminderStore(path)
    assert [r.text for r in store2.pending()] == ["call mom"]
    second = ReminderScheduler(store2, notifier)
    second.start()
    try:
        assert notifier.wait_for(1, timeout=10)
        n = notifier.received[0]
        assert n.id == due.id and n.text == "Reminder: call mom"
        assert n.fired_at >= due.due_at and n.late_seconds < 2.0
    finally:
        second.stop()
    assert store2.get(due.id).fired_at is not None


def test_missed_while_off_fires_at_start_marked_late(tmp_path, notifier):
    store = ReminderStore(tmp_path / "r.sqlite3")
    store.add("timer", "eggs", time.time() - 120)
    sched = ReminderScheduler(store, notifier)
    sched.start()
    try:
        assert notifier.wait_for(1, timeout=5)
        assert notifier.received[0].late_seconds >= 119
    finally:
        sched.stop()
    # fired once, not again on the next start
    again = ReminderScheduler(store, notifier)
    assert again.fire_due() == []


def test_reminder_at_clock_time_and_listing(tmp_path):
    now = datetime(2026, 3, 5, 20, 0)
    store = ReminderStore(tmp_path / "r.sqlite3")
    reg = _registry(store, now=lambda: now)
    r = reg.call("set_reminder", {"text": "take pills", "when": "at 07:30"})
    assert r.ok, r.content
    assert r.value["reminder_set"]["due"] == "2026-03-06 07:30:00"  # tomorrow: 07:30 has passed
    assert reg.call("set_reminder", {"text": "call", "when": "in twenty minutes"}).value["reminder_set"]["due"] == "2026-03-05 20:20:00"
    assert reg.call("set_timer", {"minutes": 10, "label": "pasta"}).ok
    listed = reg.call("list_reminders", {}).value["pending"]
    assert [x["text"] for x in listed] == ["pasta", "call", "take pills"]
    assert listed[0]["in"] == "10 min"


def test_bad_reminder_arguments_are_messages(tmp_path):
    store = ReminderStore(tmp_path / "r.sqlite3")
    reg = _registry(store)
    assert reg.call("set_timer", {}).error_code == "invalid_tool_arguments"
    assert reg.call("set_reminder", {"text": "x"}).error_code == "invalid_tool_arguments"
    for when in ("25:99", "sometime soon", "in 0 minutes", "2020-01-01 10:00", ""):
        assert reg.call("set_reminder", {"text": "x", "when": when}).error_code == "invalid_tool_arguments", when
    assert store.pending() == []


def test_cancel_by_words_id_or_all(tmp_path, notifier):
    store = ReminderStore(tmp_path / "r.sqlite3")
    reg = _registry(store)
    reg.call("set_timer", {"minutes": 5, "label": "pasta"})
    reg.call("set_timer", {"minutes": 9, "label": "eggs"})
    reg.call("set_reminder", {"text": "water the plants", "when": "in an hour"})
    r = reg.call("cancel_reminder", {"which": "pasta"})
    assert [c["text"] for c in r.value["cancelled"]] == ["pasta"]
    assert "nothing pending" in reg.call("cancel_reminder", {"which": "laundry"}).content
    reg.call("set_timer", {"minutes": 3, "label": "tea"})
    vague = reg.call("cancel_reminder", {"which": "timer"}).value  # two timers: ask, cancel none
    assert vague["cancelled"] == [] and len(vague["matches"]) == 2
    assert reg.call("cancel_reminder", {"which": "the plants reminder"}).value["cancelled"][0]["text"] == "water the plants"
    assert len(reg.call("cancel_reminder", {"which": "all timers"}).value["cancelled"]) == 2
    assert store.pending() == []
    # a cancelled timer never fires
    assert ReminderScheduler(store, notifier).fire_due() == []


@pytest.mark.parametrize("said, due", [
    ("6 pm", "2026-03-05 18:00"), ("at 6:45PM", "2026-03-05 18:45"), ("9 am", "2026-03-06 09:00"),
    ("at five thirty", "2026-03-05 17:30"),  # said at 2 pm: the next 5:30 is this afternoon's
    ("3", "2026-03-05 15:00"), ("15:15", "2026-03-05 15:15"), ("13:15", "2026-03-06 13:15"), ("12 am", "2026-03-06 00:00"),
    ("tomorrow at 9 in the morning", "2026-03-06 09:00"), ("tomorrow 07:30", "2026-03-06 07:30"),
    ("today 23:00", "2026-03-05 23:00"), ("2026-03-10 8 pm", "2026-03-10 20:00"), ("at 7 in the evening", "2026-03-05 19:00"),
    ("half past five", "2026-03-05 17:30"), ("quarter to six", "2026-03-05 17:45"), ("at noon", "2026-03-06 12:00"),
    ("tonight at 8", "2026-03-05 20:00"), ("in 20 minutes", "2026-03-05 14:20"), ("in two hours", "2026-03-05 16:00"),
    ("in half an hour", "2026-03-05 14:30"), ("in an hour and a half", "2026-03-05 15:30"), ("in 1 hour 15 minutes", "2026-03-05 15:15"),
    ("in forty-five minutes", "2026-03-05 14:45"), ("2026-03-07 10:00", "2026-03-07 10:00"),
    # days by name (said on a Thursday): the next one after today, a bare early hour in the afternoon
    ("on sunday at eleven in the morning", "2026-03-08 11:00"), ("monday at eight fifteen am", "2026-03-09 08:15"),
    ("thursday at 9 am", "2026-03-12 09:00"), ("on tuesday at half past two", "2026-03-10 14:30"),
    ("next friday at 9", "2026-03-06 09:00"), ("Saturday, March 7 at 10:30 am", "2026-03-07 10:30"),
    # dates: the next one to come
    ("the first of april at noon", "2026-04-01 12:00"), ("march the twenty-first at 6 pm", "2026-03-21 18:00"),
    ("on feb 2nd at 9 am", "2027-02-02 09:00"),
    # "afternoon" holds "noon" (it was read as noon); minutes past and to; "oh" for zero
    ("at four in the afternoon", "2026-03-05 16:00"), ("tonight at twenty past eight", "2026-03-05 20:20"),
    ("at ten to six", "2026-03-05 17:50"), ("tomorrow at nine oh five", "2026-03-06 09:05"),
])
def test_times_as_people_say_them(tmp_path, said, due):
    now = datetime(2026, 3, 5, 14, 0)
    reg = _registry(ReminderStore(tmp_path / "r.sqlite3"), now=lambda: now)
    assert reg.prepare("set_reminder", {"text": "x", "when": said})[1]["when"] == due
    r = reg.call("set_reminder", {"text": "x", "when": said})
    assert r.ok and r.value["reminder_set"]["due"] == due + ":00"


@pytest.mark.parametrize("said", ["today 9 am", "2026-03-01 10:00", "25:00", "0 pm", "tomorrow"])
def test_clock_times_that_cannot_be_used(tmp_path, said):
    now = datetime(2026, 3, 5, 14, 0)
    reg = _registry(ReminderStore(tmp_path / "r.sqlite3"), now=lambda: now)
    assert reg.call("set_reminder", {"text": "x", "when": said}).error_code == "invalid_tool_arguments"


@pytest.mark.parametrize(("label", "said"), [
    ("tea", "Your tea timer is done."), ("tea timer", "Your tea timer is done."),
    ("timer", "Your timer is done."), ("", "Your timer is done."),
    ("10 seconds", "Your 10-second timer is done."), ("5 Minutes timer", "Your 5-minute timer is done."),
])
def test_a_timer_rings_with_timer_said_once(tmp_path, label, said):
    from oculi.tools.builtins.scheduler import notification_for

    store = ReminderStore(tmp_path / "r.sqlite3")
    assert _registry(store).call("set_timer", {"seconds": 30, "label": label}).ok
    assert notification_for(store.pending()[0], time.time()).text == said


def test_a_set_reminder_or_timer_begins_with_a_sentence_to_say(tmp_path) -> None:
    from datetime import datetime

    from oculi.tools.builtins.reminder_store import ReminderStore
    from oculi.tools.builtins.reminders import ReminderTools

    now = datetime(2026, 3, 5, 20, 0)
    tools = ReminderTools(ReminderStore(tmp_path / "r.sqlite3"), now=lambda: now)
    said = tools.set_reminder("Water the plants.", "in two hours")["say"]
    assert said == "I will remind you to water the plants at 22:00."
    assert tools.set_timer(seconds=10)["say"] == (
        "The timer is running: it rings in 10 seconds, at 20:00.")
    assert tools.set_timer(minutes=1, label="tea")["say"].startswith("The timer for tea is running")
