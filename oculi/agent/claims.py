"""Does a reply say that something was done? Used to catch a reply in words that claims an
action no tool performed.

The 1.5B default model, offered the tools and asked to note down a visit on a given day,
sometimes declines every tool and then answers "The note … has been taken" — a lie
the wearer has no way to notice. The instructions forbid it (prompt.TOOL_GUIDANCE) and the
model still does it. The claim itself shows that the model judged an action was asked for, so
the agent then makes it call a tool (see Agent.run). Only the first sentence is judged: it is
held back until it ends, which costs a spoken reply nothing (speech is synthesised a sentence
at a time) and a text reply only the wait for its first sentence.

The same holds for the opposite failure: asked "where is my bike?" after saying where it
is, the model may answer "I don't know where your bike is." without looking in the memory it
was told to use. A first sentence that admits not knowing, to a question about the wearer's
own things, is dropped the same way and `recall` is called (Agent.run).

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
    # "The reminder to water the plants in two hours is set.", "Your note is saved." (not
    # lights: "the lights are switched off" may describe what the camera sees)
    re.compile(r"\b(?:timer|reminder|note|alarm|message)s?\b[^.!?]{0,80}?\b(?:is|are)\s+"
               r"(?:now\s+)?(?:set|saved|scheduled|added|created|taken|sent|booked|recorded|"
               r"stored)\b"),
    # "Timer set for five minutes.", "Note saved.", "Reminder added:"
    re.compile(rf"^\W*(?:(?:a|the|your)\s+)?(?:{_THING})s?\s+(?:{_DONE})\b"),
    # "I'll remind you", "I will remind you at five"
    re.compile(r"\bi(?:\s*'ll|\s+will)\s+remind\s+you\b"),
    # "Remembered that my bike is …", "Saved: …", "Got it, stored it." (a past form no
    # answer about the world starts with; "Set …" and "Put …" are left out: instructions
    # begin with them)
    re.compile(r"^\W*(?:(?:ok(?:ay)?|sure|got it|all right|alright)\W+)?(?:remembered|saved|noted|"
               r"stored|recorded|logged|scheduled|cancell?ed|deleted)"
               r"(?:\s*[:,.!]|\s+(?:that|it|this|the|your|a|an|for|to)\b|\s*$)"),
    # "I'll remember that", "I will keep it in mind", "I'll make a note of it"
    re.compile(r"\bi(?:\s*'ll|\s+will)\s+(?:remember|keep\s+(?:that|it|this)\s+in\s+mind|"
               r"make\s+a\s+note|note\s+(?:that|it|this))\b"),
    # "Done." / "Noted." / "Got it, noted."
    re.compile(r"^\W*(?:(?:ok(?:ay)?|sure|got it|all right|alright)\W+)?(?:done|noted)\s*(?:[.!,]|$)"),
]

# A reply that admits not knowing ("I don't know where your bike is.")...
_NOT_KNOWN = re.compile(
    r"\bi\s*(?:do\s*n[o']t|don't|cannot|can't|am\s+not\s+able\s+to)\s+(?:know|tell|remember|recall|say|find)\b"
    r"|\bi(?:'m|\s+am)\s+not\s+sure\b|\bno\s+(?:information|record|idea)\b"
    r"|\bi\s+(?:do\s*n[o']t|don't)\s+have\s+(?:any\s+|enough\s+)?(?:information|access|a\s+record|details)\b"
    r"|\b(?:unable|not\s+able)\s+to\s+(?:determine|tell|know|find|say)\b|\bnot\s+enough\s+information\b"
    r"|\bi\s+can't\s+see\s+anything\b")
# ...to a question about the wearer's own things or past ("where is my bike?", "what did I…")
_PAST = r"did\s+i|i\s+(?:left|put|parked|told|said|saw|kept|stored)"
_OWN = re.compile(rf"\b(?:my|mine|{_PAST})\b")
# ...and, of those, one about what the wearer did or said before ("where did I park?")
_OWN_PAST = re.compile(rf"\b(?:{_PAST})\b")

# The camera's refusals (look.prompt dictates them for a poor frame: "I can't see it well: …",
# "I can't read it: …"); no answer to a question about what the wearer did before.
_CAMERA_REFUSAL = re.compile(r"^\W*i\s*(?:can't|cannot|can\s+not)\s+(?:see|read)\s+it\b")

_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")


def plain(text: str) -> str:
    """Lower case with typographic apostrophes as plain ones, as the patterns above expect."""
    return text.lower().replace("’", "'")


def claims_an_action(text: str) -> bool:
    """Whether `text` says that the assistant did something (set, saved, sent, switched …)."""
    said = plain(text)
    return any(p.search(said) for p in _CLAIMS)


def admits_not_knowing(text: str) -> bool:
    """Whether `text` says the assistant does not know or cannot tell."""
    return bool(_NOT_KNOWN.search(plain(text)))


def about_the_wearer(question: str) -> bool:
    """Whether `question` asks about the wearer's own things or past, which their memory may
    hold ("where is my bike?", "what did I say about the rent?")."""
    return bool(_OWN.search(plain(question)))


def about_the_wearers_past(question: str) -> bool:
    """Whether `question` asks what the wearer did, said or saw before ("where did I park?",
    "what did I tell you about the rent?"): the camera cannot show that, their memory may."""
    return bool(_OWN_PAST.search(plain(question)))


def refuses_to_look(text: str) -> bool:
    """Whether `text` is the camera's refusal of a poor frame ("I can't see it well: …")."""
    return bool(_CAMERA_REFUSAL.search(plain(text)))


def first_sentence_end(text: str) -> int | None:
    """Where the first sentence of `text` ends (an index just past its stop), if it has."""
    m = _SENTENCE_END.search(text)
    return m.end() if m else None
