"""Word error rate with the normalisation speech benchmarks use (case, punctuation, numbers).

jiwer does the alignment; the normaliser makes "ten" and "10", "Americans," and "americans"
count as the same word, so the figure measures recognition, not formatting.
"""

from __future__ import annotations

import re

_NUMBERS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
}


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    words = [_NUMBERS.get(w, w) for w in text.split()]
    return " ".join(words)


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER: total edits over total reference words, after normalisation."""
    import jiwer

    if len(references) != len(hypotheses):
        raise ValueError("need one hypothesis per reference")
    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    if not any(refs):
        raise ValueError("references hold no words")
    return float(jiwer.wer(refs, hyps))
