"""Clock times as people say them ("6 pm", "5:30", "tomorrow 9:00") → one exact moment.

Small models copy the wearer's words well and do clock arithmetic badly ("at 6 pm" said at
2 pm became "in 180 minutes"). So the reminder tool takes the time as said and this module
does the arithmetic: am/pm, "today"/"tomorrow", and a bare hour that could be either half
of the day means the next one to come ("at five thirty" said at 2 pm is 17:30).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

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
