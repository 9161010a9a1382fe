"""Transcripts that arrive already written: Aria's word-level `speech.csv`.

Words are grouped into utterances at sentence ends (. ? !), as projectaria_tools' reader does;
words below `min_confidence` are dropped (the recogniser's noise, e.g. a lone "and" at 0.02).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from oculi.memory.errors import MemoryInputError
from oculi.memory.protocols import Utterance

COLUMNS = {"startTime_ns", "endTime_ns", "written", "confidence"}


def read_aria_speech(
    path: Path, to_wall: Callable[[int], float], min_confidence: float = 0.2
) -> list[Utterance]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not COLUMNS <= set(reader.fieldnames or ()):
                raise MemoryInputError(
                    f"{path} is not an Aria speech.csv (columns {reader.fieldnames})",
                    hint=f"expected columns {sorted(COLUMNS)}",
                )
            words = [
                (int(r["startTime_ns"]), int(r["endTime_ns"]), r["written"].strip())
                for r in reader
                if float(r["confidence"] or 0) >= min_confidence and r["written"].strip()
            ]
    except (OSError, ValueError, KeyError) as exc:
        raise MemoryInputError(
            f"cannot read transcript {path}: {exc}", hint="check the file"
        ) from exc
    out: list[Utterance] = []
    current: list[tuple[int, int, str]] = []
    for w in sorted(words):
        current.append(w)
        if w[2].endswith((".", "?", "!")):
            out.append(_utterance(current, to_wall))
            current = []
    if current:
        out.append(_utterance(current, to_wall))
    return out


def _utterance(words: list[tuple[int, int, str]], to_wall: Callable[[int], float]) -> Utterance:
    return Utterance(to_wall(words[0][0]), to_wall(words[-1][1]), " ".join(w[2] for w in words))
