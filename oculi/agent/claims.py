"""Does a reply say that something was done? Used to catch a reply in words that claims an
action no tool performed.

The 1.5B default model, offered the tools and asked to note down a visit on a given day,
sometimes declines every tool and then answers "The note … has been taken" — a lie
the wearer has no way to notice. The instructions forbid it (prompt.TOOL_GUIDANCE) and the
model still does it. The claim itself shows that the model judged an action was asked for, so
the agent then makes it call a tool (see Agent.run). Only the first sentence is judged: it is
held back until it ends, which costs a spoken reply nothing (speech is synthesised a sentence
at a time) and a text reply only the wait for its first sentence.

English only, like the rest of the prompts; a claim phrased otherwise goes through unseen.
"""

from __future__ import annotations

import re

_DONE = (r"set|saved|noted|added|created|scheduled|started|taken|made|sent|stored|recorded|"
         r"written|put|booked|logged|turned|switched|dimmed|locked|unlocked|cancell?ed|deleted|"
         r"removed|captured|photographed|remembered")
_THING = r"timer|reminder|note|alarm|photo|picture|video|clip|message|light|lights|memory|fact"

_CLAIMS = [
    # "I've set a timer", "I have saved that", "I just added it"
    re.compile(rf"\bi(?:\s*'ve|\s+have|\s+just|\s+already)\s+(?:also\s+)?(?:{_DONE})\b"),
    # "Your timer has been set", "The note … has been taken", "reminders have been added"
    re.compile(rf"\b(?:{_THING})s?\b[^.!?]{{0,80}}?\b(?:has|have)\s+been\s+(?:{_DONE})\b"),
    # "Timer set for five minutes.", "Note saved.", "Reminder added:"
    re.compile(rf"^\W*(?:(?:a|the|your)\s+)?(?:{_THING})s?\s+(?:{_DONE})\b"),
    # "I'll remind you", "I will remind you at five"
    re.compile(r"\bi(?:\s*'ll|\s+will)\s+remind\s+you\b"),
    # "Done." / "Noted." / "Got it, noted."
    re.compile(r"^\W*(?:(?:ok(?:ay)?|sure|got it|all right|alright)\W+)?(?:done|noted)\s*(?:[.!,]|$)"),
]

_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")


def claims_an_action(text: str) -> bool:
    """Whether `text` says that the assistant did something (set, saved, sent, switched …)."""
    said = text.lower().replace("’", "'")
    return any(p.search(said) for p in _CLAIMS)


def first_sentence_end(text: str) -> int | None:
    """Where the first sentence of `text` ends (an index just past its stop), if it has."""
    m = _SENTENCE_END.search(text)
    return m.end() if m else None
