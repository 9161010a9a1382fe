"""A synthetic month of memories for the recall benchmark, with a real vocabulary.

Real memories are OCR'd signs and screens and transcribed speech: English text whose words
follow Zipf's law over tens of thousands of words, plus a personal vocabulary (the wearer's
places, things and people) that keeps coming back. Both matter for recall speed: full-text
search costs grow with how many moments contain a query word. A corpus built from a few dozen
words makes every word match a third of all moments (far worse than real use); one of random
rare words matches almost nothing (far better). So the background words are drawn by Zipf
rank from wordninja's frequency-ordered English word list (126k words), and about one moment
in three mentions a personal place/thing/person, so a personal word still matches 1–4% of
all moments (thousands at 100k), as a spouse's name or one's own kitchen would.

Embedding 100k sentences would dominate the benchmark's run time, so `distinct` sentences are
embedded and each moment takes one of those vectors (plus a little noise) together with that
sentence's personal phrase; its background words are drawn fresh.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PLACES = [
    "kitchen",
    "office",
    "station",
    "café",
    "bakery",
    "pharmacy",
    "park",
    "garage",
    "library",
    "platform",
    "desk",
    "car",
]
THINGS = [
    "keys",
    "wallet",
    "laptop",
    "charger",
    "invoice",
    "ticket",
    "umbrella",
    "medicine",
    "glasses",
    "passport",
    "menu",
    "receipt",
    "notebook",
    "phone",
    "parcel",
    "bicycle",
]
PEOPLE = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo"]
TOPIC_SHARE = 0.35  # share of moments that mention the wearer's places, things or people
ZIPF_S = 1.0  # English word frequencies fall off as 1/rank


def vocabulary() -> list[str]:
    """English words, most frequent first (the list wordninja segments text with)."""
    import wordninja

    path = Path(wordninja.__file__).with_name("wordninja") / "wordninja_words.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [w.strip() for w in f if w.strip()]


@dataclass(frozen=True)
class Sentence:
    kind: str  # 'sight' | 'speech'
    topic: str  # the personal phrase ('' when the moment has none)
    text: str  # what is embedded: the personal phrase and background words


class Corpus:
    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.words = np.array(vocabulary())
        weights = 1.0 / np.arange(1, len(self.words) + 1) ** ZIPF_S
        self._cdf = np.cumsum(weights / weights.sum())

    def background(self, kind: str) -> str:
        n = int(self.rng.integers(6, 25) if kind == "speech" else self.rng.integers(3, 20))
        idx = np.searchsorted(self._cdf, self.rng.random(n))
        words = self.words[np.minimum(idx, len(self.words) - 1)]
        if kind == "sight" and self.rng.random() < 0.3:  # labels, prices, codes
            words = np.append(words, str(self.rng.integers(10, 99999)))
        return " ".join(words)

    def topic(self, kind: str) -> str:
        if self.rng.random() >= TOPIC_SHARE:
            return ""
        place = self.rng.choice(PLACES)
        thing = self.rng.choice(THINGS)
        if kind == "speech":
            return f"{self.rng.choice(PEOPLE)} said the {thing} is at the {place}"
        return f"{thing.upper()} {place}"

    def sentence(self, i: int) -> Sentence:
        kind = "speech" if i % 3 == 0 else "sight"
        topic = self.topic(kind)
        return Sentence(kind, topic, f"{topic} {self.background(kind)}".strip())

    def moment_text(self, pooled: Sentence) -> str:
        """A new moment sharing `pooled`'s meaning (its personal phrase), with fresh words."""
        return f"{pooled.topic} {self.background(pooled.kind)}".strip()
