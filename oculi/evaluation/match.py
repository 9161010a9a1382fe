"""Answer matching for evaluations that can fail: whole words, numbers as numbers, negations.

Substring checks pass answers they should not: "0" is inside "20 people", "20" inside
"120 mg", "verif" inside anything. Here both the answer and the expected phrase become the
same word tokens (lower case, "n't" → "not", letters and digits split so "120mg" is
"120 mg" and "PP41L" is "pp 41 l"), numbers are compared by value ("twenty-eight" = "28" =
"28.0"), and a phrase must appear as consecutive whole tokens. A phrase ending in "*" matches
any word that starts with it ("verif*" → "verifying"). An occurrence right after a negation in
the same clause ("does not say repair") does not count.

Used by the look evaluation and any other answer-quality scorer; the unit tests in
`tests/evaluation/test_match.py` show each rule failing on the answers it must reject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
NEGATORS = frozenset({"not", "no", "never", "none", "nothing", "nobody", "without", "neither", "nor"})
CLAUSE_END = ","  # every clause boundary (, . ; : ! ? and dashes) becomes this token
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[,.;:!?()]|\s[-–—]\s")

PEOPLE_NOUNS = frozenset({"people", "person", "persons", "face", "faces", "man", "men", "woman", "women", "individual", "individuals", "human", "humans"})
_ZERO_PEOPLE = ("no one", "nobody", "no people", "no person", "no persons", "no faces", "no face", "no humans", "nobody else", "not see anyone", "not see any people", "not see any person", "not see any faces", "not anyone", "no other people", "none")
_SOME_PEOPLE = ("someone", "somebody", "a person", "a man", "a woman", "a face", "a hand", "one person")


@dataclass(frozen=True)
class Token:
    text: str
    number: float | None  # the value when the token is a number (digits or number words)


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"\bcan't\b|\bcannot\b", "can not", text)
    text = re.sub(r"\bwon't\b", "will not", text)
    text = re.sub(r"n't\b", " not", text)
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)  # 1,000 → 1000
    text = re.sub(r"\b(?:[a-z]\.){2,}[a-z]?\b", lambda m: m.group(0).replace(".", ""), text)  # s.m.a.r.t
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)  # 120mg → 120 mg
    return text


def _number_words(words: list[str]) -> list[Token]:
    """Join spelled-out numbers ("twenty eight" → 28, "one hundred twenty" → 120)."""
    out: list[Token] = []
    i = 0
    while i < len(words):
        j, value = i, None
        while j < len(words):
            x = words[j]
            if x in _TENS and (value is None or (value >= 100 and value % 100 == 0)):
                value = (value or 0) + _TENS[x]
            elif x in _UNITS and (value is None or (value >= 20 and value % 10 == 0)):
                value = (value or 0) + _UNITS[x]
            elif x == "hundred" and value is not None and 0 < value < 10:
                value *= 100
            else:
                break
            j += 1
        if value is None:
            w = words[i]
            out.append(Token(w, float(w) if re.fullmatch(r"\d+(?:\.\d+)?", w) else None))
            i += 1
        else:
            out.append(Token(" ".join(words[i:j]), float(value)))
            i = j
    return out


def tokens(text: str) -> list[Token]:
    """Word tokens with number values; clause punctuation becomes a single "," token."""
    raw = [m.group(0) for m in _TOKEN.finditer(_normalise(text))]
    words = [CLAUSE_END if (r.strip() in {",", ".", ";", ":", "!", "?", "(", ")", "-", "–", "—"}) else r for r in raw]
    # "6 . 75" cannot happen (the regex keeps decimals whole); a trailing "." is a clause end
    return _number_words(words)


def _same(a: Token, b: Token) -> bool:
    if b.text.endswith("*"):
        return a.number is None and a.text.startswith(b.text[:-1])
    if a.number is not None or b.number is not None:
        return a.number is not None and b.number is not None and a.number == b.number
    return a.text == b.text


def _phrase_tokens(phrase: str) -> list[Token]:
    star = phrase.strip().endswith("*")
    toks = [t for t in tokens(phrase.strip().rstrip("*")) if t.text != CLAUSE_END]
    if star and toks:
        toks[-1] = Token(toks[-1].text + "*", None)
    return toks


def _negated(toks: list[Token], at: int, window: int) -> bool:
    """A negation among the `window` tokens before `at`, within the same clause."""
    for t in reversed(toks[max(0, at - window):at]):
        if t.text == CLAUSE_END:
            return False
        if t.text in NEGATORS:
            return True
    return False


def occurrences(answer: str, phrase: str) -> list[int]:
    """Token positions where `phrase` appears in `answer` as whole tokens (numbers by value)."""
    a, p = tokens(answer), _phrase_tokens(phrase)
    if not p:
        return []
    return [i for i in range(len(a) - len(p) + 1) if all(_same(a[i + k], p[k]) for k in range(len(p)))]


def mentions(answer: str, phrase: str, *, negation_window: int = 3) -> bool:
    """`answer` states `phrase`: a whole-token occurrence not right after a negation."""
    a = tokens(answer)
    return any(not _negated(a, i, negation_window) for i in occurrences(answer, phrase))


def mentions_any(answer: str, phrases: list[str] | tuple[str, ...], *, negation_window: int = 3) -> bool:
    return any(mentions(answer, p, negation_window=negation_window) for p in phrases)


def numbers(text: str) -> list[float]:
    return [t.number for t in tokens(text) if t.number is not None]


def people_counts(answer: str) -> list[int]:
    """Every number of people the answer states: "20 people" → 20, "no one" → 0, "a person" → 1."""
    toks = tokens(answer)
    found: list[int] = []
    for i, t in enumerate(toks):
        if t.number is None or _negated(toks, i, 2):
            continue
        after = []
        for x in toks[i + 1:i + 3]:  # "3 people", "3 other people"; never across a clause
            if x.text == CLAUSE_END:
                break
            after.append(x.text)
        if any(w in PEOPLE_NOUNS for w in after):
            found.append(int(t.number))
    found += [0 for z in _ZERO_PEOPLE if occurrences(answer, z)][:1]
    found += [1 for s in _SOME_PEOPLE if mentions(answer, s)][:1]
    return found


def states_people_count(answer: str, expected: int) -> bool:
    """The answer gives exactly `expected` people and no other number of people."""
    counts = set(people_counts(answer))
    if expected > 0 and 1 in counts and expected != 1:
        counts.discard(1)  # "a person ... 3 people": the precise number decides
    return counts == {expected}


YesNo = Literal["yes", "no"]


def yes_no(answer: str, *, about_people: bool = False) -> YesNo | None:
    """The polarity of an answer to a yes/no question, or None when it says both or neither.

    An explicit leading "yes"/"no" decides; otherwise, for questions about people, the count
    it states (0 → no, ≥ 1 → yes)."""
    toks = [t.text for t in tokens(answer)]
    if toks and toks[0] in {"yes", "yeah", "yep"}:
        return "yes"
    if toks and toks[0] in {"no", "nope"} and (len(toks) == 1 or toks[1] == CLAUSE_END):
        return "no"
    if about_people:
        counts = set(people_counts(answer))
        if counts == {0}:
            return "no"
        if counts and 0 not in counts:
            return "yes"
    return None


_REFUSAL = (
    "can not read", "can not see", "can not make out", "can not tell", "can not identify",
    "can not describe", "can not recognise", "can not recognize", "could not read", "could not see",
    "could not make out", "unable to", "not able to", "unreadable", "not readable", "illegible",
    "can not say", "do not know", "not sure what",
)


def refuses(answer: str) -> bool:
    """The answer says it cannot read or see the content (whole-token phrases)."""
    return any(occurrences(answer, r) for r in _REFUSAL)


_QUOTED = re.compile(r"[\"“”«]([^\"“”«»]*[A-Za-z0-9][^\"“”«»]*)[\"“”»]")


def quotes_text(answer: str) -> bool:
    """The answer quotes something as read ("The picture shows \"7\""): not a refusal."""
    return bool(_QUOTED.search(answer))
