"""Timer and reminder tools: what the model can set, list and cancel."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from oculi.tools.base import Tool, function_tool, with_validator
from oculi.tools.builtins.clocktime import resolve_when
from oculi.tools.builtins.reminder_store import Reminder, ReminderStore
from oculi.tools.errors import InvalidToolArguments

MAX_DURATION = 7 * 24 * 3600
_FILLER = {"all", "every", "my", "the", "a", "an", "for", "about", "to", "of", "timer", "timers",
           "reminder", "reminders", "one", "please"}


def _describe(r: Reminder, now: float) -> dict[str, Any]:
    left = r.due_at - now
    return {
        "id": r.id,
        "kind": r.kind,
        "text": r.text,
        "due": datetime.fromtimestamp(r.due_at).strftime("%Y-%m-%d %H:%M:%S"),
        "in": _human(left) if left > 0 else "now",
    }


def _summary(r: Reminder, now: float) -> str:
    """One sentence to tell the wearer. The 1.5B model reads a tool result out as it comes,
    so a result with a plain sentence first is spoken as one ("Timer set with ID 1, kind
    timer, text \"\", due …" was what the wearer heard from the bare record)."""
    at = datetime.fromtimestamp(r.due_at)
    day = "" if at.date() == datetime.fromtimestamp(now).date() else at.strftime(" on %A %d %B")
    when = f"{at.strftime('%H:%M')}{day}"
    if r.kind == "timer":
        what = f" for {r.text}" if r.text else ""
        return f"The timer{what} is running: it rings in {_spoken(r.due_at - now)}, at {when}."
    what = r.text.strip().rstrip(".!")
    if what[:1].isupper() and what[1:2].islower():  # "Water the plants" inside a sentence
        what = what[0].lower() + what[1:]
    return f"I will remind you to {what} at {when}." if what else f"Reminder set for {when}."


def _spoken(seconds: float) -> str:
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = [f"{h} hour{'s' * (h != 1)}" if h else "", f"{m} minute{'s' * (m != 1)}" if m else "",
             f"{sec} second{'s' * (sec != 1)}" if sec and not h else ""]
    return " and ".join(p for p in parts if p) or "no time"


def _human(seconds: float) -> str:
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = [f"{h} h" if h else "", f"{m} min" if m else "", f"{sec} s" if sec and not h else ""]
    return " ".join(p for p in parts if p) or "0 s"


class ReminderTools:
    def __init__(
        self,
        store: ReminderStore,
        on_change: Callable[[], None] = lambda: None,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.store = store
        self.on_change = on_change
        self.now = now

    def set_timer(
        self,
        hours: Annotated[int, Field(ge=0, le=168)] = 0,
        minutes: Annotated[int, Field(ge=0, le=10080)] = 0,
        seconds: Annotated[int, Field(ge=0, le=86400)] = 0,
        label: str = "",
    ) -> dict[str, Any]:
        """Start a countdown timer that rings after a duration (e.g. "8 minute timer for the steak").

        Args:
            hours: hours in the duration
            minutes: minutes in the duration
            seconds: seconds in the duration
            label: what the timer is for, e.g. "steak"; empty if not said
        """
        total = hours * 3600 + minutes * 60 + seconds
        if total <= 0 or total > MAX_DURATION:
            raise InvalidToolArguments(
                "a timer needs a duration between 1 second and 7 days",
                hint="give hours, minutes and/or seconds",
            )
        now = self.now().timestamp()
        # "tea timer" and "timer" are labels models write: the notification says "timer" itself
        label = re.sub(r"\s*\btimers?$", "", label.strip(), flags=re.IGNORECASE)
        r = self.store.add("timer", label, now + total, now=now)
        self.on_change()
        return {"say": _summary(r, now), "timer_set": _describe(r, now)}

    def set_reminder(
        self,
        text: str,
        when: Annotated[str, Field(min_length=1, max_length=60)],
    ) -> dict[str, Any]:
        """Remind the wearer of something later, when they ask to be reminded, at a clock time
        or after a delay (never to switch or set a device: the home tools do that).

        Args:
            text: what to remind about, e.g. "renew the parking permit"
            when: the time exactly as the wearer said it, day names as words, e.g. "in 35
                minutes", "at 7:45 pm", "tomorrow at noon", "Thursday at 8 am"
        """
        now_dt = self.now()
        due = resolve_when(when, now_dt)
        now = now_dt.timestamp()
        r = self.store.add("reminder", text.strip(), due.timestamp(), now=now)
        self.on_change()
        return {"say": _summary(r, now), "reminder_set": _describe(r, now)}

    def _validate_reminder(self, validate: Callable[[dict[str, Any]], dict[str, Any]]
                           ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """Resolve `when` to its date and minute (as `resolve_when` gives it) while validating: a time that cannot be
        understood is refused before anything runs, and interfaces (and the evaluation) see
        the moment that will be used."""

        def run(arguments: dict[str, Any]) -> dict[str, Any]:
            out = validate(arguments)
            out["when"] = resolve_when(out["when"], self.now()).strftime("%Y-%m-%d %H:%M")
            return out

        return run

    def list_reminders(self) -> dict[str, Any]:
        """List the timers and reminders that have not rung yet."""
        now = self.now().timestamp()
        items = [_describe(r, now) for r in self.store.pending()]
        return {"pending": items} if items else {"pending": [], "note": "no timers or reminders set"}

    def cancel_reminder(self, which: str) -> dict[str, Any]:
        """Cancel a pending timer or reminder.

        Args:
            which: words from its label or text (e.g. "steak", "permit"), its id number, or "all"
        """
        pending = self.store.pending()
        key = which.strip().lower()
        kind = "timer" if "timer" in key else "reminder" if "reminder" in key else None
        words = [w for w in re.findall(r"\w+", key) if w not in _FILLER]
        every = key.startswith(("all", "every"))
        if key.isdigit():
            chosen = [r for r in pending if r.id == int(key)]
        else:
            chosen = [r for r in pending if kind is None or r.kind == kind]
            if words:
                chosen = [r for r in chosen if all(w in r.text.lower() for w in words)]
            elif not every and kind is None:
                chosen = []
        now = self.now().timestamp()
        if not chosen:
            return {"cancelled": [], "note": f"nothing pending matches {which!r}",
                    "pending": [_describe(r, now) for r in pending]}
        if len(chosen) > 1 and not every:
            # Never cancel several on a vague word: ask the wearer which one.
            return {"cancelled": [], "note": "several match; ask the wearer which one",
                    "matches": [_describe(r, now) for r in chosen]}
        done = [r for r in chosen if self.store.cancel(r.id, at=time.time())]
        self.on_change()
        return {"cancelled": [{"id": r.id, "kind": r.kind, "text": r.text} for r in done]}

    def tools(self) -> list[Tool]:
        data = ["reminders"]
        return [
            function_tool(self.set_timer, data=data),
            with_validator(function_tool(self.set_reminder, data=data), self._validate_reminder),
            function_tool(self.list_reminders, data=data),
            function_tool(self.cancel_reminder, data=data),
        ]

