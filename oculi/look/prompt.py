"""The grounded prompt: what perception saw, written as facts the LLM must answer from.

Why a text prompt rather than pixels: the default chat model is text-only, so everything it
may say about the scene has to be in these lines. Absences are written out ("no text could
be read", "the picture is blurred") because a small model fills silence with guesses; with
the reason in front of it, it says "I can't read it" and passes on the advice.
"""

from __future__ import annotations

import re
from oculi.llm.messages import ChatMessage
from oculi.vision.perception.objects import COCO80
from oculi.vision.perception.scene import group_objects, plural, spoken
from oculi.vision.perception.types import Perception, TextLine

SYSTEM = (
    "You are oculi, the assistant in a blind or low-vision person's smart glasses. You cannot "
    "see; a camera pipeline looked for you. Each question comes with its findings: the "
    "picture's quality, the text it read (one quoted line each, top to bottom, left to right), "
    "codes and people. Answer the wearer's question using ONLY those findings.\n"
    "{objects}\n"
    "Rules:\n"
    "- When text was read, quote every line of it, in order, exactly in double quotes; OCR may "
    "have merged words or made small errors, so you may restore spaces, but never invent text "
    "that is not in the findings.\n"
    "- If asked to translate, translate the text that was read into the language asked for.\n"
    "- If the findings do not contain what is asked, say so plainly in your own words, with the "
    "reason and the advice given in the findings.\n"
    "- Never describe colours, brands, states or things that are not in the findings: say what "
    "was found and that you cannot tell more.\n"
    "- Keep the answer to one to three short sentences, spoken style, no lists, no markdown."
)

TEXT_QUESTION = re.compile(
    r"\b(say|says|read|text|written|writing|label|sign|menu|price|cost|how much|translat|number|word|letter|brand|logo)",
    re.IGNORECASE,
)
TRANSLATE = re.compile(r"\btranslat|\bin (english|french|spanish|german|italian|portuguese|chinese|japanese)\b", re.IGNORECASE)


MAX_LINES = 40
NO_DETECTOR = "No object detector is installed: objects cannot be named, only text, codes and faces."
WITH_DETECTOR = (
    "An object detector names only the 80 everyday kinds it knows (people, animals, vehicles, "
    "furniture, kitchen things, electronics), with where they are (left, middle, right; close = "
    "fills much of the view); it can miss things."
)
HOW_MANY = re.compile(r"\bhow many (\w+(?: \w+)?)", re.IGNORECASE)
ASKS_ABOUT_PEOPLE = re.compile(r"\b(people|person|persons|anyone|anybody|someone|somebody|who|faces?)\b", re.IGNORECASE)
PEOPLE_WORDS = {"people", "persons", "person", "faces", "face", "men", "women", "kids", "children", "humans"}
STRAY_TEXT_CHARS = 6  # on a poor frame, fewer letters and digits than this are noise, not text
CONFIDENT_READ = 0.95  # ...unless the reader was this sure of a line (a short sign on a white card)


