"""Time phrases in a question → a time window, and the question without them.

"this morning", "yesterday", "an hour ago", "at 3pm", "last night", "2 days ago", weekday
names… are common in recall questions and no maintained library turns them into *ranges*
(dateparser gives instants), so this small parser does, relative to an injected `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

PARTS = {  # part of day → (start hour, end hour)
    "morning": (5, 12),
    "afternoon": (12, 17),
    "evening": (17, 22),
    "night": (20, 29),
    "lunchtime": (11, 14),
    "noon": (11.5, 12.5),
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
UNITS = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 604800,
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "ten": 10,
    "twenty": 20,
    "thirty": 30,
    "few": 3,
    "couple of": 2,
    "half an": 0.5,
}


@dataclass(frozen=True)
class TimeWindow:
    start: float
    end: float
    phrase: str

    def contains(self, ts: float) -> bool:
        return self.start <= ts < self.end


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    window: TimeWindow | None


_NUM = (
    r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + ")"
)
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)"
_AGO = re.compile(rf"\b(?:about |around |roughly )?{_NUM}\s+{_UNIT}\s+ago\b", re.IGNORECASE)
_LAST_N = re.compile(
    rf"\b(?:in |during )?(?:the )?(?:last|past)\s+(?:{_NUM}\s+)?{_UNIT}\b", re.IGNORECASE
)
_AT = re.compile(
    r"\b(?:at|around|about)\s+(\d{1,2})(?::(\d{2}))?(?:\s*(am|pm|a\.m\.|p\.m\.|o'?clock))?"
    r"(?:\s+(today|yesterday))?\b",
    re.IGNORECASE,
)
_PART = re.compile(
    r"\b(this|yesterday|last|tomorrow)\s+(morning|afternoon|evening|night|lunchtime)\b"
    r"|\b(tonight|today|yesterday|at noon|at lunchtime)\b",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    r"\b(?:on |last )?(" + "|".join(WEEKDAYS) + r")(?:\s+(morning|afternoon|evening|night))?\b",
    re.IGNORECASE,
)


def _midnight(dt: datetime) -> datetime:
    return dt.replace(hour=0, minute=0, second=0, microsecond=0)


def _num(s: str) -> float:
    return float(s) if s[0].isdigit() else float(NUMBER_WORDS[s.lower()])


def _unit(s: str) -> int:
    s = s.lower()
    for k, v in UNITS.items():
        if s.startswith(k):
            return v
    raise ValueError(s)


def _part_window(day: datetime, part: str) -> tuple[datetime, datetime]:
    a, b = PARTS[part]
    return day + timedelta(hours=a), day + timedelta(hours=b)


def parse(question: str, now: datetime) -> ParsedQuery:
    """`now` is a timezone-aware (or local naive) datetime; windows are Unix-epoch seconds."""
    q = question
    today = _midnight(now)
    window: tuple[datetime, datetime] | None = None
    m = _AGO.search(q)
    if m:
        delta = _num(m.group(1)) * _unit(m.group(2))
        centre = now - timedelta(seconds=delta)
        slack = max(delta * 0.5, 300.0)  # "an hour ago" means roughly: ±30 min
        window = (centre - timedelta(seconds=slack), min(now, centre + timedelta(seconds=slack)))
    elif m := _LAST_N.search(q):
        n = _num(m.group(1)) if m.group(1) else 1.0
        window = (now - timedelta(seconds=n * _unit(m.group(2))), now)
    elif (m := _AT.search(q)) and (m.group(3) or m.group(2) or m.group(4)):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        ampm = (m.group(3) or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        elif (
            not ampm.endswith(("am", "pm"))
            and hour < 12
            and today + timedelta(hours=hour + 12) <= now
        ):
            hour += 12  # "at 3" in the evening means 15:00
        day = today - timedelta(days=1) if (m.group(4) or "").lower() == "yesterday" else today
        at = day + timedelta(hours=hour, minutes=minute)
        if at > now and not m.group(4):
            at -= timedelta(days=1)
        window = (at - timedelta(minutes=30), at + timedelta(minutes=30))
    elif m := _PART.search(q):
        which, part, single = (
            (m.group(1) or "").lower(),
            (m.group(2) or "").lower(),
            (m.group(3) or "").lower(),
        )
        if single == "today":
            window = (today, today + timedelta(days=1))
        elif single == "yesterday":
            window = (today - timedelta(days=1), today)
        elif single == "tonight":
            window = _part_window(today, "night")
        elif single in ("at noon", "at lunchtime"):
            window = _part_window(today, single.split()[-1])
        elif which in ("yesterday", "last"):
            window = _part_window(today - timedelta(days=1), part)
        elif which == "tomorrow":
            window = _part_window(today + timedelta(days=1), part)
        else:  # "this morning"
            window = _part_window(today, part)
    elif m := _WEEKDAY.search(q):
        back = (now.weekday() - WEEKDAYS.index(m.group(1).lower())) % 7 or 7
        day = today - timedelta(days=back)
        window = (
            _part_window(day, m.group(2).lower()) if m.group(2) else (day, day + timedelta(days=1))
        )
    if window is None or m is None:
        return ParsedQuery(question.strip(), None)
    text = (q[: m.start()] + " " + q[m.end() :]).strip()
    text = re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,")
    return ParsedQuery(
        text, TimeWindow(window[0].timestamp(), window[1].timestamp(), m.group(0).strip())
    )
