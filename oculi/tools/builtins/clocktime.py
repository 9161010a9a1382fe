"""Clock times as people say them ("6 pm", "5:30", "tomorrow 9:00") → one exact moment.

Small models copy the wearer's words well and do clock arithmetic badly ("at 6 pm" said at
2 pm became "in 180 minutes"). So the reminder tool takes the time as said and this module
does the arithmetic: am/pm, "today"/"tomorrow", day names ("on sunday at eleven"), dates
("the ninth of may at nine"), and a bare hour that could be either half of the day
means the next one to come ("at five thirty" said at 2 pm is 17:30). Asked for a weekday's
reminder, the 1.5B model wrote tomorrow's date for every named day (tests/tools v6, 4 of 4):
the day is this module's arithmetic too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from oculi.tools.errors import InvalidToolArguments

# The schema's pattern (so the grammar only lets the model write times this module reads).
AT_PATTERN = (
    r"^((tomorrow|today|[0-9]{4}-[0-9]{2}-[0-9]{2}) )?[0-2]?[0-9](:[0-5][0-9])?( ?(am|pm|AM|PM))?$"
)
_AT = re.compile(
    r"^(?:(?P<day>tomorrow|today|\d{4}-\d{2}-\d{2}) )?(?P<h>\d{1,2})(?::(?P<m>\d{2}))?"
    r"(?: ?(?P<ampm>am|pm))?$",
    re.IGNORECASE,
)


def resolve_at(text: str, now: datetime) -> datetime:
    """The next moment matching `text` after `now`; InvalidToolArguments if none or in the past."""
    m = _AT.match(text.strip())
    if not m:
        raise InvalidToolArguments(
            f"{text!r} is not a clock time",
            hint='e.g. "18:30", "6 pm", "tomorrow 9:00", "2026-12-01 09:00"',
        )
    hour, minute = int(m["h"]), int(m["m"] or 0)
    ampm = (m["ampm"] or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidToolArguments(f"{text!r}: with am/pm the hour is 1-12")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidToolArguments(f"{text!r} is not a valid time of day")
    day = (m["day"] or "").lower()
    if day and day not in ("today", "tomorrow"):
        try:
            date = datetime.strptime(day, "%Y-%m-%d").date()
        except ValueError as exc:
            raise InvalidToolArguments(f"{day!r} is not a valid date") from exc
    else:
        date = now.date() + timedelta(days=1 if day == "tomorrow" else 0)
    due = datetime.combine(date, datetime.min.time()).replace(hour=hour, minute=minute)
    if now.tzinfo is not None:
        due = due.replace(tzinfo=now.tzinfo)
    if not day:
        # A bare time means the next one to come: a 1-12 hour without am/pm may be either half.
        options = [due, due + timedelta(hours=12)] if not ampm and 1 <= hour <= 12 else [due]
        options += [o + timedelta(days=1) for o in options]
        due = min(o for o in options if o > now)
    if due <= now:
        raise InvalidToolArguments(f"{text} is in the past", hint="give a future time")
    return due


# --------------------------------------------------------------------------- spoken times
# "in twenty minutes", "at five thirty", "tomorrow at half past eight": the reminder and
# video tools take the wearer's own words and this code does the arithmetic, because a 1.5B
# model asked for minutes turns "at 6 pm" (said at 2 pm) into 360.

_UNITS = {"zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
          "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SECONDS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
            "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600,
            "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


def _digits(text: str) -> str:
    """Number words as digits: "twenty five" → "25", "half an hour" → "30 minutes"."""
    t = " " + re.sub(r"[,\-]", " ", text.lower()) + " "
    t = re.sub(r" (an|one|1) hour and a half ", " 90 minutes ", t)
    t = re.sub(r" (a )?half (an|a|one) hour ", " 30 minutes ", t)
    t = re.sub(r" (a )?quarter (of )?(an|a|one) hour ", " 15 minutes ", t)
    t = re.sub(r" half a minute ", " 30 seconds ", t)
    tens = "|".join(_TENS)
    units = "|".join(k for k in _UNITS if k not in ("a", "an"))
    t = re.sub(rf" ({tens}) ({units}) ", lambda m: f" {_TENS[m[1]] + _UNITS[m[2]]} ", t)
    t = re.sub(rf" ({tens}) ", lambda m: f" {_TENS[m[1]]} ", t)
    t = re.sub(rf" ({units}) ", lambda m: f" {_UNITS[m[1]]} ", t)
    t = re.sub(rf" ({units}) ", lambda m: f" {_UNITS[m[1]]} ", t)  # overlapping matches
    t = re.sub(r" an? (?=(second|minute|hour|day)s? )", " 1 ", t)
    # "six and a half minutes": half of the unit said is added
    t = re.sub(r" (\d+) and a half (minute|hour)s? ",
               lambda m: f" {m[1]} {m[2]}s 30 {'seconds' if m[2] == 'minute' else 'minutes'} ", t)
    return " ".join(t.split())


def parse_duration(text: str) -> int:
    """Seconds in a spoken duration ("one minute", "1 h 30 min", "90 seconds")."""
    t = _digits(text)
    t = re.sub(r"^(for|in|about|around|roughly)\s+", "", t)
    total = 0.0
    rest = t
    for number, unit in _DURATION.findall(t):
        if unit not in _SECONDS:
            break
        total += float(number) * _SECONDS[unit]
        rest = rest.replace(number, "", 1).replace(unit, "", 1)
    if total <= 0 or re.sub(r"\b(and|for|in)\b|\s", "", rest):
        raise InvalidToolArguments(f"{text!r} is not a duration", hint='e.g. "30 seconds", "one minute", "2 hours"')
    return round(total)


def resolve_when(text: str, now: datetime) -> datetime:
    """The moment meant by a spoken time: a delay ("in 20 minutes") or a clock time ("at five
    thirty", "tomorrow at half past eight"). InvalidToolArguments when it is neither."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}", text.strip()):  # the resolved form
        return resolve_at(text.strip(), now)
    dated = re.match(r"\s*(\d{4}-\d{2}-\d{2})\s+(.*)", text)
    named = None if dated else named_day(text, now)
    t = _digits(dated[2] if dated else named[1] if named else text).strip(" .")
    t = re.sub(r"(\d)(am|pm)\b", r"\1 \2", t)
    t = re.sub(r"\b(\d{1,2}) oh? (\d)\b", r"\1:0\2", t)  # "nine oh five" is 9:05
    if t.startswith("in ") or not re.search(r"\b(at|am|pm|tomorrow|today|tonight|noon|midnight|morning|evening|afternoon|o'?clock)\b|:", t):
        with_unit = re.search(r"\d\s*(s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?|days?)\b", t)
        if with_unit:
            return now + timedelta(seconds=parse_duration(t))
    if dated:
        day = f"{dated[1]} "
    elif named is not None:
        day = f"{named[0].isoformat()} "
    elif "tomorrow" in t:
        day = "tomorrow "
    elif "today" in t or "tonight" in t:
        day = "today "
    else:
        day = ""
    half = ""
    if re.search(r"\b(morning|am|a\.m\.)\b", t):
        half = " am"
    elif re.search(r"\b(afternoon|evening|tonight|night|pm|p\.m\.)\b", t):
        half = " pm"
    if re.search(r"\bnoon\b", t):  # not "afternoon"
        return resolve_at(f"{day}12 pm", now)
    if "midnight" in t:
        return resolve_at("tomorrow 0:00" if day in ("", "today ") else f"{day}0:00", now)  # the coming one
    m = re.search(r"\b(?:(half|quarter|\d{1,2}) (?:minutes? )?(past|after|to|before) )?(\d{1,2})(?:[:. ](\d{2}))?\b", t)
    if not m:
        raise InvalidToolArguments(f"{text!r} is not a time", hint='e.g. "in 20 minutes", "at 6 pm", "tomorrow at 9 am"')
    hour, minute = int(m[3]), int(m[4] or 0)
    if m[1]:
        offset = {"half": 30, "quarter": 15}.get(m[1]) or int(m[1])  # "twenty past eight"
        if offset >= 60:
            raise InvalidToolArguments(f"{text!r} is not a time", hint='e.g. "twenty past eight"')
        if m[2] in ("past", "after"):
            minute = offset
        else:
            hour, minute = (hour - 1) % 24, 60 - offset
    if half and hour > 12:
        half = ""  # "18:00 in the evening": the 24-hour clock already says it
    if day and not half and 1 <= hour <= 6 and not m[3].startswith("0"):
        half = " pm"  # "friday at half past three" is in the afternoon; "05:30" is not
    return resolve_at(f"{day}{hour}:{minute:02d}{half}", now)


