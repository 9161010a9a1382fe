"""The grounded prompt: what perception saw, written as facts the LLM must answer from.

Why a text prompt rather than pixels: the default chat model is text-only, so everything it
may say about the scene has to be in these lines. Absences are written out ("no text could
be read", "the picture is blurred") because a small model fills silence with guesses; with
the reason in front of it, it says "I can't read it" and passes on the advice.
"""

from __future__ import annotations

import re
from collections import Counter

from oculi.llm.messages import ChatMessage
from oculi.vision.perception.types import Perception

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
    "- Keep the answer to one to three short sentences, spoken style, no lists, no markdown."
)

TEXT_QUESTION = re.compile(
    r"\b(say|says|read|text|written|writing|label|sign|menu|price|cost|how much|translat|number|word|letter)",
    re.IGNORECASE,
)
TRANSLATE = re.compile(r"\btranslat|\bin (english|french|spanish|german|italian|portuguese|chinese|japanese)\b", re.IGNORECASE)


MAX_LINES = 40
NO_DETECTOR = "No object detector is installed: objects cannot be named, only text, codes and faces."
WITH_DETECTOR = "An object detector names the 80 everyday object kinds it knows."


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
    if "ocr" in p.errors:
        out.append("Text: the text reader failed on this picture.")
    elif p.text:
        lines = "\n".join(f'"{t.text}"' for t in p.text[:MAX_LINES])
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
    if has_detector:
        counts = Counter(o.label for o in p.objects or [] if o.label != "person")
        listed = ", ".join(f"{n} {lbl}" if n > 1 else lbl for lbl, n in counts.most_common(8))
        out.append(f"Objects: {listed or 'none'}.")
    if caption:
        out.append(f"Scene (vision model): {caption.strip()}")
    if not p.text and (poor or asks_about_text(question)):  # a poor frame spoils any answer
        why = q.advice if poor and q is not None else "no text is in view; point the camera at the text"
        out.append(f'Answer "I can\'t read it: {why}."')
    return "\n".join(out)


def build_messages(
    question: str, p: Perception, has_detector: bool, caption: str | None = None
) -> list[ChatMessage]:
    user = f"{findings(p, has_detector, caption, question)}\nQuestion: {question.strip()}"
    if asks_about_text(question) and len(p.text) > 1 and not TRANSLATE.search(question):
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