def findings(p: Perception, has_detector: bool, caption: str | None = None, question: str = "") -> str:
    """The perception results as short, labelled lines.

    Every token here is read afresh on each look (the rules above are cached), and on a
    2-core CPU each costs ~25 ms before the first word: the lines are terse on purpose.
    """
    out: list[str] = []
    q = p.quality
    poor = q is not None and bool(q.problems)
    if q is not None:
        out.append("Picture: POOR." if poor else "Picture: good.")
    text = readable_text(p)
    if "ocr" in p.errors:
        out.append("Text: the text reader failed on this picture.")
    elif text:
        lines = "\n".join(f'"{t.text}"' for t in text[:MAX_LINES])
        out.append(f"Text:\n{lines}")
    else:
        out.append("Text: none.")
    if p.codes:
        out.append("Codes: " + "; ".join(f'{c.kind} "{c.text}"' for c in p.codes))
    persons = sum(1 for o in p.objects or [] if o.label == "person")
    n_people = max(len(p.faces), persons)
    if n_people:
        out.append(f"People in view: {n_people} ({len(p.faces)} face(s)" + (f", {persons} person(s)" if has_detector else "") + ").")
    else:
        out.append("People in view: none.")
    groups = group_objects(p.objects, p.width, p.height)
    if has_detector:
        out.append(f"Objects: {'; '.join(g.phrase() for g in groups[:8]) or 'none'}.")
    if p.classes:
        out.append(f"Main thing (classifier guess): {p.classes[0].label}.")
    if caption:
        out.append(f"Scene (vision model): {caption.strip()}")
    if not text and (poor or asks_about_text(question)):  # a poor frame spoils any answer
        why = q.advice if poor and q is not None else "no text is in view; point the camera at the text"
        verb = "read it" if asks_about_text(question) else "see it well"
        out.append(f'Answer "I can\'t {verb}: {why}."')
    elif not caption and not poor:
        unknown = unknown_count_target(question, has_detector)
        if unknown:
            out.append(f"{unknown.capitalize()} are not among the kinds the detector knows: say you cannot count them.")
        elif (
            has_detector and not text and not p.codes and not groups and not n_people and not p.classes
            and not ASKS_ABOUT_PEOPLE.search(question)  # "no one" is an answer, not a limit
        ):
            out.append("Nothing the camera knows was found: say you cannot tell what this is.")
    return "\n".join(out)


def readable_text(p: Perception) -> list[TextLine]:
    """The lines worth quoting. On a poor frame a few stray characters (a "7" read from glare)
    are noise: quoting them would describe an unreadable photo."""
    q = p.quality
    if q is None or not q.problems or any(t.score >= CONFIDENT_READ for t in p.text):
        return p.text  # a line read with confidence is text, however bright the card around it
    if sum(ch.isalnum() for t in p.text for ch in t.text) < STRAY_TEXT_CHARS:
        return []
    return p.text


KNOWN = {spoken(label) for label in COCO80} | set(COCO80)


def unknown_count_target(question: str, has_detector: bool) -> str | None:
    """'coins' for "how many coins…?" when the detector cannot name coins (None otherwise)."""
    m = HOW_MANY.search(question)
    if not m:
        return None
    words = m.group(1).lower().split()
    if words[0] in PEOPLE_WORDS:
        return None
    known = {plural(k) for k in KNOWN} | KNOWN if has_detector else set()
    if words[0] in known or " ".join(words) in known:
        return None
    return words[0]


def build_messages(
    question: str, p: Perception, has_detector: bool, caption: str | None = None
) -> list[ChatMessage]:
    user = f"{findings(p, has_detector, caption, question)}\nQuestion: {question.strip()}"
    if asks_about_text(question) and len(readable_text(p)) > 1 and not TRANSLATE.search(question):
        # Small models quote the first line and stop; naming the count makes them go on.
        user += f"\nQuote all {min(len(p.text), MAX_LINES)} lines, in order."
    if TRANSLATE.search(question) and p.text:
        lang = _target_language(question)
        user += f"\nAnswer with each quoted text followed by its {lang} translation."
    return [system_message(has_detector), ChatMessage(role="user", content=user)]


def system_message(has_detector: bool) -> ChatMessage:
    """The same for every look on one device: read once, then restored from its saved state."""
    return ChatMessage(role="system", content=SYSTEM.format(objects=WITH_DETECTOR if has_detector else NO_DETECTOR))


def _target_language(question: str) -> str:
    m = re.search(r"\b(?:into|to|in)\s+([A-Z][a-z]+)", question)
    return m.group(1) if m else "English"


def asks_about_text(question: str) -> bool:
    """Reading questions get the explicit "I can't read it" line; others must not."""
    return bool(TEXT_QUESTION.search(question)) or not question.strip()