# --------------------------------------------------------------------------- named days
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_ORDINALS = {w: i + 1 for i, w in enumerate((
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth"))}
_ORDINALS |= {f"twenty {w}": 20 + n for w, n in _ORDINALS.items() if n < 10}
_ORDINALS |= {"thirtieth": 30, "thirty first": 31}
_ORDINAL = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_MONTH = r"(?P<month>" + "|".join(_MONTHS) + "|" + "|".join(m[:3] for m in _MONTHS) + r")\b\.?"
_NUMBER = rf"(?P<n>\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL})"
_DATE_FORMS = (
    re.compile(rf"\b(?:the )?{_NUMBER} (?:of )?{_MONTH}"),  # "the first of february", "3rd march"
    re.compile(rf"\b{_MONTH} (?:the )?{_NUMBER}\b"),  # "february 1st", "march the third"
)
_DAY_OF_MONTH = re.compile(rf"\bon the {_NUMBER}\b")
_WEEKDAY = re.compile(r"\b(?:(?:next|this|coming) )?(?P<day>" + "|".join(_WEEKDAYS) + r")\b")


def named_day(text: str, now: datetime) -> tuple[date, str] | None:
    """The date a spoken day names — a calendar date ("the first of february", "march 3rd";
    the next one to come) or a weekday ("on sunday", "next friday": the next one after
    today) — and the text without it, for the time of day. None when no day is named."""
    t = " ".join(re.sub(r"[,\-]", " ", text.lower()).split())
    for form in _DATE_FORMS:
        m = form.search(t)
        if m is None:
            continue
        said = m["n"]
        number = _ORDINALS.get(said) or int(re.sub(r"\D", "", said))
        month = next(i + 1 for i, name in enumerate(_MONTHS) if name.startswith(m["month"].rstrip(".")))
        for year in (now.year, now.year + 1):
            try:
                day = date(year, month, number)
            except ValueError:
                return None  # "the thirty first of april"
            if day >= now.date():
                return day, (t[:m.start()] + t[m.end():]).strip()
    m = _DAY_OF_MONTH.search(t)
    if m is not None:  # "on the twentieth": this month's, or next month's when it has passed
        number = _ORDINALS.get(m["n"]) or int(re.sub(r"\D", "", m["n"]))
        for ahead in range(3):
            year, month = now.year + (now.month - 1 + ahead) // 12, (now.month - 1 + ahead) % 12 + 1
            try:
                day = date(year, month, number)
            except ValueError:
                continue
            if day >= now.date():
                return day, (t[:m.start()] + t[m.end():]).strip()
        return None
    m = _WEEKDAY.search(t)
    if m is None:
        return None
    ahead = (_WEEKDAYS.index(m["day"]) - now.weekday()) % 7 or 7
    return now.date() + timedelta(days=ahead), (t[:m.start()] + t[m.end():]).strip()


def day_said(text: str) -> str | None:
    """The words that name a day in `text` ("sunday", "next friday", "the first of february"),
    lower case; None when it names no day or more than one (which one is meant is unclear)."""
    t = " ".join(re.sub(r"[,\-]", " ", text.lower()).split())
    found = [m[0] for form in (*_DATE_FORMS, _WEEKDAY) for m in form.finditer(t)]
    found = found or [m[0] for m in _DAY_OF_MONTH.finditer(t)]
    return found[0] if len(found) == 1 else None

