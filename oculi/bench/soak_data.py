"""Inputs the soak sends: varied enough that no cache makes requests free, all made here."""

from __future__ import annotations

TOPICS = ["keys", "wallet", "train", "platform 4", "coffee", "the meeting", "Friday", "the doctor",
          "an invoice", "the laptop", "the window", "the garden", "a red umbrella", "bus 42"]
QUESTIONS = ["Where did I leave my {}?", "Summarise {} in one sentence.", "What rhymes with {}?",
             "Give me one fact about {}.", "Translate '{}' to French."]


def chat_prompt(i: int) -> str:
    return QUESTIONS[i % len(QUESTIONS)].format(TOPICS[(i * 7) % len(TOPICS)])


def embed_inputs(i: int) -> list[str]:
    return [f"note {i}: {TOPICS[(i + k) % len(TOPICS)]} near {TOPICS[(i * 3 + k) % len(TOPICS)]}"
            for k in range(4)]


def utterance_text(k: int) -> str:
    return f"note {k}: I put {TOPICS[k % len(TOPICS)]} next to {TOPICS[(k * 5) % len(TOPICS)]}"
